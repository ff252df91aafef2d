from django.urls import URLPattern, re_path

from csrtool.api.api import api
from csrtool.api.problems import problem, problem_when_method_not_allowed

app_name = "api"
urlpatterns = [
    URLPattern(
        pattern.pattern,
        problem_when_method_not_allowed(pattern.callback),
        pattern.default_args,
        pattern.name,
    )
    for pattern in api.urls[0]
]


def unknown_path(request, rest=""):
    """Anything else under /api/v1/ is a problem+json 404, not an HTML page."""
    return problem(request, status=404, code="not_found", detail="No such API path.")


urlpatterns.append(re_path(r"^(?P<rest>.*)$", unknown_path))
