"""What the board shows, read in a fixed number of queries.

`board.build` presents it as HTML and `board.map` as map points; both
read this record, neither reads the database itself.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from dispatch.lanes import TechnicianDay
from dispatch.selectors import (
    BoardFilters,
    LaneBooking,
    QueueWorkOrder,
    board_shifts,
    board_technicians,
    bookings_by_technician,
    queue_work_orders,
)
from notifications.selectors import unread_reply_counts
from technicians.selectors import ShiftWindow
from workorders.status import Status


@dataclass
class BoardData:
    day: date
    now: datetime
    shifts: list[ShiftWindow]
    technician_days: list[TechnicianDay]
    lanes: dict[int, list[LaneBooking]]
    queue: list[QueueWorkOrder] | None
    replies: dict[int, int]  # unread customer replies per work order

    def lane_of(self, tday: TechnicianDay) -> list[LaneBooking]:
        return self.lanes.get(tday.technician.pk, [])


def board_data(
    day: date,
    filters: BoardFilters,
    now: datetime,
    technician_ids: Iterable[int] | None = None,
    with_queue: bool = True,
) -> BoardData:
    """Every lane (or only those of `technician_ids`) and the queue, filtered."""
    technicians = board_technicians(day, filters)
    if technician_ids is not None:
        technicians = technicians.filter(pk__in=list(technician_ids))
    tdays = [TechnicianDay.of(t, day) for t in technicians]
    lanes = bookings_by_technician(day, [tday.technician.pk for tday in tdays])
    if filters.status:
        lanes = {
            tid: [b for b in bs if b.work_order.status == filters.status]
            for tid, bs in lanes.items()
        }
    if filters.tier:
        lanes = {
            tid: [b for b in bs if b.work_order.sla_policy_id == filters.tier]
            for tid, bs in lanes.items()
        }
    queue = (
        queue_work_orders(filters) if with_queue and filters.status in ("", Status.NEW) else None
    )
    shown = [b.work_order_id for lane in lanes.values() for b in lane]
    shown += [wo.pk for wo in queue or []]
    return BoardData(
        day=day,
        now=now,
        shifts=board_shifts(day, filters),
        technician_days=tdays,
        lanes=lanes,
        queue=queue,
        replies=unread_reply_counts(shown),
    )
