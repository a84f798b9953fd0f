"""Text templates: a fixed list of placeholders, the template in force for a kind,
the placeholder values for a work order (arrival window, tracking link), rendering,
SMS segment counting; and the words for a visit's expected arrival (`eta_words`),
shared by the `{eta}` placeholder and the tracking page so both say the same.

Templates are plain text with `{placeholder}`; anything else in braces is refused
when office staff save a template, so a typo can never reach a customer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import dateformat, timezone

from notifications.models import Kind, MessageTemplate, TrackingLink, Visit
from technicians.models import Technician
from workorders.models import WorkOrder

PLACEHOLDERS: dict[str, str] = {
    "company": "Your company name",
    "customer": "Customer's first name (first 20 characters)",
    "technician": "Technician's first name (first 20 characters)",
    "date": "Visit date, e.g. Tue Mar 3",
    "window": "Arrival window, e.g. 10:00 AM-12:00 PM",
    "eta": (
        "Expected arrival, a 30-minute window with its day unless it is today, "
        "e.g. 10:20-10:50 AM or tomorrow, 10:20-10:50 AM"
    ),
    "link": "Tracking page link",
    "number": "Work order number",
    "summary": "Work order summary (first 60 characters)",
}

DEFAULTS: dict[str, str] = {
    Kind.BOOKED: (
        "{company}: your visit {number} is booked for {date}, arriving {window}. "
        "Reply HELP for help, STOP to opt out."
    ),
    Kind.REMINDER: "{company}: reminder, we see you tomorrow, {date}, arriving {window}.",
    Kind.DISPATCHED: (
        "{company}: {technician} is your technician, expected {eta}. Follow the visit: {link}"
    ),
    Kind.ON_MY_WAY: "{company}: {technician} is on the way, arriving {eta}. Track: {link}",
    Kind.DELAY: "{company}: your visit has moved. We now expect to arrive {eta}.",
    Kind.RESCHEDULED: "{company}: your visit {number} is now on {date}, arriving {window}.",
    Kind.COMPLETED: "{company}: {number} is done ({summary}). Thank you!",
    Kind.CANCELLED: "{company}: your visit {number} is cancelled. Call us to book again.",
    Kind.HELP: (
        "{company}: texts about your service visits. Reply STOP to opt out, START to opt back in."
    ),
}

_TOKEN = re.compile(r"\{([^{}]*)\}")
MAX_TEMPLATE_CHARS = 640
# A text is limited by its worst case, not by the template's own length: a 640-character
# template of {link} repeated expands to 56 segments. Every placeholder has a longest
# value (free text is clipped to it when a text is written), so the worst case is known
# when the template is saved.
MAX_TEMPLATE_SEGMENTS = 4
PLACEHOLDER_MAX_CHARS: dict[str, int] = {
    "customer": 20,  # free text: clipped
    "technician": 20,  # free text: clipped
    "summary": 60,  # free text: clipped
    "number": 20,  # WorkOrder.number's max_length
    "date": 10,  # "Wed Sep 30"
    "window": 17,  # "10:00 AM-12:00 PM"
    "eta": 29,  # "Wed Sep 30, 11:55 AM-12:25 PM" (eta_words)
}
_FREE_TEXT = ("customer", "technician", "summary")
TRACKING_TOKEN_MAX_CHARS = 64  # TrackingLink.token's max_length


class TemplateError(ValueError):
    """A template that cannot be saved; the message names the problem."""


def validate_template(body: str) -> None:
    if not body.strip():
        raise TemplateError("The text is empty.")
    if len(body) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"The text is {len(body)} characters; at most {MAX_TEMPLATE_CHARS}.")
    unknown = [name for name in _TOKEN.findall(body) if name not in PLACEHOLDERS]
    if unknown:
        allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        listed = ", ".join(f"{{{name}}}" for name in dict.fromkeys(unknown))
        raise TemplateError(f"Unknown placeholder {listed}. Use only: {allowed}.")
    if "{" in _TOKEN.sub("", body) or "}" in _TOKEN.sub("", body):
        raise TemplateError("A brace is not closed: write placeholders as {name}.")
    worst = worst_case_count(body)
    if worst.segments > MAX_TEMPLATE_SEGMENTS:
        raise TemplateError(
            f"At its longest (every placeholder at its longest value) this text takes "
            f"{worst.segments} SMS segments; at most {MAX_TEMPLATE_SEGMENTS}. "
            "Shorten it or use fewer placeholders."
        )


def _worst_values(filler: str) -> dict[str, str]:
    base = settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/")
    values = {name: "0" * length for name, length in PLACEHOLDER_MAX_CHARS.items()}
    values |= {name: filler * PLACEHOLDER_MAX_CHARS[name] for name in _FREE_TEXT}
    return values | {
        "company": settings.NOTIFY_COMPANY_NAME,
        "link": f"{base}/t/{'x' * TRACKING_TOKEN_MAX_CHARS}/",
    }


def worst_case_count(body: str) -> SegmentCount:
    """The segments of `body` with every placeholder at its longest value. Free text
    is tried both outside GSM-7 (the whole text becomes UCS-2: 67 per segment) and as
    GSM-7 escapes (two septets a character); the worse one counts."""
    counts = [segment_count(render(body, _worst_values(filler))) for filler in ("Ж", "€")]
    # On a tie, UCS-2: what a name outside GSM-7 makes of the text.
    return max(counts, key=lambda count: (count.segments, count.encoding == "UCS-2"))


def render(body: str, values: dict[str, str]) -> str:
    return _TOKEN.sub(lambda match: values.get(match.group(1), ""), body).strip()


def sample_values() -> dict[str, str]:
    base = settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/")
    return {
        "company": settings.NOTIFY_COMPANY_NAME,
        "customer": "Jordan",
        "technician": "Alex",
        "date": "Tue Mar 3",
        "window": "10:00 AM-12:00 PM",
        "eta": "10:20-10:50 AM",
        "link": f"{base}/t/{'x' * 32}/",
        "number": "WO-000123",
        "summary": "Replace the water heater valve",
    }


# --------------------------------------------------------------------------- formatting


def local_time(value: datetime) -> str:
    return dateformat.format(timezone.localtime(value), "g:i A")


def local_date(value: datetime) -> str:
    return dateformat.format(timezone.localtime(value), "D M j")


def window_text(start: datetime, end: datetime) -> str:
    return f"{local_time(start)}-{local_time(end)}"


# --------------------------------------------------------------------------- expected arrival

# The customer is promised a half-hour around the expected arrival, not a minute: the
# text and the tracking page both say it in these words (a hyphen, not an en dash: an
# en dash is outside GSM-7 and would make the whole text UCS-2, half the length).
ETA_HALF_WINDOW = timedelta(minutes=15)


def visit_arrival(visit: Visit | None) -> datetime | None:
    """A visit's expected arrival: the technician's ETA once en route, else the plan."""
    if visit is None:
        return None
    return visit.eta_start or visit.starts_at


def eta_window(arrival: datetime) -> tuple[datetime, datetime]:
    """The half-hour window around an arrival, its middle floored to 5 minutes."""
    local = timezone.localtime(arrival)
    middle = local.replace(minute=local.minute - local.minute % 5, second=0, microsecond=0)
    return middle - ETA_HALF_WINDOW, middle + ETA_HALF_WINDOW


def eta_words(arrival: datetime, *, now: datetime | None = None) -> str:
    """ "9:55-10:25 AM" today, "tomorrow, 9:55-10:25 AM", "Thu Dec 3, 9:55-10:25 AM":
    the day is said whenever the window does not start on the day of `now` (for a
    text: when it goes out; for the page: when it is seen)."""
    start, end = eta_window(arrival)
    first, last = local_time(start), local_time(end)
    if first[-2:] == last[-2:]:  # same half of the day: "9:55-10:25 AM"
        first = first[:-3]
    span = f"{first}-{last}"
    today = timezone.localtime(now or timezone.now()).date()
    if start.date() == today:
        return span
    if start.date() == today + timedelta(days=1):
        return f"tomorrow, {span}"
    return f"{local_date(start)}, {span}"


def phone_words(e164: str) -> str:
    """A North American number as people write it, "(312) 555-0100"; others as given."""
    if re.fullmatch(r"\+1\d{10}", e164):
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


def first_name(name: str) -> str:
    return (name or "").strip().split(" ")[0] or "Your technician"


def clip(text: str, name: str) -> str:
    """Free text cut to its placeholder's longest value, counted in UTF-16 code units
    (what a UCS-2 segment holds), so a text never outgrows its template's worst case."""
    limit, used, kept = PLACEHOLDER_MAX_CHARS[name], 0, []
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            break
        kept.append(char)
    return "".join(kept)


def moment_words(at: datetime, *, now: datetime | None = None) -> str:
    """ "today at 3:40 PM", "yesterday at 3:40 PM", "Thu Dec 3 at 3:40 PM"."""
    day = timezone.localtime(at).date()
    today = timezone.localtime(now or timezone.now()).date()
    named = {today: "today", today - timedelta(days=1): "yesterday"}
    return f"{named.get(day) or local_date(at)} at {local_time(at)}"


# --------------------------------------------------------------------------- a work order's values


def arrival_window(work_order: WorkOrder, starts_at: datetime) -> tuple[datetime, datetime]:
    """The promised window if the planned start is in it, else one around the start."""
    if work_order.window_start and work_order.window_start <= starts_at <= work_order.window_end:
        return work_order.window_start, work_order.window_end
    local = timezone.localtime(starts_at)
    floor = local.replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)
    return floor, floor + timedelta(minutes=settings.NOTIFY_ARRIVAL_WINDOW_MINUTES)


def template_body(kind: str) -> str | None:
    """The body for a kind, or None when office staff switched the kind off."""
    row = MessageTemplate.objects.filter(kind=kind).first()
    if row is None:
        return DEFAULTS[kind]
    return row.body if row.enabled else None


def tracking_url(link: TrackingLink) -> str:
    return f"{settings.NOTIFY_PUBLIC_BASE_URL}/t/{link.token}/"


def placeholder_values(
    work_order: WorkOrder,
    *,
    technician: Technician | None = None,
    eta: datetime | None = None,
    link: TrackingLink | None = None,
    at: datetime | None = None,
) -> dict[str, str]:
    """The values for a text about `work_order`; `at` is when the text goes out (the
    ETA names its day unless that is the day of `at`; default now)."""
    values = {
        "company": settings.NOTIFY_COMPANY_NAME,
        "customer": clip(first_name(work_order.customer.name), "customer"),
        "number": work_order.number or "",
        "summary": clip(work_order.summary, "summary"),
        "technician": (
            clip(first_name(technician.display_name), "technician")
            if technician
            else "Your technician"
        ),
        "link": tracking_url(link) if link else "",
    }
    if eta is not None:
        start, end = arrival_window(work_order, eta)
        values |= {
            "date": local_date(eta),
            "eta": eta_words(eta, now=at),
            "window": window_text(start, end),
        }
    else:
        values |= {"date": "", "eta": "soon", "window": ""}
    return values


# --------------------------------------------------------------------------- segments

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int
    non_gsm: tuple[str, ...] = ()


def segment_count(text: str) -> SegmentCount:
    """How many SMS parts a body takes: GSM-7 160/153, else UCS-2 70/67."""
    non_gsm = tuple(dict.fromkeys(c for c in text if c not in _GSM7_BASIC | _GSM7_EXTENDED))
    if not non_gsm:
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 0 if units == 0 else 1 if units <= single else math.ceil(units / multi)
    return SegmentCount(
        encoding=encoding,
        units=units,
        segments=segments,
        per_segment=single if segments <= 1 else multi,
        non_gsm=non_gsm,
    )
