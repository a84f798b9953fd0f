"""The manager's dashboard, its drill-down lists and CSV exports."""

from django.urls import path

from dashboard import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/work-orders/", views.dashboard_work_orders, name="dashboard_work_orders"),
    path("dashboard/export/<slug:table>.csv", views.dashboard_export, name="dashboard_export"),
]
