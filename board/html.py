"""Markup of the board's hot loops, assembled in Python.

A board of 2,000 bookings renders a dozen attributes per booking; through the
template engine that alone took over a second (variable resolution, URL
reversing and number localisation per booking). These two fragments are built
here, every piece of text escaped, and the templates place them as they are.
"""

from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from technicians.selectors import local_zone


class BoardUrls:
    """URL patterns reversed once per render, filled in per job."""

    def __init__(self, day: date) -> None:
        self.job = reverse("board_job", args=[day, 0]).replace("/0/", "/{}/")

        self.detail = reverse("work_order_detail", args=[0]).replace("/0/", "/{}/")


def _hhmm(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


def _replies_badge(count: int) -> str:
    if not count:
        return ""
    return (
        f'<span class="replies" title="{count} unread customer '
        f'{"reply" if count == 1 else "replies"}">✉ {count}</span>'
    )


SLA_WORDS = {"at_risk": "SLA at risk", "breached": "SLA missed"}


def _card_flags(view, wo) -> str:
    """Trouble in words as well as colour: the SLA state and a high priority."""
    flags = []
    words = SLA_WORDS.get(view.sla.value)
    if words:
        flags.append(f'<span class="flag flag-{view.sla.value}">{words}</span>')
    if wo.priority >= 3:
        flags.append(f'<span class="flag flag-priority">{escape(wo.get_priority_display())}</span>')
    if view.overrun:
        flags.append('<span class="flag flag-breached">running over</span>')
    return "".join(flags)


def track_html(views, urls: BoardUrls) -> SafeString:
    """The cards of one lane. Each says, as its width allows, the number, the planned
    time, trouble in words, the summary, the customer and window, and the status; the
    full details come on hover or keyboard focus (fetched once, see `board_card`)."""
    zone = local_zone()
    parts = []
    for view in views:
        wo, booking = view.work_order, view.booking
        pk = wo.pk
        starts, ends = _hhmm(booking.starts_at, zone), _hhmm(booking.ends_at, zone)
        classes = f"booking sla-{view.sla.value} status-{wo.status} " + (
            "started" if view.started else "draggable"
        )
        if view.overrun:
            classes += " overrun"
        if wo.priority >= 3:
            classes += " high-priority"
        window = (
            f" · window {_hhmm(wo.window_start, zone)}–{_hhmm(wo.window_end, zone)}"
            if wo.window_start and wo.window_end
            else ""
        )
        status = escape(wo.get_status_display())
        if view.actual:
            status += f' · <span class="booking-actual">{escape(view.actual)}</span>'
        job_url = urls.job.format(pk)
        # Lean markup: a board holds thousands of cards. The link opens the job panel
        # (board.js turns it into an htmx request); the hover/focus details are fetched
        # by board.js from the board's card URL, so no card carries them.
        parts.append(
            f'<li class="{classes}" data-work-order="{pk}" style="margin-left:{view.margin_pct}%;width:{view.width_pct}%">'
            f'<span class="travel" style="width:{view.travel_pct_of_booking}%"></span>'
            f'<span class="card-top"><a class="card-number" href="{job_url}">{escape(wo.number)}</a>'
            f' <span class="card-time">{starts}–{ends}</span>{_card_flags(view, wo)}{_replies_badge(view.replies)}</span>'
            f'<span class="card-summary">{escape(wo.summary)}</span>'
            f'<span class="card-customer">{escape(wo.customer_name)}{window}</span>'
            f'<span class="card-status">{status}</span></li>'
        )
    return mark_safe("".join(parts))  # every interpolated text is escaped above


def lane_html(lane, now_pct: float | None, oob: bool) -> SafeString:
    """One technician's row: header, shift and time-off background, and the jobs."""
    tech = lane.technician
    background = []
    if lane.shift:
        background.append(
            f'<div class="shift" style="left:{lane.shift_left}%;width:{lane.shift_width}%"></div>'
        )
    for left, width, kind in lane.absences:
        background.append(
            f'<div class="absence" style="left:{left}%;width:{width}%">{escape(kind)}</div>'
        )
    if now_pct is not None:
        background.append(f'<div class="now" style="left:{now_pct}%"></div>')
    name = escape(tech.display_name)
    swap = ' hx-swap-oob="outerHTML"' if oob else ""
    return mark_safe(  # every interpolated text is escaped
        f'<div class="lane state-{lane.state}" id="lane-{tech.pk}"{swap}>'
        f'<div class="lane-head"><strong>{name}</strong>'
        f'<span class="tech-state">{escape(lane.state_detail)}</span>'
        f"<small>{escape(tech.team)} · {lane.booked_minutes} min</small></div>"
        f'<div class="lane-body"><div class="lane-bg" aria-hidden="true">{"".join(background)}</div>'
        f'<ol class="track" data-list="lane" data-sortable data-technician="{tech.pk}" '
        f'data-fingerprint="{lane.fingerprint}" aria-label="Jobs of {name}">{lane.track_html}</ol></div></div>'
    )


def queue_html(items, urls: BoardUrls) -> SafeString:
    parts = []
    for item in items:
        wo = item.work_order
        pk = wo.pk
        due = f' data-due="{item.due_at.isoformat()}"' if item.due_at else ""
        priority = (
            f" · <strong>{escape(wo.get_priority_display())}</strong>" if wo.priority >= 3 else ""
        )
        skills = f" · {escape(item.skills)}" if item.skills else ""
        job_url = urls.job.format(pk)
        parts.append(
            f'<li id="queue-item-{pk}" class="queue-item draggable sla-{item.sla.value}" data-work-order="{pk}">'
            f'<div class="qi-top"><a href="{urls.detail.format(pk)}" class="wo-number">{escape(wo.number)}</a>'
            f'{_replies_badge(item.replies)}<span class="countdown sla-{item.sla.value}"{due}>{escape(item.sla.label)}</span></div>'
            f'<div class="qi-summary">{escape(wo.summary)}</div>'
            f'<div class="qi-meta">{wo.estimated_minutes} min · {escape(wo.tier)}{priority}{skills}</div>'
            f'<a class="place" href="{job_url}" hx-get="{job_url}" hx-target="#board-dialog-body">Who should take this? / Place…</a></li>'
        )
    if not parts:
        return mark_safe('<li class="empty">No unassigned work orders.</li>')
    return mark_safe("".join(parts))  # every interpolated text is escaped above
