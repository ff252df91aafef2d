from django.urls import path

from csrtool.features import views

urlpatterns = [
    path("features/", views.subscriber_features, name="features"),
    path("features/bulk/", views.bulk, name="features-bulk"),
    path("features/plans/", views.plans, name="feature-plans"),
    path("features/plans/new/", views.plan_add, name="feature-plan-add"),
    path("features/plans/<int:plan_id>/", views.plan_edit, name="feature-plan-edit"),
    path(
        "features/plans/<int:plan_id>/delete/",
        views.plan_delete,
        name="feature-plan-delete",
    ),
    path("features/catalog/", views.catalog, name="feature-catalog"),
    path(
        "features/catalog/<slug:key>/", views.catalog_edit, name="feature-catalog-edit"
    ),
    path(
        "features/entitlements/<slug:slug>/",
        views.entitlements,
        name="feature-entitlements",
    ),
]
