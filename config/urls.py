from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path, register_converter

from core.converters import IsoDateConverter
from dispatch import board_views, field_views
from dispatch import views as dispatch_views
from dispatch.dashboard import views as dashboard_views
from technicians import views as technician_views
from workorders import alert_views
from workorders import views as workorder_views

register_converter(IsoDateConverter, "isodate")

urlpatterns = [
    path("", dispatch_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", workorder_views.customer_list, name="customer_list"),
    path("customers/new/", workorder_views.customer_create, name="customer_create"),
    path("customers/<int:pk>/edit/", workorder_views.customer_edit, name="customer_edit"),
    path("work-orders/", workorder_views.work_order_list, name="work_order_list"),
    path("work-orders/new/", workorder_views.work_order_create, name="work_order_create"),
    path("work-orders/site-options/", workorder_views.site_options, name="site_options"),
    path("work-orders/<int:pk>/", workorder_views.work_order_detail, name="work_order_detail"),
    path("work-orders/<int:pk>/edit/", workorder_views.work_order_edit, name="work_order_edit"),
    path(
        "work-orders/<int:pk>/sla/pause/",
        workorder_views.work_order_sla_pause,
        name="work_order_sla_pause",
    ),
    path(
        "work-orders/<int:pk>/sla/resume/",
        workorder_views.work_order_sla_resume,
        name="work_order_sla_resume",
    ),
    path(
        "work-orders/<int:pk>/photos/",
        workorder_views.work_order_photo_add,
        name="work_order_photo_add",
    ),
    path(
        "work-orders/<int:pk>/status/", dispatch_views.work_order_status, name="work_order_status"
    ),
    path("technicians/", technician_views.technician_list, name="technician_list"),
    path("technicians/<int:pk>/edit/", technician_views.technician_edit, name="technician_edit"),
    path("board/", board_views.board_today, name="board_today"),
    path("board/<isodate:day>/", board_views.board_day, name="board_day"),
    path("board/<isodate:day>/poll/", board_views.board_poll, name="board_poll"),
    path("board/<isodate:day>/map.json", board_views.board_map, name="board_map"),
    path("board/<isodate:day>/assign/", board_views.board_assign_view, name="board_assign"),
    path("board/<isodate:day>/unassign/", board_views.board_unassign_view, name="board_unassign"),
    path("board/<isodate:day>/jobs/<int:pk>/", board_views.board_job, name="board_job"),
    path(
        "board/alerts/<int:pk>/dismiss/",
        field_views.field_alert_dismiss_view,
        name="field_alert_dismiss",
    ),
    path(
        "board/alerts/<int:pk>/propose/",
        field_views.field_alert_propose_view,
        name="field_alert_propose",
    ),
    path(
        "board/unavailable/",
        field_views.technician_unavailable_view,
        name="technician_unavailable",
    ),
    path("my/", dispatch_views.my_jobs, name="my_jobs"),
    path("my/jobs/<int:pk>/", dispatch_views.my_job, name="my_job"),
    path("my/jobs/<int:pk>/action/", dispatch_views.my_job_action, name="my_job_action"),
    path("my/position/", dispatch_views.my_position, name="my_position"),
    path("my/manifest.webmanifest", dispatch_views.my_manifest, name="my_manifest"),
    path("my/sw.js", dispatch_views.my_service_worker, name="my_service_worker"),
    re_path(
        rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$",
        dispatch_views.media_file,
        name="media_file",
    ),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "dashboard/work-orders/",
        dashboard_views.dashboard_work_orders,
        name="dashboard_work_orders",
    ),
    path(
        "dashboard/export/<slug:table>.csv",
        dashboard_views.dashboard_export,
        name="dashboard_export",
    ),
    path("alerts/", alert_views.sla_alert_list, name="sla_alert_list"),
    path(
        "alerts/<int:pk>/acknowledge/",
        alert_views.sla_alert_acknowledge,
        name="sla_alert_acknowledge",
    ),
    path("", include("dispatch.plan_urls")),
    path("", include("notifications.urls")),
    path("admin/", admin.site.urls),
]
