"""Phone tests book jobs hours from now and read the technician's day ("today" in the
dispatch time zone). Run late in the evening, a job an hour or three ahead would fall on
tomorrow and off the day, so these tests run at 10:00 local time today, the clock
ticking. The browser test keeps the real clock: Chromium's clock cannot travel with ours
and the app sends its own timestamps."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.utils import timezone


@pytest.fixture(autouse=True)
def mid_morning(request):
    if request.node.path.name == "test_phone_browser.py":
        yield
        return
    today = timezone.localdate()
    with time_machine.travel(
        timezone.make_aware(datetime(today.year, today.month, today.day, 10)), tick=True
    ):
        yield
