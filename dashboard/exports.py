"""CSV export of every dashboard table (and of any drill-down list)."""

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone

from dashboard import kpis
from dashboard.filters import DashboardFilters

# A cell starting with one of these is a formula to a spreadsheet: text typed by users
# (customer names, summaries) is prefixed with an apostrophe so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:.1f}"
    if isinstance(value, int | bool):
        return str(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return response


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def tiers_table(f: DashboardFilters) -> tuple[list[str], list[list]]:
    rows = kpis.sla_by_tier(f)
    header = [
        "tier",
        "received",
        "response_met",
        "response_breached",
        "response_running",
        "response_attainment_pct",
        "response_at_risk_now",
        "resolution_met",
        "resolution_breached",
        "resolution_running",
        "resolution_attainment_pct",
        "resolution_at_risk_now",
    ]
    body = []
    for row in [*rows, kpis.sla_total(rows)]:
        body.append(
            [
                row.tier,
                row.received,
                *(
                    value
                    for counts in (row.response, row.resolution)
                    for value in (
                        counts.met,
                        counts.breached,
                        counts.pending,
                        _percent(counts.attainment),
                        counts.at_risk_now,
                    )
                ),
            ]
        )
    return header, body


def per_day_table(f: DashboardFilters) -> tuple[list[str], list[list]]:
    header = [
        "day",
        "tier",
        "response_met",
        "response_breached",
        "response_attainment_pct",
        "resolution_met",
        "resolution_breached",
        "resolution_attainment_pct",
    ]
    body = [
        [
            p.day,
            p.tier,
            p.response_met,
            p.response_breached,
            _percent(p.response_attainment),
            p.resolution_met,
            p.resolution_breached,
            _percent(p.resolution_attainment),
        ]
        for p in kpis.sla_per_day(f)
    ]
    return header, body


def breaches_table(f: DashboardFilters) -> tuple[list[str], list[list]]:
    header = [
        "number",
        "tier",
        "customer",
        "summary",
        "received_at",
        "minutes_late",
        "paused_business_minutes",
        "pauses",
        "pause_reasons",
    ]
    body = [
        [
            wo.number,
            wo.sla_policy.tier,
            wo.customer.name,
            wo.summary,
            timezone.localtime(wo.created_at),
            round(wo.minutes_late),
            wo.sla_paused_minutes,
            wo.pause_count,
            wo.pause_reasons or "",
        ]
        for wo in kpis.breaches(f, limit=None)
    ]
    return header, body


def technicians_table(f: DashboardFilters) -> tuple[list[str], list[list]]:
    header = [
        "technician",
        "team",
        "visits",
        "wrench_hours",
        "drive_hours",
        "available_hours",
        "utilisation_pct",
        "shift_days",
        "jobs_per_day",
        "visits_on_booked_time",
    ]
    body = [
        [
            r.name,
            r.team,
            r.jobs,
            round(r.wrench_minutes / 60, 2),
            round(r.drive_minutes / 60, 2),
            round(r.shift_minutes / 60, 2),
            _percent(r.utilisation),
            r.shift_days,
            None if r.jobs_per_day is None else round(r.jobs_per_day, 2),
            r.on_planned_time,
        ]
        for r in kpis.technicians(f)
    ]
    return header, body


def summary_rows(f: DashboardFilters) -> list[list]:
    """Every headline figure of the page, with its caveat counts, named for a spreadsheet.
    Empty cells are figures the page shows as "—" (nothing to divide, or withheld)."""
    speed, quality, arrivals = kpis.speed(f), kpis.quality(f), kpis.arrivals(f)
    activity, wrong_skill = kpis.activity(f), kpis.wrong_skill_visits(f)
    totals = kpis.technician_totals(kpis.technicians(f), f)
    total = kpis.sla_total(kpis.sla_by_tier(f))
    return [
        ["range_applies_to_date", f.basis_label],
        ["range_start", f.start],
        ["range_end", f.end],
        ["work_orders", total.received],
        ["response_attainment_pct", _percent(total.response.attainment)],
        ["resolution_attainment_pct", _percent(total.resolution.attainment)],
        ["response_at_risk_now", total.response.at_risk_now],
        ["resolution_at_risk_now", total.resolution.at_risk_now],
        ["time_to_assign_median_minutes", speed.assign.median_minutes],
        ["time_to_assign_p90_minutes", speed.assign.p90_minutes],
        ["time_to_assign_is_lower_bound", speed.assign.at_least],
        ["assigned", speed.assign.count],
        ["waiting_for_assignment", speed.assign.waiting],
        ["longest_wait_for_assignment_minutes", speed.assign.oldest_waiting_minutes],
        ["time_to_arrive_wall_clock_median_minutes", speed.arrive.median_minutes],
        ["time_to_arrive_wall_clock_p90_minutes", speed.arrive.p90_minutes],
        ["time_to_arrive_is_lower_bound", speed.arrive.at_least],
        ["arrived", speed.arrive.count],
        ["waiting_for_arrival", speed.arrive.waiting],
        ["received", quality.received],
        ["completed", quality.completed],
        ["completed_follow_up_window_closed", quality.decided],
        ["fixed_first_time", quality.fixed_first_time],
        ["first_time_fix_pct", _percent(quality.first_time_fix_rate)],
        ["completed_follow_up_window_open", quality.window_open],
        ["first_time_fix_provisional_pct", _percent(quality.provisional_rate)],
        ["repeat_visits", quality.repeat_visits],
        ["visits_with_window", arrivals.with_window],
        ["on_time_arrival", arrivals.on_time],
        ["on_time_arrival_pct", _percent(arrivals.on_time_rate)],
        ["early_arrival", arrivals.early],
        ["late_arrival", arrivals.late],
        ["arrivals_judged_on_planned_start", arrivals.on_planned_time],
        ["visits", totals.jobs],
        ["wrench_hours", round(totals.wrench_minutes / 60, 2)],
        ["drive_hours", round(totals.drive_minutes / 60, 2)],
        ["available_shift_hours", round(totals.shift_minutes / 60, 2)],
        ["utilisation_pct", _percent(totals.utilisation)],
        ["jobs_per_technician_day", totals.jobs_per_day],
        ["visits_on_booked_time", totals.on_planned_time],
        ["wrong_skill_visits", wrong_skill.in_range],
        ["wrong_skill_visits_planned_later", wrong_skill.later],
        ["overrides", activity.overrides],
        ["optimizer_runs_accepted", activity.plans.accepted],
        ["urgent_insertions_accepted", activity.plans.urgent],
        ["runs_for_impossible_days_left_out", activity.plans.impossible_day],
        ["texts_sent", activity.texts["sent"]],
        ["texts_failed", activity.texts["failed"]],
    ]


def summary_table(f: DashboardFilters) -> tuple[list[str], list[list]]:
    return ["figure", "value"], summary_rows(f)


TABLES = {
    "tiers": tiers_table,
    "per-day": per_day_table,
    "breaches": breaches_table,
    "technicians": technicians_table,
    "summary": summary_table,
}
