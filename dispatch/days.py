"""The days the board covers: one range for the board's pages, drops, plan runs and
urgent insertion, so nothing can plan a day no board can show."""

from datetime import date

# Outside these days date arithmetic (and the business) ends: a day before the first
# or after the last has no board, and no plan or booking may be made for it.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def day_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY
