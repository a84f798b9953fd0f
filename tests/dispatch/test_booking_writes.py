"""Only `dispatch.bookings` writes booking rows.

Customer texts follow every change of a booking's planned time, so there must be
exactly one place that makes such changes. This test reads the application's source
and fails on any booking write elsewhere: ORM writes through `Booking` or a related
`bookings` manager, `.save()` / `.delete()` on a booking instance, and raw SQL that
modifies `dispatch_booking`.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every package of the project (a new app is read without being listed), and the scripts.
APPS = sorted(
    {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests"} | {"scripts", "bench"}
)
OWNER = ROOT / "dispatch" / "bookings.py"
WRITES = {
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "save",
    "raw",
}
RAW_SQL = re.compile(r"\b(insert\s+into|update|delete\s+from)\s+\"?dispatch_booking\b", re.I)


def test_every_app_is_read():
    assert {"dispatch", "board", "planning", "field", "demo", "core", "config"} <= set(APPS)


def _sources() -> list[Path]:
    files = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts and path != OWNER:
                files.append(path)
    return files


def _chain(node: ast.AST) -> list[str]:
    """Names along an attribute/call chain, outermost last: Booking.objects.filter().update
    gives ["Booking", "objects", "filter", "update"]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def booking_writes(source: str) -> list[tuple[int, str]]:
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = _chain(node.func)
            method = chain[-1]
            if method not in WRITES:
                continue
            receivers = chain[:-1]
            if (
                "Booking" in receivers
                or "bookings" in receivers
                or (receivers and receivers[-1].lower().endswith("booking"))
            ):
                found.append((node.lineno, ".".join(chain)))
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RAW_SQL.search(node.value)
        ):
            found.append((node.lineno, "raw SQL on dispatch_booking"))
    return found


def test_only_the_bookings_module_writes_booking_rows():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in _sources()
        for line, what in booking_writes(path.read_text())
    ]
    assert not offenders, "Booking rows written outside dispatch/bookings.py:\n" + "\n".join(
        offenders
    )


def test_the_scan_sees_every_kind_of_write():
    """The detector itself: each way of writing a booking is caught, reads are not."""
    writes = {
        "Booking.objects.create(work_order=w)",
        "Booking.objects.filter(pk=1).update(state='cancelled')",
        "Booking.objects.bulk_create(rows)",
        "Booking.objects.filter(pk=1).delete()",
        "work_order.bookings.update(locked=True)",
        "booking.save()",
        "old_booking.delete()",
        "cursor.execute('UPDATE dispatch_booking SET locked = true')",
        "cursor.execute('insert into \"dispatch_booking\" values (1)')",
    }
    for line in writes:
        assert booking_writes(line), line
    reads = [
        "Booking.objects.filter(pk=1).exists()",
        "booking.work_order.save()",
        "cursor.execute('SELECT * FROM dispatch_booking')",
    ]
    for line in reads:
        assert not booking_writes(line), line
