"""Cursor pagination in id order: stable under inserts, and a cursor cannot be forged
into a query PostgreSQL refuses (a position that is not a bigint is a 400)."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from api.problems import QueryInvalid

BIGINT_MAX = 2**63 - 1


class IdCursorPagination(CursorPagination):
    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise QueryInvalid(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except (NotFound, UnicodeError, ValueError):
            cursor = False
        if cursor is False or (
            cursor is not None
            and cursor.position is not None
            and not (
                cursor.position.isascii()
                and cursor.position.isdigit()
                and int(cursor.position) <= BIGINT_MAX
            )
        ):
            raise QueryInvalid({"cursor": ["This cursor is not one the API gave out."]})
        return cursor
