"""Office screens of the technicians."""

from django.urls import path

from technicians import views

urlpatterns = [
    path("technicians/", views.technician_list, name="technician_list"),
    path("technicians/<int:pk>/edit/", views.technician_edit, name="technician_edit"),
]
