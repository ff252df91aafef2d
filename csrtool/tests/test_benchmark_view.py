"""The benchmark's bare view (one query, no permission check) answers only under
the benchmark's own settings, never in the product."""

from django.test import Client, override_settings

BARE = "/bench/bare-lookup"


def test_the_product_does_not_serve_the_benchmark_view(cast, client_for):
    for client in (Client(), client_for(cast.bob)):
        response = client.get(BARE, {"email": "sam@customer.example"})
        assert response.status_code == 404
        assert cast.sam.public_id not in response.content.decode()


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_benchmark_settings_serve_it_beside_the_product(cast):
    response = Client().get(BARE, {"email": "Sam@Customer.example"})
    assert response.json()["public_id"] == cast.sam.public_id
    assert Client().get("/healthz").json()["status"] == "ok"
