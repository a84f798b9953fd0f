"""Number formats of the dashboard: durations, shares, hours."""

from django import template

register = template.Library()
DASH = "—"


@register.filter
def minutes(value) -> str:
    """142.5 → "2 h 23 min"; None → "—"."""
    if value is None:
        return DASH
    total = round(float(value))
    sign = "−" if total < 0 else ""
    total = abs(total)
    if total < 60:
        return f"{sign}{total} min"
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h"
    return f"{sign}{hours} h {mins:02d} min"


@register.filter
def percent(value) -> str:
    """0.873 → "87.3%"; None (nothing to divide) → "—"."""
    if value is None:
        return DASH
    return f"{float(value) * 100:.1f}%"


@register.filter
def hours(value) -> str:
    """Minutes → hours with one decimal."""
    if value is None:
        return DASH
    return f"{float(value) / 60:.1f} h"


@register.filter
def decimal1(value) -> str:
    if value is None:
        return DASH
    return f"{float(value):.1f}"
