"""STOP blocks a number; START restores only those who had consented (issue 25, finding 5)."""

import pytest

from notifications import consent, inbound, services
from notifications.models import OutboundMessage
from tests.factories import CustomerFactory, SiteFactory, make_work_order
from tests.notifications.conftest import local, plan
from workorders.models import Event

pytestmark = pytest.mark.django_db

SHARED = "+13125550177"


def receive(body: str, sid: str):
    return inbound.inbound_receive(provider_sid=sid, from_number=SHARED, to_number="+1", body=body)


@pytest.fixture
def household():
    """Three customers on one phone: two agreed to texts, one never did."""
    return {
        "ana": CustomerFactory(name="Ana", phone=SHARED, sms_consent=True),
        "ben": CustomerFactory(name="Ben", phone=SHARED, sms_consent=True),
        "cal": CustomerFactory(name="Cal", phone=SHARED, sms_consent=False),
    }


def refreshed(household):
    for customer in household.values():
        customer.refresh_from_db()
    return household


def test_stop_blocks_the_number_for_everyone_who_shares_it(household):
    receive("STOP", "SM1")
    for customer in refreshed(household).values():
        assert customer.sms_opted_out_at is not None
        assert not customer.may_receive_sms


def test_start_restores_only_the_customers_who_had_consented(household):
    receive("STOP", "SM1")
    receive("START", "SM2")
    people = refreshed(household)
    assert people["ana"].may_receive_sms and people["ben"].may_receive_sms
    assert people["cal"].sms_opted_out_at is None  # the block is lifted …
    assert not people["cal"].sms_consent and not people["cal"].may_receive_sms  # … not consent
    assert Event.objects.filter(customer=people["ana"], summary="Ana opted in to texts again")
    assert Event.objects.filter(
        customer=people["cal"], summary__contains="the customer never consented"
    ).exists()


def test_after_start_texts_go_to_the_consented_only(household, tech):
    receive("STOP", "SM1")
    receive("START", "SM2")
    jobs = {
        name: make_work_order(site=SiteFactory(customer=customer))
        for name, customer in household.items()
    }
    for job in jobs.values():
        plan(job, tech, local(1, 9))
    texted = set(OutboundMessage.objects.values_list("customer__name", flat=True))
    assert texted == {"Ana", "Ben"}


def test_start_without_a_stop_changes_nothing(household):
    assert consent.customer_opt_in(customer_ids=[c.pk for c in household.values()], reason="x") == 0
    receive("START", "SM1")
    assert not refreshed(household)["cal"].sms_consent
    assert not Event.objects.filter(summary__contains="opted in").exists()


def test_start_counts_those_who_may_be_texted_again(household):
    ids = [c.pk for c in household.values()]
    consent.customer_opt_out(customer_ids=ids, reason="Replied STOP")
    assert consent.customer_opt_in(customer_ids=ids, reason="Replied START") == 2


def test_a_status_text_after_start_reaches_a_consented_customer(household, tech, enqueued):
    job = make_work_order(site=SiteFactory(customer=household["ana"]))
    receive("STOP", "SM1")
    receive("START", "SM2")
    plan(job, tech, local(1, 9))
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    assert OutboundMessage.objects.filter(customer=household["ana"]).count() == 2
