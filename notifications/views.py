"""Thin views: office pages (role-checked), Twilio webhooks (signature-checked) and
the customer tracking page (token-checked). Every view is either `role_required`
or marked `public(reason)`; a test walks the URLs to keep it so."""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from twilio.request_validator import RequestValidator

from core.errors import DomainError
from notifications import inbound, outbox, selectors, services, texts
from notifications.forms import MessageFilterForm, SandboxReplyForm, TemplateForm
from notifications.models import Kind, MessageTemplate
from notifications.providers import twilio_configured
from technicians.roles import OFFICE_ROLES, STAFF_ADMIN_ROLES, role_required
from workorders.models import Customer, WorkOrder

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def public(reason: str):
    """Mark a view reachable without a login, saying what protects it instead."""

    def decorator(view):
        view.public_reason = reason
        return view

    return decorator


# --------------------------------------------------------------------------- webhooks


def _twilio_signed(request: HttpRequest) -> bool:
    """X-Twilio-Signature over the public URL Twilio called and the POSTed form."""
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.NOTIFY_PUBLIC_BASE_URL + request.get_full_path()
    return RequestValidator(token).validate(url, request.POST, signature)


def _forbidden() -> HttpResponse:
    return HttpResponseForbidden("Invalid or missing Twilio signature.", content_type="text/plain")


def _bad(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain")


@public("Twilio webhook: X-Twilio-Signature")
@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    if not _twilio_signed(request):
        return _forbidden()
    sid = (request.POST.get("MessageSid") or request.POST.get("SmsSid") or "").strip()
    sender = request.POST.get("From", "").strip()
    missing = [name for name, value in (("MessageSid", sid), ("From", sender)) if not value]
    if missing:
        return _bad(f"Missing {' and '.join(missing)}.")
    if len(sid) > 64 or len(sender) > 32:
        return _bad("MessageSid or From is too long.")
    inbound.inbound_receive(
        provider_sid=sid,
        from_number=sender,
        to_number=request.POST.get("To", ""),
        body=request.POST.get("Body", ""),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@public("Twilio status callback: X-Twilio-Signature")
@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    if not _twilio_signed(request):
        return _forbidden()
    sid = request.POST.get("MessageSid", "").strip()
    status = request.POST.get("MessageStatus", "").strip()
    if not sid:
        return _bad("Missing MessageSid.")
    if status not in outbox.CALLBACK_STATUSES:
        return _bad(f"MessageStatus {status!r} is not a Twilio message status.")
    outbox.delivery_status_record(
        provider_sid=sid, status=status, error_code=request.POST.get("ErrorCode", "").strip()
    )
    return HttpResponse(status=204)


# --------------------------------------------------------------------------- tracking


def _not_found() -> HttpResponse:
    # The same bare answer for unknown, malformed and expired tokens.
    return HttpResponseNotFound("Not found.", content_type="text/plain")


def _business() -> dict:
    """How a customer reaches the business: its name and, when set, its phone."""
    phone = settings.NOTIFY_COMPANY_PHONE
    return {
        "company": settings.NOTIFY_COMPANY_NAME,
        "phone": phone,
        "phone_words": texts.phone_words(phone),
    }


def _link_gone(request: HttpRequest) -> HttpResponse:
    # One page for unknown, malformed and expired tokens, built from settings only, so
    # its bytes never tell whether a token ever existed.
    return _private(render(request, "notifications/tracking_gone.html", _business(), status=404))


def _tile_origin() -> str:
    parts = urlsplit(settings.MAP_TILE_URL or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def _private(response: HttpResponse) -> HttpResponse:
    # The public page runs no inline code at all: a strict policy proves it.
    response["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        f"img-src 'self' data: {_tile_origin()}".rstrip()
        + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to tile servers
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _tracking_json(info: selectors.Tracking) -> dict:
    return {
        "status": info.status,
        "status_label": info.status_label,
        "technician": info.technician_name,
        "eta": info.eta,
        "position": ({"lat": info.position[0], "lng": info.position[1]} if info.position else None),
        "updated": texts.local_time(timezone.now()),
    }


@public("customer tracking page: unguessable token, expires")
@require_GET
def tracking_page(request: HttpRequest, token: str) -> HttpResponse:
    info = selectors.tracking_for_token(token)
    if info is None:
        return _link_gone(request)
    data = _tracking_json(info)
    return _private(
        render(
            request,
            "notifications/tracking.html",
            {
                "info": info,
                "data": data,
                "tile_url": settings.MAP_TILE_URL,
                "poll_seconds": 20,
            }
            | _business(),
        )
    )


@public("says only that a tracking link is not valid; the same for every path")
@require_GET
def tracking_link_gone(request: HttpRequest) -> HttpResponse:
    return _link_gone(request)


@public("customer tracking data: unguessable token, expires")
@require_GET
def tracking_status(request: HttpRequest, token: str) -> HttpResponse:
    info = selectors.tracking_for_token(token)
    if info is None:
        return _not_found()
    return _private(JsonResponse(_tracking_json(info)))


@public("technician thumbnail for a valid tracking token only")
@require_GET
def tracking_photo(request: HttpRequest, token: str) -> HttpResponse:
    name = selectors.tracking_photo_path(token)
    if name is None:
        return _not_found()
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return _not_found()
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --------------------------------------------------------------------------- office


@role_required(OFFICE_ROLES)
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    form = MessageFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.message_list(
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
        customer=filters.get("customer"),
        search=(filters.get("q") or "").strip(),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "notifications/message_list.html",
        {
            "form": form,
            "page": Paginator(queryset, 50).get_page(request.GET.get("page")),
            "query": params.urlencode(),
            "replies": selectors.recent_replies(),
            "sandbox": not twilio_configured(),
        },
    )


@role_required(STAFF_ADMIN_ROLES)
@require_GET
def message_templates(request: HttpRequest) -> HttpResponse:
    rows = {row.kind: row for row in MessageTemplate.objects.all()}
    items = []
    for kind, label in Kind.choices:
        row = rows.get(kind)
        body = row.body if row else texts.DEFAULTS[kind]
        items.append(
            {
                "kind": kind,
                "label": label,
                "body": body,
                "enabled": row.enabled if row else True,
                "custom": row is not None,
                "segments": texts.segment_count(texts.render(body, texts.sample_values())),
            }
        )
    return render(request, "notifications/template_list.html", {"items": items})


def _preview(body: str) -> dict:
    try:
        texts.validate_template(body)
    except texts.TemplateError as error:
        return {"error": str(error)}
    rendered = texts.render(body, texts.sample_values())
    return {
        "rendered": rendered,
        "count": texts.segment_count(rendered),
        "worst": texts.worst_case_count(body),
        "max_segments": texts.MAX_TEMPLATE_SEGMENTS,
    }


@role_required(STAFF_ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def message_template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Kind.values:
        return _not_found()
    row = MessageTemplate.objects.filter(kind=kind).first()
    initial = {
        "body": row.body if row else texts.DEFAULTS[kind],
        "enabled": row.enabled if row else True,
    }
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("action") != "preview" and form.is_valid():
        try:
            services.message_template_save(
                actor=request.user,
                kind=kind,
                body=form.cleaned_data["body"],
                enabled=form.cleaned_data["enabled"],
            )
        except DomainError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, f"“{Kind(kind).label}” text saved.")
            return redirect("message_templates")
    body = (
        request.POST.get("body", initial["body"]) if request.method == "POST" else initial["body"]
    )
    return render(
        request,
        "notifications/template_form.html",
        {
            "form": form,
            "kind": kind,
            "label": Kind(kind).label,
            "placeholders": texts.PLACEHOLDERS,
            "max_segments": texts.MAX_TEMPLATE_SEGMENTS,
            "default": texts.DEFAULTS[kind],
            "preview": _preview(body),
        },
    )


@role_required(STAFF_ADMIN_ROLES)
@require_POST
def message_template_preview(request: HttpRequest, kind: str) -> HttpResponse:
    """The live preview (htmx): the text with sample values and its SMS segments."""
    if kind not in Kind.values:
        return _not_found()
    return render(
        request,
        "notifications/template_preview.html",
        {"preview": _preview(request.POST.get("body", ""))},
    )


@role_required(OFFICE_ROLES)
@require_GET
def sms_sandbox(request: HttpRequest) -> HttpResponse:
    customers = list(selectors.customers_with_texts()[:200])
    selected = None
    raw = request.GET.get("customer", "")
    if raw.isdigit():
        selected = Customer.objects.filter(pk=int(raw)).first()
    if selected is None and customers:
        selected = customers[0]
    return render(
        request,
        "notifications/sandbox.html",
        {
            "customers": customers,
            "selected": selected,
            "thread": selectors.customer_thread(selected) if selected else [],
            "form": SandboxReplyForm(),
            "sandbox": not twilio_configured(),
        },
    )


@role_required(OFFICE_ROLES)
@require_POST
def sms_sandbox_reply(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    url = f"{reverse('sms_sandbox')}?customer={customer.pk}"
    if twilio_configured():
        messages.error(request, "Texts go through Twilio: the sandbox cannot fake replies.")
        return redirect(url)
    form = SandboxReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("body", ["Invalid reply."])))
        return redirect(url)
    inbound.inbound_receive(
        provider_sid=f"SBIN{uuid.uuid4().hex}",
        from_number=customer.phone,
        to_number="sandbox",
        body=form.cleaned_data["body"],
    )
    messages.success(request, "Reply received as if the customer had texted it.")
    return redirect(url)


@role_required(OFFICE_ROLES)
@require_POST
def work_order_texts_read(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = get_object_or_404(WorkOrder, pk=pk)
    count = inbound.replies_mark_read(actor=request.user, work_order=work_order)
    messages.success(request, f"{count} repl{'y' if count == 1 else 'ies'} marked read.")
    return redirect(f"{reverse('work_order_detail', args=[pk])}#texts")
