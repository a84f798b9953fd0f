"""The technician's phone (/my/) and the board's answers to the field."""

from django.urls import path

from field import alert_views, views

urlpatterns = [
    path("my/", views.my_jobs, name="my_jobs"),
    path("my/jobs/<int:pk>/", views.my_job, name="my_job"),
    path("my/jobs/<int:pk>/action/", views.my_job_action, name="my_job_action"),
    path("my/position/", views.my_position, name="my_position"),
    path("my/manifest.webmanifest", views.my_manifest, name="my_manifest"),
    path("my/sw.js", views.my_service_worker, name="my_service_worker"),
    path(
        "board/alerts/<int:pk>/dismiss/",
        alert_views.field_alert_dismiss_view,
        name="field_alert_dismiss",
    ),
    path(
        "board/alerts/<int:pk>/propose/",
        alert_views.field_alert_propose_view,
        name="field_alert_propose",
    ),
    path(
        "board/unavailable/",
        alert_views.technician_unavailable_view,
        name="technician_unavailable",
    ),
]
