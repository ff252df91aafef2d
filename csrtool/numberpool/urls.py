from django.urls import path, re_path

from csrtool.numberpool import views

urlpatterns = [
    path("numbers/assign/", views.assign, name="number-assign"),
    path("numbers/admin/", views.pool_admin, name="pool-admin"),
    path("numbers/lookup/", views.line_lookup, name="line-lookup"),
    path("numbers/available/", views.available, name="numbers-available"),
    re_path(r"^numbers/(?P<dnis>\d{1,20})/$", views.detail, name="number-detail"),
]
