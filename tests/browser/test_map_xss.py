"""User text on the board's map is text: a script in a summary or a name never runs."""

import pytest

from tests.board.helpers import board_day, job, technician
from workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = '"><img src=x onerror="window.__xss=1;alert(1)">'


def test_hovering_markers_with_hostile_text_runs_nothing(page, live_server, login, dispatcher):
    day = board_day()
    technician(f"Eve {PAYLOAD}", day, home_latitude=41.95, home_longitude=-87.70)
    work_order = job(lat=41.80, lng=-87.60)
    WorkOrder.objects.filter(pk=work_order.pk).update(summary=f"Leak {PAYLOAD}")
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    login(page, "dana")
    page.goto(f"{live_server.url}/board/{day.isoformat()}/")
    page.wait_for_selector("path.job-marker")

    for marker in ("path.job-marker", "path.tech-marker"):
        page.locator(marker).first.hover(force=True)
        tooltip = page.locator(".leaflet-tooltip").last
        tooltip.wait_for()
        assert PAYLOAD in tooltip.text_content()  # shown literally, as text
        assert tooltip.locator("img").count() == 0  # nothing was parsed as HTML
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert alerts == []
