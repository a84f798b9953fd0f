"""The booking core's office views: a status change, and the private uploaded files."""

from django.conf import settings
from django.urls import path, re_path

from dispatch import views

urlpatterns = [
    path("work-orders/<int:pk>/status/", views.work_order_status, name="work_order_status"),
    re_path(
        rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", views.media_file, name="media_file"
    ),
]
