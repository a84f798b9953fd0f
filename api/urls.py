"""/api/v1/: the REST API, its OpenAPI schema and its reference page."""

from django.urls import path, re_path

from api import reference, views

app_name = "api"

urlpatterns = [
    path("api/v1/schema/", reference.SchemaView.as_view(), name="schema"),
    path("api/v1/reference/", reference.ReferenceView.as_view(), name="reference"),
    path("api/v1/customers/", views.CustomerList.as_view(), name="customers"),
    path("api/v1/customers/<int:pk>/", views.CustomerDetail.as_view(), name="customer"),
    path("api/v1/work-orders/", views.WorkOrderList.as_view(), name="work_orders"),
    path("api/v1/work-orders/<int:pk>/", views.WorkOrderDetail.as_view(), name="work_order"),
    path(
        "api/v1/work-orders/<int:pk>/status/",
        views.WorkOrderStatus.as_view(),
        name="work_order_status",
    ),
    path("api/v1/technicians/", views.TechnicianList.as_view(), name="technicians"),
    path("api/v1/technicians/<int:pk>/", views.TechnicianDetail.as_view(), name="technician"),
    path("api/v1/sla-policies/", views.SLAPolicyList.as_view(), name="sla_policies"),
    path("api/v1/sla-policies/<int:pk>/", views.SLAPolicyDetail.as_view(), name="sla_policy"),
    path("api/v1/bookings/", views.BookingList.as_view(), name="bookings"),
    path("api/v1/bookings/<int:pk>/", views.BookingDetail.as_view(), name="booking"),
    path(
        "api/v1/bookings/<int:pk>/unassign/",
        views.BookingUnassign.as_view(),
        name="booking_unassign",
    ),
    path("api/v1/events/", views.EventList.as_view(), name="events"),
    path("api/v1/events/<int:pk>/", views.EventDetail.as_view(), name="event"),
    re_path(r"^api/(?:.*)$", views.NotAnEndpoint.as_view(), name="not_an_endpoint"),
]
