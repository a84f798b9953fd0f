"""URLs of the optimizer's plan runs on the board (included at the root)."""

from django.urls import path

from planning import views as plan_views

urlpatterns = [
    path("board/<str:day>/plan/", plan_views.plan_start, name="plan_start"),
    path("board/<str:day>/plan/panel/", plan_views.plan_panel, name="plan_panel"),
    path("board/<str:day>/plan/urgent/", plan_views.plan_urgent, name="plan_urgent_form"),
    path(
        "board/<str:day>/plan/urgent/<int:work_order_id>/",
        plan_views.plan_urgent,
        name="plan_urgent",
    ),
    path("plans/<int:pk>/", plan_views.plan_run_detail, name="plan_run_detail"),
    path("plans/<int:pk>/progress/", plan_views.plan_run_progress, name="plan_run_progress"),
    path("plans/<int:pk>/accept/", plan_views.plan_run_accept, name="plan_run_accept"),
    path("plans/<int:pk>/discard/", plan_views.plan_run_discard, name="plan_run_discard"),
]
