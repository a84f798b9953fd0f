"""The board at real density, tried as a dispatcher at 1440 × 900: 40 technicians with
10 jobs each. Every card says which job it is without hovering; the widest scale shows
each summary; the details come by keyboard focus; a confirmed drop closes its dialog."""

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from dispatch.services import work_order_book
from tests.board.helpers import board_day, job, local, technician
from tests.browser.test_board_browser import drag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TECHNICIANS, JOBS = 40, 10
DURATIONS = (45, 60, 75, 90)


@pytest.fixture
def busy_day(dispatcher):
    day = board_day()
    techs = []
    for t in range(TECHNICIANS):
        tech = technician(f"Tech {t:02d}", day, starts=time(7), ends=time(19))
        cursor = local(day, 7, 10)
        for j in range(JOBS):
            minutes = DURATIONS[(t + j) % len(DURATIONS)]
            work_order = job(minutes=minutes)
            work_order_book(actor=None, work_order=work_order, technician=tech, starts_at=cursor)
            cursor += timedelta(minutes=minutes + 5)
        techs.append(tech)
    return day, techs


def _clipped(page, selector: str, within: str) -> list[str]:
    """Texts of `selector` elements that do not fit the line (`within`) they sit on."""
    return page.evaluate(
        """([selector, within]) => Array.from(document.querySelectorAll(selector))
            .filter((el) => {
              const line = el.closest(within).getBoundingClientRect();
              const box = el.getBoundingClientRect();
              return box.right > line.right + 0.5 || box.width === 0;
            })
            .map((el) => el.textContent)""",
        [selector, within],
    )


def test_cards_are_readable_at_real_density(browser, live_server, login, busy_day):
    day, techs = busy_day
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, "dana")
    page.goto(f"{live_server.url}/board/{day.isoformat()}/")
    expect(page.locator(".booking")).to_have_count(TECHNICIANS * JOBS)
    # The default scale is one hour per column, and no card's number is cut.
    assert page.locator("#scale-choice").input_value() == "60"
    assert _clipped(page, ".booking .card-number", ".card-top") == []
    # The hour header is complete: its last hour is inside the header.
    assert _clipped(page, ".timeline-head .hours span:last-child", ".hours") == []

    # At the widest scale every summary shows in full, and the choice outlives a reload.
    page.select_option("#scale-choice", "30")
    assert _clipped(page, ".booking .card-summary", ".booking") == []
    overflowing = page.evaluate(
        """Array.from(document.querySelectorAll('.booking .card-summary'))
            .filter((el) => el.scrollWidth > el.clientWidth).length"""
    )
    assert overflowing == 0
    page.reload()
    assert page.locator("#scale-choice").input_value() == "30"

    # Keyboard: focus lands on a card's number, and its details appear beside it.
    first = page.locator(f"#lane-{techs[0].pk} .booking").first
    first.locator(".card-number").focus()
    detail = first.locator(".card-detail")
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("Customer")
    expect(detail).to_contain_text("Planned")
    assert page.evaluate("document.activeElement.classList.contains('card-number')")
    context.close()


def test_a_confirmed_drop_closes_the_dialog_and_points_out_the_card(
    page, live_server, login, dispatcher
):
    day = board_day()
    # A 10-hour job on an 8-hour shift: the drop asks for confirmation (overtime).
    tech = technician("Maria", day, starts=time(8), ends=time(16))
    work_order = job(minutes=600)
    login(page, "dana")
    page.goto(f"{live_server.url}/board/{day.isoformat()}/")
    page.wait_for_function("document.querySelector('[data-sortable-ready]')")
    drag(page, f"#queue-item-{work_order.pk}", f"#lane-{tech.pk} .track")
    confirm = page.locator("#board-dialog button", has_text="Assign anyway")
    expect(confirm).to_be_visible()
    confirm.click()
    expect(page.locator("#board-dialog")).not_to_be_visible()
    card = page.locator(f"#lane-{tech.pk} .booking[data-work-order='{work_order.pk}']")
    expect(card).to_be_visible()
    expect(page.locator(f"#lane-{tech.pk} .booking.just-placed")).to_have_count(1)
