from django.urls import path

from csrtool.webhooks import views

urlpatterns = [
    path("settings/webhooks/", views.endpoints, name="webhook-endpoints"),
    path(
        "settings/webhooks/<str:endpoint_id>/",
        views.endpoint_detail,
        name="webhook-endpoint",
    ),
    path(
        "settings/webhooks/<str:endpoint_id>/rotate/",
        views.rotate,
        name="webhook-endpoint-rotate",
    ),
    path(
        "settings/webhooks/<str:endpoint_id>/delete/",
        views.delete,
        name="webhook-endpoint-delete",
    ),
    path(
        "settings/webhooks/<str:endpoint_id>/send-again/",
        views.send_again,
        name="webhook-endpoint-send-again",
    ),
]
