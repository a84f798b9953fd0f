"""The alert sweep through a real Celery worker: the beat task, delivered twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.celery_worker import celery_worker  # noqa: F401  (fixture)
from tests.dashboard.helpers import always_open_policy
from tests.factories import make_work_order
from workorders.models import SLAAlert
from workorders.tasks import sla_alerts_sweep

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_worker_raises_one_alert_for_a_job_at_risk(celery_worker):  # noqa: F811
    # Response due 60 min after receipt, at risk after 45: received 50 minutes ago.
    work_order = make_work_order(
        policy=always_open_policy(), received_at=timezone.now() - timedelta(minutes=50)
    )
    sla_alerts_sweep.delay()
    sla_alerts_sweep.delay()
    celery_worker.wait_for_log(
        "workorders.tasks.sla_alerts_sweep", count=4
    )  # received + done, twice
    assert list(SLAAlert.objects.values_list("work_order", "target", "level")) == [
        (work_order.pk, "response", "at_risk")
    ]
