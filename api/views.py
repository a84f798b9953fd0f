"""The REST API's endpoints: thin. Each parses with a serializer, calls the owning
app's service (the one write path of each entity) and answers with the resource.

Reads carry an ETag (customers, work orders); edits need `If-Match`; every POST needs
an `Idempotency-Key`; every refusal is a problem document (api/problems.py)."""

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.concurrency import check_if_match, etag_of
from api.idempotency import idempotent
from api.problems import Problem, QueryInvalid
from api.scopes import Resource
from api.serializers import (
    AssignSerializer,
    BookingFilter,
    BookingSerializer,
    CustomerFilter,
    CustomerSerializer,
    EventFilter,
    EventSerializer,
    SLAPolicySerializer,
    StatusChangeSerializer,
    TechnicianSerializer,
    WorkOrderFilter,
    WorkOrderSerializer,
)
from dispatch.assignment import (
    AssignmentRefused,
    LaneConflict,
    NeedsConfirmation,
    board_assign,
    board_unassign,
)
from dispatch.models import Booking
from dispatch.services import work_order_change_status
from technicians.models import Certification, Technician
from technicians.selectors import day_bounds
from workorders import services as workorders
from workorders.models import Customer, Event, RequiredSkill, Site, SLAPolicy, WorkOrder
from workorders.status import Status


def query(filter_class, request) -> dict:
    criteria = filter_class(data=request.query_params)
    # An empty value is an error, not "no filter" (DRF's reading of a form's blank field).
    empty = {
        name: ["Give a value, or leave the parameter out."]
        for name in criteria.fields
        if name in request.query_params and request.query_params[name] == ""
    }
    if empty:
        raise QueryInvalid(empty)
    if not criteria.is_valid():
        raise QueryInvalid(criteria.errors)
    return criteria.validated_data


def with_etag(body: dict, status: int = 200, **headers) -> Response:
    return Response(body, status=status, headers={"ETag": etag_of(body), **headers})


class ListView(generics.ListAPIView):
    filter_class: type[serializers.Serializer] | None = None

    def get_queryset(self):
        criteria = query(self.filter_class, self.request) if self.filter_class else {}
        return self.filtered(self.base_queryset(), criteria)

    def filtered(self, queryset, criteria: dict):
        return queryset


# Customers ---------------------------------------------------------------------


def customers():
    return Customer.objects.prefetch_related(Prefetch("sites", Site.objects.order_by("pk")))


def _external(queryset, criteria: dict):
    if "external_source" in criteria:
        queryset = queryset.filter(external_source=criteria["external_source"])
    if "external_ref" in criteria:
        queryset = queryset.filter(external_ref=criteria["external_ref"])
    if "updated_since" in criteria:
        queryset = queryset.filter(updated_at__gte=criteria["updated_since"])
    return queryset


def _customer_fields(validated: dict) -> dict:
    names = workorders.CUSTOMER_FIELDS + workorders.EXTERNAL_FIELDS
    return {name: validated[name] for name in names if name in validated}


def _site_changes(customer: Customer | None, sites: list[dict]) -> list[workorders.SiteChange]:
    """The API's site list as the service's changes. An edit names the fields it
    changes; the service takes a whole site (as the office form sends it)."""
    existing = {site.pk: site for site in customer.sites.all()} if customer else {}
    changes, errors = [], {}
    for index, item in enumerate(sites):
        fields = {k: v for k, v in item.items() if k in workorders.SITE_FIELDS}
        site = existing.get(item["id"]) if "id" in item else None
        if "id" in item and site is None:
            errors[index] = {"id": ["This customer has no site with this id."]}
            continue
        if site is None and item.get("delete"):
            errors[index] = {"delete": ["Only an existing site (with its id) can be removed."]}
            continue
        if site is None and not fields.get("address"):
            errors[index] = {"address": ["A new site needs an address."]}
            continue
        whole = {name: getattr(site, name) for name in workorders.SITE_FIELDS} if site else {}
        changes.append(
            workorders.SiteChange(
                site=site, data=whole | fields, delete=bool(item.get("delete", False))
            )
        )
    if errors:
        raise serializers.ValidationError(
            {"sites": [errors.get(index, {}) for index in range(len(sites))]}
        )
    return changes


class CustomerList(ListView):
    resource = Resource.CUSTOMERS
    serializer_class = CustomerSerializer
    filter_class = CustomerFilter

    def base_queryset(self):
        return customers()

    def filtered(self, queryset, criteria):
        return _external(queryset, criteria)

    @extend_schema(parameters=[CustomerFilter], summary="List customers with their sites")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CustomerSerializer,
        responses={201: CustomerSerializer},
        summary="Create a customer with at least one site",
    )
    @idempotent
    def post(self, request):
        incoming = CustomerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        customer = workorders.customer_create(
            actor=request.user,
            data=_customer_fields(incoming.validated_data),
            sites=_site_changes(None, incoming.validated_data["sites"]),
        )
        body = CustomerSerializer(customers().get(pk=customer.pk)).data
        return with_etag(body, 201, Location=reverse("api:customer", args=[customer.pk]))


class CustomerDetail(generics.GenericAPIView):
    resource = Resource.CUSTOMERS
    serializer_class = CustomerSerializer

    def get_queryset(self):
        return customers()

    @extend_schema(summary="A customer with its sites; the ETag is for If-Match")
    def get(self, request, pk: int):
        return with_etag(CustomerSerializer(self.get_object()).data)

    @extend_schema(
        summary="Edit a customer (If-Match required); `sites` items with an id change that "
        "site, without one add a site, with delete=true remove it",
    )
    def patch(self, request, pk: int):
        incoming = CustomerSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            customer = get_object_or_404(Customer.objects.select_for_update(), pk=pk)
            check_if_match(request, etag_of(CustomerSerializer(customers().get(pk=pk)).data))
            workorders.customer_update(
                actor=request.user,
                customer=customer,
                data=_customer_fields(incoming.validated_data),
                sites=_site_changes(customer, incoming.validated_data.get("sites", [])),
            )
        return with_etag(CustomerSerializer(customers().get(pk=pk)).data)


# Work orders -----------------------------------------------------------------


def work_orders():
    return WorkOrder.objects.prefetch_related(
        Prefetch("required_skills", RequiredSkill.objects.select_related("skill"))
    )


def _requirements(items: list[dict]) -> list[workorders.SkillRequirement]:
    return [
        workorders.SkillRequirement(skill=item["skill"], min_level=item["min_level"])
        for item in items
    ]


def _work_order_fields(validated: dict) -> dict:
    names = workorders.WORK_ORDER_FIELDS + workorders.EXTERNAL_FIELDS
    return {name: validated[name] for name in names if name in validated}


def _work_order_body(pk: int) -> dict:
    return WorkOrderSerializer(work_orders().get(pk=pk)).data


class WorkOrderList(ListView):
    resource = Resource.WORK_ORDERS
    serializer_class = WorkOrderSerializer
    filter_class = WorkOrderFilter

    def base_queryset(self):
        return work_orders()

    def filtered(self, queryset, criteria):
        queryset = _external(queryset, criteria)
        if "status" in criteria:
            queryset = queryset.filter(status=criteria["status"])
        if "customer" in criteria:
            queryset = queryset.filter(customer_id=criteria["customer"])
        if "technician" in criteria or "day" in criteria:
            booked = Booking.objects.filter(work_order=OuterRef("pk"), state=Booking.State.ACTIVE)
            if "technician" in criteria:
                booked = booked.filter(technician_id=criteria["technician"])
            if "day" in criteria:
                start, end = day_bounds(criteria["day"])
                booked = booked.filter(starts_at__lt=end, ends_at__gt=start)
            queryset = queryset.filter(Exists(booked))
        return queryset

    @extend_schema(parameters=[WorkOrderFilter], summary="List work orders")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=WorkOrderSerializer,
        responses={201: WorkOrderSerializer},
        summary="Create a work order; it joins the board's queue",
    )
    @idempotent
    def post(self, request):
        incoming = WorkOrderSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        work_order = workorders.work_order_create(
            actor=request.user,
            data=_work_order_fields(incoming.validated_data),
            required_skills=_requirements(incoming.validated_data.get("required_skills", [])),
        )
        return with_etag(
            _work_order_body(work_order.pk),
            201,
            Location=reverse("api:work_order", args=[work_order.pk]),
        )


class WorkOrderDetail(generics.GenericAPIView):
    resource = Resource.WORK_ORDERS
    serializer_class = WorkOrderSerializer

    def get_queryset(self):
        return work_orders()

    @extend_schema(summary="A work order; the ETag is for If-Match")
    def get(self, request, pk: int):
        return with_etag(WorkOrderSerializer(self.get_object()).data)

    @extend_schema(summary="Edit a work order (If-Match required; status has its own endpoint)")
    def patch(self, request, pk: int):
        incoming = WorkOrderSerializer(data=request.data, partial=True)
        with transaction.atomic():
            work_order = get_object_or_404(WorkOrder.objects.select_for_update(), pk=pk)
            check_if_match(request, etag_of(_work_order_body(pk)))
            incoming.instance = work_order  # so the checks see the fields not sent
            incoming.is_valid(raise_exception=True)
            skills = incoming.validated_data.get("required_skills")
            workorders.work_order_update(
                actor=request.user,
                work_order=work_order,
                data=_work_order_fields(incoming.validated_data),
                required_skills=_requirements(skills)
                if skills is not None
                else [
                    workorders.SkillRequirement(skill=r.skill, min_level=r.min_level)
                    for r in work_order.required_skills.select_related("skill")
                ],
            )
        return with_etag(_work_order_body(pk))


class WorkOrderStatus(APIView):
    resource = Resource.WORK_ORDERS

    @extend_schema(
        request=StatusChangeSerializer,
        responses={200: WorkOrderSerializer},
        summary="Change a work order's status, with a reason (the office form's one path)",
    )
    @idempotent
    def post(self, request, pk: int):
        work_order = get_object_or_404(WorkOrder, pk=pk)
        incoming = StatusChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        change = incoming.validated_data
        work_order_change_status(
            actor=request.user,
            work_order=work_order,
            target=Status(change["status"]),
            hold_reason=change["hold_reason"],
            reason=change["reason"],
        )
        return with_etag(_work_order_body(pk))


# Technicians, SLA policies --------------------------------------------------------


def technicians():
    return Technician.objects.prefetch_related(
        Prefetch("certifications", Certification.objects.select_related("skill")), "shifts"
    )


class TechnicianList(ListView):
    resource = Resource.TECHNICIANS
    serializer_class = TechnicianSerializer

    def base_queryset(self):
        return technicians()


class TechnicianDetail(generics.RetrieveAPIView):
    resource = Resource.TECHNICIANS
    serializer_class = TechnicianSerializer

    def get_queryset(self):
        return technicians()


class SLAPolicyList(ListView):
    resource = Resource.SLA_POLICIES
    serializer_class = SLAPolicySerializer

    def base_queryset(self):
        return SLAPolicy.objects.all()


class SLAPolicyDetail(generics.RetrieveAPIView):
    resource = Resource.SLA_POLICIES
    serializer_class = SLAPolicySerializer
    queryset = SLAPolicy.objects.all()


# Bookings ---------------------------------------------------------------------------


def bookings():
    return Booking.objects.select_related("work_order")


def _board_refusal(status: int, code: str, refusal) -> Problem:
    return Problem(
        status,
        code,
        str(refusal),
        extra={
            "problems": [{"code": p.code.value, "message": p.message} for p in refusal.problems]
        },
    )


class BookingList(ListView):
    resource = Resource.BOOKINGS
    serializer_class = BookingSerializer
    filter_class = BookingFilter

    def base_queryset(self):
        return bookings()

    def filtered(self, queryset, criteria):
        if "updated_since" in criteria:
            queryset = queryset.filter(updated_at__gte=criteria["updated_since"])
        if "day" in criteria:
            start, end = day_bounds(criteria["day"])
            queryset = queryset.filter(starts_at__lt=end, ends_at__gt=start)
        for name in ("technician", "work_order"):
            if name in criteria:
                queryset = queryset.filter(**{f"{name}_id": criteria[name]})
        if "state" in criteria:
            queryset = queryset.filter(state=criteria["state"])
        return queryset

    @extend_schema(parameters=[BookingFilter], summary="List bookings")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=AssignSerializer,
        responses={201: BookingSerializer},
        summary="Assign a work order on the board, with the board's rules: a refusal "
        "names each rule's code (409)",
    )
    @idempotent
    def post(self, request):
        incoming = AssignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = incoming.validated_data
        try:
            outcome = board_assign(
                actor=request.user,
                work_order=order["work_order"],
                technician=order["technician"],
                day=order["day"],
                position=order["position"],
                confirm=order["confirm"],
            )
        except AssignmentRefused as refusal:
            raise _board_refusal(409, "assignment_refused", refusal) from None
        except NeedsConfirmation as refusal:
            raise _board_refusal(409, "needs_confirmation", refusal) from None
        except LaneConflict as conflict:
            raise Problem(409, "lane_changed", str(conflict)) from None
        body = BookingSerializer(bookings().get(pk=outcome.booking.pk)).data
        return Response(
            body, status=201, headers={"Location": reverse("api:booking", args=[body["id"]])}
        )


class BookingDetail(generics.RetrieveAPIView):
    resource = Resource.BOOKINGS
    serializer_class = BookingSerializer

    def get_queryset(self):
        return bookings()


class BookingUnassign(APIView):
    resource = Resource.BOOKINGS

    @extend_schema(
        request=None,
        responses={200: BookingSerializer},
        summary="Take the booking's work order off the lane, back to the queue",
    )
    @idempotent
    def post(self, request, pk: int):
        booking = get_object_or_404(Booking, pk=pk)
        if booking.state != Booking.State.ACTIVE:
            raise Problem(422, "not_active", "This booking was already released.")
        try:
            board_unassign(actor=request.user, work_order=booking.work_order)
        except LaneConflict as conflict:
            raise Problem(409, "lane_changed", str(conflict)) from None
        return Response(BookingSerializer(bookings().get(pk=pk)).data)


# Events ---------------------------------------------------------------------------


class EventList(ListView):
    resource = Resource.EVENTS
    serializer_class = EventSerializer
    filter_class = EventFilter

    def base_queryset(self):
        return Event.objects.select_related("actor")

    def filtered(self, queryset, criteria):
        if "occurred_since" in criteria:
            queryset = queryset.filter(occurred_at__gte=criteria["occurred_since"])
        if "kind" in criteria:
            queryset = queryset.filter(kind=criteria["kind"])
        for name in ("work_order", "customer", "technician"):
            if name in criteria:
                queryset = queryset.filter(**{f"{name}_id": criteria[name]})
        return queryset

    @extend_schema(parameters=[EventFilter], summary="The audit trail, oldest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EventDetail(generics.RetrieveAPIView):
    resource = Resource.EVENTS
    serializer_class = EventSerializer
    queryset = Event.objects.select_related("actor")


class NotAnEndpoint(APIView):
    """Any other path under /api/v1/: a problem document, not the HTML 404 page."""

    permission_classes = []
    authentication_classes = []
    throttle_classes = []
    schema = None

    def initial(self, request, *args, **kwargs):
        raise NotFound("There is no such endpoint; the reference is at /api/v1/reference/.")
