"""The project's URLs: each app's own, included at the root (their paths are absolute)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views
from technicians.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("workorders.urls")),
    path("", include("technicians.urls")),
    path("", include("dispatch.urls")),
    path("", include("board.urls")),
    path("", include("planning.urls")),
    path("", include("field.urls")),
    path("", include("dashboard.urls")),
    path("", include("notifications.urls")),
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
]
