from django.urls import path, re_path

from csrtool.numberpool import import_views, portal_views, views

urlpatterns = [
    path("numbers/assign/", views.assign, name="number-assign"),
    path("numbers/admin/", views.pool_admin, name="pool-admin"),
    path("numbers/lookup/", views.line_lookup, name="line-lookup"),
    path("numbers/available/", views.available, name="numbers-available"),
    re_path(r"^numbers/(?P<dnis>\d{1,20})/$", views.detail, name="number-detail"),
    re_path(
        r"^numbers/(?P<dnis>\d{1,20})/retire/$", views.retire, name="number-retire"
    ),
    path("numbers/import/", import_views.import_start, name="number-import"),
    path(
        "numbers/import/<int:import_id>/",
        import_views.import_detail,
        name="number-import-detail",
    ),
    path(
        "numbers/import/<int:import_id>/progress/",
        import_views.import_progress,
        name="number-import-progress",
    ),
    path(
        "numbers/import/<int:import_id>/run/",
        import_views.import_run,
        name="number-import-run",
    ),
    path("numbers/export.csv", import_views.export, name="number-export"),
    path("portal/numbers/", portal_views.numbers, name="portal-numbers"),
    path("portal/numbers/add/", portal_views.add, name="portal-number-add"),
    path("portal/numbers/release/", portal_views.release, name="portal-number-release"),
]
