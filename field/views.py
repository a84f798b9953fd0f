"""The technician's phone (/my/): today's jobs, one job, actions, position, the app shell."""

import hashlib
import json
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.responses import form_errors
from dispatch import selectors
from dispatch.models import PhoneAction
from field import positions
from field.phone import (
    NOTE_MAX_CHARS,
    ActionInput,
    CannotCompleteReason,
    PhoneRefusal,
    RefusalCode,
    phone_action_apply,
)
from technicians.models import Technician
from technicians.roles import own_technician, technician_required
from workorders.models import WorkOrder

# The technician's phone (/my/) --------------------------------------------------------
#
# Every action is a plain form (POST + redirect, no JavaScript needed); static/js/phone.js
# sends the same forms with `Accept: application/json`, queues them while offline and
# replays them in order (field.phone applies each action id once).


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _phone_page(request: HttpRequest, technician: Technician, template: str, context: dict):
    return render(
        request,
        template,
        {
            "technician": technician,
            "position_url": reverse("my_position"),
            "position_interval_s": settings.PHONE_POSITION_INTERVAL_S,
            "on_shift": positions.on_shift_now(technician),
            "sw_url": reverse("my_service_worker"),
            "manifest_url": reverse("my_manifest"),
            **context,
        },
    )


@technician_required
@require_GET
def my_jobs(request: HttpRequest) -> HttpResponse:
    technician = own_technician(request)
    today = timezone.localdate()
    # Work still to do first, in route order; finished jobs after it.
    bookings = sorted(
        selectors.technician_day_jobs(technician, today), key=lambda b: b.work_order.is_closed
    )
    next_job = next((b for b in bookings if not b.work_order.is_closed), None)
    return _phone_page(
        request,
        technician,
        "field/my_jobs.html",
        {"bookings": bookings, "next_job": next_job, "day": today},
    )


@technician_required
@require_GET
def my_job(request: HttpRequest, pk: int) -> HttpResponse:
    technician = own_technician(request)
    booking = selectors.technician_job(technician, pk)
    if booking is None:
        messages.error(request, "That job is not on your day (any more).")
        return redirect("my_jobs")
    return _phone_page(
        request,
        technician,
        "field/my_job.html",
        {
            "booking": booking,
            "wo": booking.work_order,
            # One id per form for phones without JavaScript; phone.js makes one per send.
            "action_ids": {kind: uuid.uuid4() for kind in PhoneAction.Kind.values},
            "hold_reasons": WorkOrder.HoldReason.choices,
            "cannot_reasons": CannotCompleteReason.choices,
            "note_max": NOTE_MAX_CHARS,
            "max_photo_bytes": settings.MAX_IMAGE_UPLOAD_BYTES,
            "max_photos": settings.PHONE_MAX_PHOTOS,
        },
    )


class PhoneActionForm(forms.Form):
    action_id = forms.UUIDField(
        error_messages={
            "required": "The action has no id; reload the page and try again.",
            "invalid": "The action id is not valid; reload the page and try again.",
        }
    )
    kind = forms.ChoiceField(
        choices=PhoneAction.Kind.choices,
        error_messages={"invalid_choice": "“%(value)s” is not something a technician reports."},
    )
    note = forms.CharField(
        required=False,
        strip=False,
        max_length=NOTE_MAX_CHARS,
        error_messages={
            "max_length": f"The note is too long: at most {NOTE_MAX_CHARS} characters."
        },
    )
    hold_reason = forms.CharField(required=False, max_length=20)
    cannot_reason = forms.CharField(required=False, max_length=20)
    occurred_at = forms.DateTimeField(
        required=False, error_messages={"invalid": "The time of the action is not a valid time."}
    )


def _refused(request: HttpRequest, refusal: PhoneRefusal, back: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"ok": False, "code": refusal.code, "message": refusal.message},
            status=refusal.http_status,
        )
    messages.error(request, refusal.message)
    return redirect(back)


@technician_required
@require_POST
def my_job_action(request: HttpRequest, pk: int) -> HttpResponse:
    technician = own_technician(request)
    back = reverse("my_job", args=[pk])
    form = PhoneActionForm(request.POST)
    if not form.is_valid():
        return _refused(request, PhoneRefusal(RefusalCode.BAD_INPUT, form_errors(form)), back)
    data = form.cleaned_data
    action = ActionInput(
        action_id=data["action_id"],
        kind=PhoneAction.Kind(data["kind"]),
        work_order_id=pk,
        occurred_at=data["occurred_at"],
        note=data["note"],
        hold_reason=data["hold_reason"],
        cannot_reason=data["cannot_reason"],
        photos=tuple(f for f in request.FILES.getlist("photos") if f.size),
    )
    try:
        outcome = phone_action_apply(actor=request.user, technician=technician, action=action)
    except PhoneRefusal as refusal:
        return _refused(request, refusal, back)
    on_lane = selectors.technician_job(technician, pk) is not None
    target = back if on_lane else reverse("my_jobs")
    if _wants_json(request):
        return JsonResponse(
            {"ok": True, "status": outcome.status, "message": outcome.message, "next": target}
        )
    messages.success(request, outcome.message)
    return redirect(target)


@technician_required
@require_POST
def my_position(request: HttpRequest) -> HttpResponse:
    """The phone's position, about once a minute while on shift with the app open."""
    technician = own_technician(request)
    claimed = request.POST.get("technician", "")
    try:
        if claimed and claimed != str(technician.pk):
            raise PhoneRefusal(
                RefusalCode.NOT_YOURS, "Only your own position can be sent from your login."
            )
        outcome = positions.technician_position_record(
            technician=technician,
            latitude=request.POST.get("latitude", ""),
            longitude=request.POST.get("longitude", ""),
            accuracy_m=request.POST.get("accuracy", ""),
        )
    except PhoneRefusal as refusal:
        return _refused(request, refusal, reverse("my_jobs"))
    if _wants_json(request):
        eta = outcome.eta
        return JsonResponse(
            {
                "ok": True,
                "recorded_at": outcome.recorded_at.isoformat(),
                "eta": [eta[0].isoformat(), eta[1].isoformat()] if eta else None,
            }
        )
    messages.success(request, "Position sent.")
    return redirect("my_jobs")


ICON_SIZES = (192, 512)


@technician_required
@require_GET
def my_manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: installs /my/ as an app on the phone's home screen."""
    manifest = {
        "name": "FieldOps — My jobs",
        "short_name": "My jobs",
        "start_url": reverse("my_jobs"),
        "scope": reverse("my_jobs"),
        "display": "standalone",
        "background_color": "#f4f5f7",
        "theme_color": "#16213a",
        "icons": [
            {
                "src": static(f"img/phone-icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in ICON_SIZES
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


def _shell_urls() -> list[str]:
    """What the phone needs to open with no network (today's pages are added as visited)."""
    return [
        reverse("my_jobs"),
        static("css/app.css"),
        static("css/phone.css"),
        static("js/app.js"),
        static("js/phone.js"),
        static("vendor/htmx-2.0.11.min.js"),
        *(static(f"img/phone-icon-{size}.png") for size in ICON_SIZES),
    ]


@technician_required
@require_GET
def my_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /my/ so that its scope covers the phone pages.

    Its cache name changes with the shell's (hashed) static URLs, so a deploy
    replaces the cached shell."""
    source = Path(settings.BASE_DIR, "static", "js", "phone-sw.js").read_text()
    shell = _shell_urls()
    version = hashlib.sha1("\n".join([*shell, source]).encode()).hexdigest()[:12]
    config = f"const SHELL = {json.dumps(shell)};\nconst CACHE_VERSION = {json.dumps(version)};\n"
    response = HttpResponse(config + source, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
