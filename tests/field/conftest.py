"""Phone tests book jobs hours from now and read the technician's day ("today" in the
dispatch time zone), so they run at 10:00 local time today (`mid_morning`): late in the
evening a job an hour or three ahead would fall on tomorrow. The browser test keeps the
real clock: Chromium's clock cannot travel with ours and the app sends its own
timestamps."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _phone_day(request):
    if request.node.path.name != "test_phone_browser.py":
        request.getfixturevalue("mid_morning")
