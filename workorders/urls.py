"""Office screens: customers, work orders, SLA pauses, photos, SLA alerts."""

from django.urls import path

from workorders import alert_views, views

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("work-orders/", views.work_order_list, name="work_order_list"),
    path("work-orders/new/", views.work_order_create, name="work_order_create"),
    path("work-orders/site-options/", views.site_options, name="site_options"),
    path("work-orders/<int:pk>/", views.work_order_detail, name="work_order_detail"),
    path("work-orders/<int:pk>/edit/", views.work_order_edit, name="work_order_edit"),
    path(
        "work-orders/<int:pk>/sla/pause/", views.work_order_sla_pause, name="work_order_sla_pause"
    ),
    path(
        "work-orders/<int:pk>/sla/resume/",
        views.work_order_sla_resume,
        name="work_order_sla_resume",
    ),
    path("work-orders/<int:pk>/photos/", views.work_order_photo_add, name="work_order_photo_add"),
    path("alerts/", alert_views.sla_alert_list, name="sla_alert_list"),
    path(
        "alerts/acknowledge/",
        alert_views.sla_alerts_acknowledge_view,
        name="sla_alerts_acknowledge",
    ),
    path("alerts/badge/", alert_views.sla_alert_badge, name="sla_alert_badge"),
    path(
        "alerts/<int:pk>/acknowledge/",
        alert_views.sla_alert_acknowledge,
        name="sla_alert_acknowledge",
    ),
]
