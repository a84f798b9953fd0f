"""The dashboard's date range and filters, parsed once and passed to every panel."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from dispatch.days import FIRST_DAY, LAST_DAY, day_in_range
from technicians.models import Skill, Technician
from technicians.selectors import at_local
from workorders.models import Customer, SLAPolicy

DEFAULT_DAYS = 30
MAX_DAYS = 400

# Which date of a work order puts it in the range: the moment it was received, the
# moment its resolution fell due, or the moment it was completed ("what did we close
# this month?"). Visits (arrivals, utilisation, wrong-skill) always go by the visit's day.
BASES = {
    "received": ("created_at", "received"),
    "due": ("resolution_due_at", "due for resolution"),
    "closed": ("resolved_at", "completed"),
}
DEFAULT_BASIS = "received"


@dataclass(frozen=True)
class DashboardFilters:
    start: date
    end: date  # inclusive
    now: datetime
    tier: int | None = None
    customer: int | None = None
    team: str = ""
    skill: int | None = None
    technician: int | None = None
    basis: str = DEFAULT_BASIS

    @property
    def basis_field(self) -> str:
        """The WorkOrder field the date range applies to."""
        return BASES[self.basis][0]

    @property
    def basis_label(self) -> str:
        """ "received", "due for resolution" or "completed": how the page names the range."""
        return BASES[self.basis][1]

    @property
    def work_filtered(self) -> bool:
        """A filter on the work itself (tier, customer, skill), not on who did it."""
        return bool(self.tier or self.customer or self.skill)

    @classmethod
    def default(cls, now: datetime | None = None) -> "DashboardFilters":
        now = now or timezone.now()
        today = timezone.localdate(now)
        return cls(start=today - timedelta(days=DEFAULT_DAYS - 1), end=today, now=now)

    @property
    def starts_at(self) -> datetime:
        return at_local(self.start, time.min)

    @property
    def ends_at(self) -> datetime:
        """Exclusive upper bound: midnight after the last day."""
        return at_local(self.end + timedelta(days=1), time.min)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def params(self, **overrides) -> dict[str, str]:
        """The filters as query parameters (links to drill-downs and exports keep them)."""
        merged = replace(self, **overrides) if overrides else self
        values = {
            "start": merged.start.isoformat(),
            "end": merged.end.isoformat(),
            "tier": merged.tier,
            "customer": merged.customer,
            "team": merged.team,
            "skill": merged.skill,
            "technician": merged.technician,
            "basis": "" if merged.basis == DEFAULT_BASIS else merged.basis,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    def query(self, **overrides) -> str:
        return urlencode(self.params(**overrides))


# The dashboard accepts the days the board covers (one range, dispatch/days.py).


class DashboardFilterForm(forms.Form):
    field_order = ["start", "end", "basis"]
    basis = forms.ChoiceField(
        required=False,
        label="Range by",
        choices=[(key, f"date {label}") for key, (_, label) in BASES.items()],
    )
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    tier = forms.ModelChoiceField(
        required=False, queryset=SLAPolicy.objects.all(), empty_label="Any tier", label="SLA tier"
    )
    customer = forms.ModelChoiceField(
        required=False, queryset=Customer.objects.order_by("name"), empty_label="Any customer"
    )
    team = forms.ChoiceField(required=False, choices=[("", "Any team")])
    skill = forms.ModelChoiceField(
        required=False, queryset=Skill.objects.all(), empty_label="Any skill"
    )
    technician = forms.ModelChoiceField(
        required=False,
        queryset=Technician.objects.order_by("display_name"),
        empty_label="Any technician",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teams = (
            Technician.objects.exclude(team="")
            .order_by("team")
            .values_list("team", flat=True)
            .distinct()
        )
        self.fields["team"].choices = [("", "Any team"), *((team, team) for team in teams)]

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not day_in_range(day):
                self.add_error(name, f"Choose a day from {FIRST_DAY} to {LAST_DAY}.")
                data[name] = None
        # The range the dashboard will show, with the defaults filled in, is what counts.
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise ValidationError("The range must end on or after its first day.")
        if (end - start).days >= MAX_DAYS:
            raise ValidationError(f"Choose at most {MAX_DAYS} days.")
        return data

    def to_filters(self, now: datetime | None = None) -> DashboardFilters:
        """The filters the form describes; the defaults when it is invalid or empty."""
        default = DashboardFilters.default(now)
        if not self.is_valid():
            return default
        data = self.cleaned_data
        end = data.get("end") or default.end
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        return replace(
            default,
            start=start,
            end=end,
            tier=data["tier"].pk if data.get("tier") else None,
            customer=data["customer"].pk if data.get("customer") else None,
            team=data.get("team") or "",
            skill=data["skill"].pk if data.get("skill") else None,
            technician=data["technician"].pk if data.get("technician") else None,
            basis=data.get("basis") or DEFAULT_BASIS,
        )
