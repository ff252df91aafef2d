from django.urls import URLPattern

from csrtool.api.api import api
from csrtool.api.problems import problem_when_method_not_allowed

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
