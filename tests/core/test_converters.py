"""The `<isodate:day>` converter, registered once by core."""

from datetime import date

import pytest
from django.urls import Resolver404, resolve, reverse


def test_a_day_round_trips_through_the_url():
    url = reverse("board_day", args=[date(2026, 12, 2)])
    assert url == "/board/2026-12-02/"
    assert resolve(url).kwargs == {"day": date(2026, 12, 2)}


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "0000-01-01", "26-12-02"])
def test_an_impossible_day_is_not_found(bad):
    with pytest.raises(Resolver404):
        resolve(f"/board/{bad}/")
