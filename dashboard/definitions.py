"""What each dashboard figure means: shown next to the number and on its drill-down."""

from dataclasses import dataclass

from dashboard.sql import FOLLOW_UP_DAYS


@dataclass(frozen=True)
class Definition:
    title: str
    text: str


COHORT = (
    "Work orders received (created) in the date range that match the filters; "
    "cancelled work orders never count."
)

DEFINITIONS: dict[str, Definition] = {
    "received": Definition("Work orders received", COHORT),
    "response_met": Definition(
        "Response met",
        "Received in the range; a technician reported on site before the response due time "
        "(business time, pauses added).",
    ),
    "response_breached": Definition(
        "Response breached",
        "Received in the range; the on-site report came after the response due time, or it "
        "has not come and the due time has passed (a paused clock is judged when it paused).",
    ),
    "response_pending": Definition(
        "Response still running",
        "Received in the range; nobody on site yet and the response due time has not passed.",
    ),
    "resolution_met": Definition(
        "Resolution met", "Received in the range; completed before the resolution due time."
    ),
    "resolution_breached": Definition(
        "Resolution breached",
        "Received in the range; completed after the resolution due time, or still open "
        "with the due time passed.",
    ),
    "resolution_pending": Definition(
        "Resolution still running",
        "Received in the range; not completed and the resolution due time has not passed.",
    ),
    "response_at_risk_now": Definition(
        "Response at risk now",
        "Open work (received any time) with nobody on site yet, past the at-risk point "
        "(SLA_AT_RISK_FRACTION of the target left) but not yet due.",
    ),
    "resolution_at_risk_now": Definition(
        "Resolution at risk now",
        "Open work (received any time) not completed, past the at-risk point of the "
        "resolution target but not yet due.",
    ),
    "attainment": Definition(
        "SLA attainment",
        "Met ÷ (met + breached) for work received in the range; targets still running are "
        "left out until they are decided.",
    ),
    "breached": Definition(
        "Breaches by lateness",
        "Received in the range with the response or the resolution target missed, ordered "
        "by minutes past the missed due time (business pauses already extend due times).",
    ),
    "assigned": Definition(
        "Time to assign",
        "From receipt to the first booking ever made for the work order (even if later "
        "moved or released); median and 90th percentile over the assigned ones.",
    ),
    "arrived": Definition(
        "Time to arrive",
        "From receipt to the first on-site report (the response time the SLA measures); "
        "median and 90th percentile.",
    ),
    "completed": Definition("Completed", "Received in the range and completed."),
    "fixed_first_time": Definition(
        "First-time fix",
        f"Completed, and no other work order for the same site and job type was received in "
        f"the {FOLLOW_UP_DAYS} days after completion. Rate = first-time fixes ÷ completed; "
        f"jobs completed less than {FOLLOW_UP_DAYS} days ago can still lose the mark.",
    ),
    "not_fixed_first_time": Definition(
        "Needed a follow-up",
        f"Completed, and another work order for the same site and job type followed within "
        f"{FOLLOW_UP_DAYS} days.",
    ),
    "repeat_visits": Definition(
        "Repeat visits",
        f"Received in the range within {FOLLOW_UP_DAYS} days after an earlier work order for "
        f"the same site and job type was completed.",
    ),
    "arrivals": Definition(
        "Visits with a customer window",
        "Active bookings planned to start in the range (and already started) whose work order "
        "has a customer window.",
    ),
    "on_time": Definition(
        "On-time arrival",
        "Arrival inside the customer window: the arrival the technician's phone recorded, "
        "or the planned arrival (the booking's start) for visits without one.",
    ),
    "late_arrival": Definition(
        "Late arrival", "Planned arrival after the end of the customer window."
    ),
    "early_arrival": Definition(
        "Early arrival", "Planned arrival before the start of the customer window."
    ),
    "utilisation": Definition(
        "Utilisation",
        "Booked work (wrench time) ÷ rostered shift time over the range. Shift time comes from "
        "the weekly pattern and dated exceptions; time off is not deducted.",
    ),
    "wrench": Definition(
        "Wrench time",
        "Sum of booked job durations (booking start to end) of active bookings in the range.",
    ),
    "drive": Definition(
        "Drive time", "Sum of the planned drive before each active booking in the range."
    ),
    "jobs_per_day": Definition(
        "Jobs per technician per day", "Visits in the range ÷ rostered shift days."
    ),
    "technician_visits": Definition(
        "Visits", "Work orders with an active booking planned to start in the range."
    ),
    "wrong_skill": Definition(
        "Wrong-skill visits (must be 0)",
        "Completed visits whose technician lacked a valid certification for a required skill "
        "on the visit date: no certification, a lower level, or one that had expired.",
    ),
    "overrides": Definition(
        "Overrides",
        "Event-log entries of kind “Rule overridden” in the range: a manager placed a job "
        "despite a hard rule, with a written reason.",
    ),
    "plans_applied": Definition(
        "Optimizer runs accepted",
        "Plan runs applied (accepted) in the range, whatever the filters: a plan covers a day.",
    ),
    "texts": Definition(
        "Texts sent / failed",
        "Texts to customers of the filtered work orders queued in the range: sent = handed to "
        "the SMS provider (sent or delivered), failed = refused by it or undelivered. Texts "
        "not sent on purpose (no consent, opted out, quiet hours passed) count in neither.",
    ),
}
