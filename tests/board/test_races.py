"""Two dispatchers at the same moment, on two real database connections."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg.errors import DeadlockDetected

from dispatch.assignment import LaneConflict, board_assign
from dispatch.models import Booking
from tests.board.helpers import board_day, current_fingerprint, job, local, technician
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*actions):
    barrier = threading.Barrier(len(actions))
    results: list[str] = []

    def runner(action):
        try:
            barrier.wait(timeout=10)
            results.append(action())
        except Exception as error:  # recorded and asserted on below
            results.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def test_two_drops_on_the_same_slot_one_wins_one_gets_a_conflict():
    day = board_day()
    dispatcher_a, dispatcher_b = UserFactory(role="dispatcher"), UserFactory(role="dispatcher")
    tech = technician("Maria", day)
    first, second = job(), job()
    seen = current_fingerprint(tech.pk, day)

    def drop(actor, work_order):
        def action():
            board_assign(
                actor=actor,
                work_order=work_order,
                technician=tech,
                day=day,
                position=0,
                expected_fingerprints={tech.pk: seen},
            )
            return "assigned"

        return action

    results = run_together(drop(dispatcher_a, first), drop(dispatcher_b, second))
    assert results == [LaneConflict.__name__, "assigned"]
    assert Booking.objects.filter(state="active").count() == 1


def test_the_database_refuses_an_overlap_even_without_the_application_lock():
    day = board_day()
    tech = technician("Maria", day)
    first, second = job(), job()

    def insert(work_order, start):
        def action():
            try:
                with transaction.atomic():
                    Booking.objects.create(
                        work_order=work_order,
                        technician=tech,
                        starts_at=start,
                        ends_at=start + timedelta(hours=1),
                    )
            except OperationalError as error:
                # When both inserts check the exclusion constraint at the same instant,
                # each waits for the other and PostgreSQL breaks the deadlock by failing
                # one (its documentation of EXCLUDE warns of this): a refusal too.
                if isinstance(error.__cause__, DeadlockDetected):
                    return "refused"
                raise
            except IntegrityError:
                return "refused"
            return "inserted"

        return action

    results = run_together(insert(first, local(day, 9)), insert(second, local(day, 9, 30)))
    assert results == ["inserted", "refused"]
    assert Booking.objects.filter(state="active").count() == 1
