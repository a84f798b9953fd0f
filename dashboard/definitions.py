"""What each dashboard figure means: shown next to the number and on its drill-down.

Every definition names four things a manager needs to defend a number: who is
counted (population), on which clock, from which recorded times, and what is left
out. "{cohort}" in a text becomes the range's basis ("received in the range",
"completed in the range", …), so the words always match the query.
"""

from dataclasses import dataclass, replace

from dashboard.filters import DashboardFilters
from dashboard.sql import FOLLOW_UP_DAYS

WALL = "Wall clock: real elapsed time, nights, weekends and SLA pauses included."
BUSINESS = (
    "The SLA's business clock: each tier's business hours (or 24/7), with paused time "
    "added to the due times."
)
NO_CLOCK = "None: a count, not a duration."
CANCELLED = "Cancelled work orders."


@dataclass(frozen=True)
class Definition:
    title: str
    population: str
    clock: str
    timestamps: str
    excluded: str

    @property
    def parts(self) -> list[tuple[str, str]]:
        return [
            ("Counts", self.population),
            ("Clock", self.clock),
            ("Times used", self.timestamps),
            ("Left out", self.excluded),
        ]

    @property
    def text(self) -> str:
        return " ".join(f"{label}: {value}" for label, value in self.parts)

    def for_basis(self, cohort: str) -> "Definition":
        return replace(
            self,
            population=self.population.replace("{cohort}", cohort),
            timestamps=self.timestamps.replace("{cohort}", cohort),
            excluded=self.excluded.replace("{cohort}", cohort),
        )


def _d(title: str, population: str, clock: str, timestamps: str, excluded: str) -> Definition:
    return Definition(title, population, clock, timestamps, excluded)


SLA_TIMES = "The stored response and resolution due times; the on-site report and completion."
VISIT_ARRIVAL = (
    "The arrival the technician's phone recorded on the visit, else the on-site time "
    "recorded on the work order; only where neither exists, the planned start (the page "
    "says how many)."
)

DEFINITIONS: dict[str, Definition] = {
    "received": _d(
        "Work orders",
        "Work orders {cohort} that match the filters.",
        NO_CLOCK,
        "The date the range applies to (chosen above).",
        CANCELLED,
    ),
    "response_met": _d(
        "Response met",
        "Work orders {cohort} whose technician reported on site at or before the "
        "response due time.",
        BUSINESS,
        SLA_TIMES,
        CANCELLED,
    ),
    "response_breached": _d(
        "Response breached",
        "Work orders {cohort} with the on-site report after the response due time, or "
        "none yet and the due time passed (a paused clock is judged when it paused).",
        BUSINESS,
        SLA_TIMES,
        CANCELLED,
    ),
    "response_pending": _d(
        "Response still running",
        "Work orders {cohort} with nobody on site yet and the response due time not passed.",
        BUSINESS,
        SLA_TIMES,
        CANCELLED,
    ),
    "resolution_met": _d(
        "Resolution met",
        "Work orders {cohort} completed at or before the resolution due time.",
        BUSINESS,
        SLA_TIMES,
        CANCELLED,
    ),
    "resolution_breached": _d(
        "Resolution breached",
        "Work orders {cohort} completed after the resolution due time, or still open with "
        "the due time passed.",
        BUSINESS,
        SLA_TIMES,
        CANCELLED,
    ),
    "resolution_pending": _d(
        "Resolution still running",
        "Work orders {cohort} not completed, resolution due time not passed.",
        BUSINESS,
        SLA_TIMES,
        CANCELLED,
    ),
    "response_at_risk_now": _d(
        "Response at risk now",
        "Open work (whatever its dates) with nobody on site yet, past the at-risk point "
        "(SLA_AT_RISK_FRACTION of the target left) but not yet due.",
        BUSINESS,
        "The stored at-risk and due times, now.",
        "Completed and cancelled work; work already breached on either target (it is a "
        "breach, counted with the breaches).",
    ),
    "resolution_at_risk_now": _d(
        "Resolution at risk now",
        "Open work (whatever its dates) not completed, past the at-risk point of the "
        "resolution target but not yet due.",
        BUSINESS,
        "The stored at-risk and due times, now.",
        "Completed and cancelled work; work already late on its response: it is a breach "
        "already, never shown as “at risk”.",
    ),
    "attainment": _d(
        "SLA attainment",
        "Met ÷ (met + breached) over work orders {cohort}.",
        BUSINESS,
        SLA_TIMES,
        "Targets still running (they count once decided); " + CANCELLED.lower(),
    ),
    "breached": _d(
        "Breaches by lateness",
        "Work orders {cohort} with the response or the resolution target missed, ordered "
        "by minutes past the missed due time.",
        BUSINESS + " Lateness is wall-clock minutes past that due time.",
        SLA_TIMES,
        CANCELLED,
    ),
    "assigned": _d(
        "Time to assign",
        "Work orders {cohort}: those booked, from receipt to their first booking; and those "
        "still open, never booked and with nobody on site, at their age now. A wait still going on is at least "
        "that long, so while any are waiting the median and p90 are lower bounds "
        "(“at least”); the ones waiting are shown beside it.",
        WALL,
        "Received (created); the first booking ever made (even if later moved or released).",
        "Cancelled work; work closed without ever being booked (it never waited for a technician).",
    ),
    "waiting_assignment": _d(
        "Waiting for a technician",
        "Work orders {cohort} still open, never booked, nobody on site.",
        WALL,
        "Received (created), now.",
        CANCELLED,
    ),
    "arrived": _d(
        "Time to arrive (wall clock)",
        "Work orders {cohort}: those with an on-site report, from receipt to the first one; "
        "and those still open with nobody on site, at their age now (so, while any are "
        "waiting, “at least”).",
        WALL + " This is not the SLA's response time, which runs on business hours with "
        "pauses: see “Response SLA met” for that.",
        "Received (created); the first on-site report (the phone's, or the office's).",
        "Cancelled work; work closed without an on-site report.",
    ),
    "waiting_arrival": _d(
        "Waiting for a technician on site",
        "Work orders {cohort} still open with nobody on site yet.",
        WALL,
        "Received (created), now.",
        CANCELLED,
    ),
    "completed": _d(
        "Completed",
        "Work orders {cohort} and completed.",
        NO_CLOCK,
        "Completion.",
        CANCELLED,
    ),
    "fixed_first_time": _d(
        "First-time fix",
        f"Completed work orders {{cohort}} whose {FOLLOW_UP_DAYS}-day follow-up window has "
        f"closed (completed at least {FOLLOW_UP_DAYS} days ago); fixed first time when no "
        f"other work order for the same site and job type was received within those "
        f"{FOLLOW_UP_DAYS} days. Rate = fixed first time ÷ those jobs.",
        WALL + f" ({FOLLOW_UP_DAYS} calendar days).",
        "Completion; the next work order's receipt.",
        f"Jobs completed less than {FOLLOW_UP_DAYS} days ago: they can still need a "
        f"follow-up, so they only give the provisional rate shown beside it; " + CANCELLED.lower(),
    ),
    "not_fixed_first_time": _d(
        "Needed a follow-up",
        f"Completed work orders {{cohort}}, window closed, for which another work order for "
        f"the same site and job type was received within {FOLLOW_UP_DAYS} days.",
        WALL,
        "Completion; the next work order's receipt.",
        f"Jobs still inside their {FOLLOW_UP_DAYS} days; " + CANCELLED.lower(),
    ),
    "follow_up_window_open": _d(
        "Completed, follow-up window still open",
        f"Completed work orders {{cohort}} completed less than {FOLLOW_UP_DAYS} days ago: "
        f"whether they were fixed first time is not known yet.",
        WALL,
        "Completion.",
        CANCELLED,
    ),
    "repeat_visits": _d(
        "Repeat visits",
        f"Work orders {{cohort}} received within {FOLLOW_UP_DAYS} days after an earlier work "
        f"order for the same site and job type was completed.",
        WALL,
        "Receipt; the earlier order's completion.",
        CANCELLED,
    ),
    "arrivals": _d(
        "Visits with a customer window",
        "Visits (active bookings) planned to start in the range whose work order has a "
        "customer window, once arrived (or, with no arrival recorded, once the planned "
        "start has passed). The range is by visit day, whatever the choice above.",
        WALL,
        VISIT_ARRIVAL,
        "Visits without a customer window; released bookings; cancelled work.",
    ),
    "on_time": _d(
        "On-time arrival",
        "Visits with a customer window whose arrival was inside the window ÷ all of them.",
        WALL,
        VISIT_ARRIVAL,
        "Visits without a customer window; released bookings; cancelled work.",
    ),
    "arrival_on_planned_time": _d(
        "Judged on the planned start",
        "Visits with a customer window and no recorded arrival: judged on their planned start.",
        WALL,
        "The booking's planned start.",
        "Visits with a recorded arrival.",
    ),
    "late_arrival": _d(
        "Late arrival",
        "Visits with a customer window that arrived after the window's end.",
        WALL,
        VISIT_ARRIVAL,
        "Visits without a customer window.",
    ),
    "early_arrival": _d(
        "Early arrival",
        "Visits with a customer window that arrived before the window's start.",
        WALL,
        VISIT_ARRIVAL,
        "Visits without a customer window.",
    ),
    "utilisation": _d(
        "Utilisation",
        "Wrench time of the technicians' visits in the range ÷ their available shift time: "
        "the rostered shift (weekly pattern or that day's exception) less time off, and "
        "never more than the technician's maximum daily hours.",
        WALL,
        "The phone's arrival and finish of each visit, else (stated on the page) the "
        "booked start and end; shift patterns, exceptions, time off.",
        "With a tier, customer or skill filter no utilisation is shown: shift time cannot "
        "be split by tier, customer or skill, and dividing part of the work by all of "
        "the time would understate it. Team and technician filters apply to both sides.",
    ),
    "wrench": _d(
        "Wrench time",
        "Time on site working, summed over the visits (active bookings) in the range.",
        WALL,
        "The phone's arrival → finish; the booked start → end where the phone recorded "
        "neither (or only one).",
        "Released bookings; cancelled work.",
    ),
    "drive": _d(
        "Drive time",
        "Time driving to each visit in the range.",
        WALL,
        "The phone's en route → arrival; the planned drive where those were not recorded.",
        "Released bookings; cancelled work.",
    ),
    "jobs_per_day": _d(
        "Jobs per technician per day",
        "Visits in the range ÷ days with available shift time.",
        NO_CLOCK,
        "Planned visit day; shift patterns, exceptions, time off.",
        "Days entirely off; not shown with a tier, customer or skill filter (as utilisation).",
    ),
    "technician_visits": _d(
        "Visits",
        "Work orders with an active booking planned to start in the range.",
        NO_CLOCK,
        "The booking's planned start.",
        "Released bookings; cancelled work.",
    ),
    "wrong_skill": _d(
        "Wrong-skill visits (must be 0)",
        "Visits in the range, whatever their status (scheduled, under way or completed), "
        "whose technician lacked a valid certification for a required skill on the visit "
        "date: none, a lower level, or one that had expired. Visits planned after the "
        "range are counted beside it.",
        NO_CLOCK,
        "The visit's planned day; certification levels and expiry dates.",
        "Released bookings; cancelled work.",
    ),
    "wrong_skill_later": _d(
        "Wrong-skill visits planned after the range",
        "Visits planned after the range whose technician lacks a valid certification for a "
        "required skill on the visit date.",
        NO_CLOCK,
        "The visit's planned day; certification levels and expiry dates.",
        "Released bookings; cancelled work.",
    ),
    "overrides": _d(
        "Overrides",
        "Event-log entries “Rule overridden” in the range for the filtered work: a manager "
        "placed a job despite a hard rule, with a written reason.",
        NO_CLOCK,
        "When the override was recorded.",
        "Cancelled work.",
    ),
    "plans_applied": _d(
        "Optimizer runs accepted",
        "Optimizer runs (a day planned for everyone) accepted in the range, whatever the "
        "filters (a plan covers a whole day). Urgent insertions and field re-plans accepted "
        "are counted beside it, not in it.",
        NO_CLOCK,
        "When the run was accepted; the day it planned.",
        "Runs for an impossible day (outside 2000–2099, or more than a year from the day "
        "they were accepted): stored bad input, not planning; the page says how many.",
    ),
    "texts": _d(
        "Texts sent / failed",
        "Texts to customers queued in the range for the filtered work, cancelled work "
        "included (its booking and cancellation texts did go out): sent = handed to the SMS "
        "provider (sent or delivered), failed = refused by it or undelivered. With no "
        "filter, texts tied to no work order (replies to HELP) count too.",
        NO_CLOCK,
        "When the text was queued.",
        "Texts not sent on purpose (no consent, opted out, rate limit) count in neither.",
    ),
}


def definitions_for(f: DashboardFilters) -> dict[str, Definition]:
    """The definitions in the words of the chosen range basis."""
    cohort = f"{f.basis_label} in the range"
    return {key: definition.for_basis(cohort) for key, definition in DEFINITIONS.items()}
