"""Every error the API gives is problem+json, and the OpenAPI document says so."""

from django.test import Client


def test_the_openapi_document_declares_a_problem_answer_for_every_operation(db):
    document = Client().get("/api/v1/openapi.json").json()
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code", "detail"} <= set(problem["required"])
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 20
    for path, method, operation in operations:
        answer = operation["responses"].get("4XX")
        assert answer, f"{method.upper()} {path} declares no error answer"
        assert answer["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }


def test_a_method_the_path_does_not_take_answers_405_problem_json(cast, api_client_for):
    response = api_client_for(cast.acme).put("/api/v1/subscribers")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["status"] == 405
    assert body["title"] == "Method not allowed"
    assert "PUT is not allowed here" in body["detail"]


def test_a_405_is_problem_json_even_without_a_key(cast):
    response = Client().delete("/api/v1/subscribers")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
