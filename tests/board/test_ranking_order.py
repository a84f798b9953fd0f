"""The ranking's order can be trusted: a technician who would break a rule of the day
(hours, shift, other visits' SLA) is never above one who would not, whatever their
arrival; and the order and its components are said in words."""

import html
from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.assignment import board_assign
from dispatch.ranking import Standing, minutes_text, rank_technicians
from tests.board.helpers import board_day, hvac, job, local, technician
from tests.factories import SLAPolicyFactory
from workorders.models import SLAPolicy

pytestmark = pytest.mark.django_db


def _fill(dispatcher, tech, day, jobs):
    for position, work_order in enumerate(jobs):
        board_assign(
            actor=dispatcher,
            work_order=work_order,
            technician=tech,
            day=day,
            position=position,
            confirm=True,
        )


def test_an_overloaded_technician_who_arrives_first_is_ranked_below_one_with_room(dispatcher):
    day = board_day()
    # Busy lives next to the job and has the earliest free minute after his first job,
    # but his day already holds 9 h of work against an 8 h limit.
    busy = technician(
        "Busy",
        day,
        starts=time(7),
        ends=time(19),
        max_daily_hours=8,
        home_latitude=41.89,
        home_longitude=-87.62,
    )
    _fill(dispatcher, busy, day, [job(minutes=90) for _ in range(6)])
    # Roomy starts later and farther away, with a free day.
    roomy = technician(
        "Roomy", day, starts=time(9), ends=time(17), home_latitude=42.0, home_longitude=-87.7
    )
    ranking = rank_technicians(job(minutes=30), day)
    by_name = {c.technician.display_name: c for c in ranking.candidates}
    assert by_name["Busy"].standing == Standing.BREAKS_DAY
    assert by_name["Roomy"].standing == Standing.CLEAN
    assert [c.technician for c in ranking.candidates] == [roomy, busy]
    assert "Longer day than Busy's 8 h limit" in [n.text for n in by_name["Busy"].notes]
    assert by_name["Busy"].capacity_text.endswith(" over")


def test_pushing_other_visits_past_their_sla_ranks_below_an_on_time_day(dispatcher):
    day = board_day()
    # Two jobs on Early's lane must be reached by 09:30; Early can reach them in time
    # only if nothing is put before them.
    due = local(day, 9, 30)
    tight = SLAPolicyFactory(
        tier="Tight",
        calendar=SLAPolicy.Calendar.ALWAYS,
        response_minutes=int((due - timezone.now()).total_seconds() // 60),
        resolution_minutes=7 * 24 * 60,
    )
    early = technician("Early", day, starts=time(8), ends=time(17))
    later = technician("Later", day, starts=time(8, 30), ends=time(17))
    _fill(dispatcher, early, day, [job(minutes=30, policy=tight) for _ in range(2)])
    ranking = rank_technicians(job(minutes=120), day)
    by_name = {c.technician.display_name: c for c in ranking.candidates}
    pushes = by_name["Early"]
    # Early's earliest slot is first in the day (08:00, before Later's shift starts),
    # and it makes both tight jobs late.
    assert pushes.position == 0 and pushes.arrival < by_name["Later"].arrival
    assert pushes.standing == Standing.BREAKS_DAY
    assert "Pushes 2 other visits past their SLA" in [n.text for n in pushes.notes]
    assert [c.technician for c in ranking.candidates] == [later, early]
    assert pushes.why == "Below: breaks a rule of the day."


def test_within_a_standing_the_earliest_arrival_comes_first():
    day = board_day()
    near = technician("Near", day, home_latitude=41.89, home_longitude=-87.62)
    far = technician("Far", day, home_latitude=42.05, home_longitude=-87.70)
    ranking = rank_technicians(job(), day)
    assert [c.technician for c in ranking.candidates] == [near, far]
    assert {c.standing for c in ranking.candidates} == {Standing.CLEAN}
    assert ranking.candidates[0].why.startswith("First: breaks no rule")
    assert ranking.candidates[1].why.startswith("Arrives ")


def test_time_is_said_in_hours_and_minutes():
    assert minutes_text(0) == "0 min"
    assert minutes_text(45) == "45 min"
    assert minutes_text(60) == "1 h"
    assert minutes_text(2351) == "39 h 11 min"
    assert minutes_text(-125) == "−2 h 05 min"


def test_the_panel_says_the_order_and_each_component_in_words(client, dispatcher):
    day = board_day()
    skill = hvac()
    technician("Near", day, skills=[(skill, 3, None)], home_latitude=41.89, home_longitude=-87.62)
    work_order = job(skill, level=2)
    client.force_login(dispatcher)
    page = html.unescape(
        client.get(reverse("board_job", args=[day, work_order.pk])).content.decode()
    )
    assert "First those who break no rule" in page
    assert "to spare" in page and " left" in page and "min" in page
    assert "First: breaks no rule, arrives earliest" in page
