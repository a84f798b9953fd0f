"""Hostile input into every URL pattern and every form field: never a 500 (issue 25).

The URL resolver is walked (the admin and the REST API aside: Django checks the first,
tests/api runs schemathesis on the second). Each view is opened as a user whose role it
admits (a technician with a booked job for the phone), its forms are read from the pages
(every `<form>` whose action is the view, with their fields' current values) plus the
fields JavaScript sends, and then it gets, by GET and by POST:

* each field in turn set to each value that breaks a type, the others left as the page
  had them;
* every field at once set to each hostile value;
* one 10 MB value (one request per view and method, so the suite stays fast);
* its own URL parameters replaced by hostile ones.

Every answer must be a page, a redirect or a 4xx; an exception escaping the view fails
too (the test client re-raises it). One test per role: its pages are read once, then
every view it may use is fuzzed, and a failure names the view. About 3 minutes on two
cores, most of it the office's forms: the suite's slowest file."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils import timezone

from dispatch.models import FieldAlert
from notifications.models import TrackingLink
from routing.models import PlanRun
from technicians.roles import Role
from tests.factories import TechnicianFactory, make_work_order
from tests.field.helpers import booked_job, phone_technician
from tests.images import jpeg_with_gps_exif
from workorders.models import SLAAlert
from workorders.services import work_order_add_photo

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: sent as the bytes ED A0 80, which no UTF-8 allows
    "\udfff tail",
    str(10**40),
    str(-(10**40)),
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "1.5",
    "abc",
    "",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59:59",
    "0001-01-01 00:00:00+14:00",
    "10000-01-01",
    "2024-02-30",
    "25:61",
    "true",
    "[]",
    '{"a": 1}',
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "x" * 5000,
]
# Each field alone gets the values that break a type (number, date, choice); the rest,
# NUL and surrogates among them, go into every field at once: the cost stays at a few
# requests per field.
EACH_FIELD_VALUES = [str(10**40), "0001-01-01", "9999-12-31"]


TEN_MEGABYTES = "x" * (10 * 1024 * 1024)

# Hostile values for a URL's own parameters, by converter.
HOSTILE_ARGS = {
    "int": [str(10**40), "0", "2147483648", "9223372036854775808"],
    "isodate": ["0001-01-01", "9999-12-31", "10000-01-01", "2024-02-30"],
    "str": ["0001-01-01", "9999-12-31", "10000-01-01", "x" * 2000, "%00", "%ED%A0%80", "-1"],
    "slug": ["x" * 2000, "-", "0"],
    "path": ["x" * 2000, "../../../etc/passwd", "%00", "workorders/photos/", "a/%ED%A0%80"],
}

# Fields JavaScript posts (board drops, the phone's position), not found in any <form>.
SCRIPT_FIELDS = {
    "board_assign": [
        "work_order",
        "technician",
        "position",
        "target_fingerprint",
        "source_technician",
        "source_fingerprint",
        "confirm",
        "override_reason",
        "filter_query",
    ],
    "board_unassign": ["work_order", "source_fingerprint", "filter_query"],
    "board_poll": ["v"],
    "my_position": ["technician", "latitude", "longitude", "accuracy"],
    "my_job_action": ["action_id", "kind", "note", "hold_reason", "cannot_reason", "photos"],
    "plan_urgent_form": ["work_order"],
    "plan_start": ["team", "technician", "time_limit", "next"],
}

# Which object a URL's `pk` names, by URL name (a new pattern must be added here).
PK_OWNER = {
    "customer_edit": "customer",
    "work_order_detail": "work_order",
    "work_order_edit": "work_order",
    "work_order_sla_pause": "work_order",
    "work_order_sla_resume": "work_order",
    "work_order_photo_add": "work_order",
    "work_order_status": "work_order",
    "work_order_texts_read": "work_order",
    "sla_alert_acknowledge": "sla_alert",
    "technician_edit": "technician",
    "board_job": "work_order",
    "board_card": "work_order",
    "plan_run_detail": "plan_run",
    "plan_run_progress": "plan_run",
    "plan_run_accept": "plan_run",
    "plan_run_discard": "plan_run",
    "my_job": "phone_job",
    "my_job_action": "phone_job",
    "field_alert_dismiss": "field_alert",
    "field_alert_propose": "field_alert",
    "sms_sandbox_reply": "customer",
}

# The one role each kind of view is fuzzed as: the least powerful it admits.
ROLE_PREFERENCE = [Role.TECHNICIAN, Role.OFFICE, Role.DISPATCHER, Role.MANAGER, Role.ADMIN]
# Views that check access themselves (tests/test_permissions.py: SELF_CHECKED).
SELF_CHECKED_AS = {"home": Role.OFFICE, "media_file": Role.OFFICE, "login": None, "logout": None}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                continue
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _routes():
    return {pattern.name: (route, pattern) for route, pattern in _walk(get_resolver().url_patterns)}


ROUTES = _routes()


class _Forms(HTMLParser):
    """Every form of a page: (method, action, [(name, value)]), fields in page order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            method = (attributes.get("method") or "get").lower()
            action = attributes.get("action") or attributes.get("hx-post") or ""
            if attributes.get("hx-post"):
                method = "post"
            self._fields = []
            self.forms.append((method, action, self._fields))
        elif self._fields is None or not attributes.get("name"):
            return
        elif tag == "input":
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                if attributes.get("value") is not None:
                    self._fields.append((attributes["name"], attributes["value"]))
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                if not any(name == attributes["name"] for name, _ in self._fields):
                    self._fields.append((attributes["name"], ""))
                return
            self._fields.append((attributes["name"], attributes.get("value") or ""))
        elif tag == "textarea":
            self._textarea = attributes["name"]
            self._fields.append((self._textarea, ""))
        elif tag == "select":
            self._select, self._select_value = attributes["name"], None
        elif tag == "option" and self._select:
            value = attributes.get("value") or ""
            if self._select_value is None or "selected" in attributes:
                self._select_value = value
        elif tag == "button" and attributes.get("value") is not None:
            self._fields.append((attributes["name"], attributes["value"]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select and self._fields is not None:
            self._fields.append((self._select, self._select_value or ""))
            self._select = None

    def handle_data(self, data):
        if self._textarea and self._fields:
            name, value = self._fields[-1]
            self._fields[-1] = (name, value + data)


@pytest.fixture
def world(user_with_role):
    """One of everything a URL can name, and a user per role."""
    work_order = make_work_order()
    technician = phone_technician()
    phone_job = booked_job(technician)
    day = timezone.localdate()
    photo = work_order_add_photo(
        actor=None, work_order=work_order, upload=jpeg_with_gps_exif("a.jpg", (40, 30))
    )
    link = TrackingLink.objects.create(
        token="fuzz-token-0123456789abcdefghijklmnop",
        work_order=phone_job,
        expires_at=timezone.now() + timedelta(days=1),
    )
    objects = {
        "work_order": work_order.pk,
        "customer": work_order.customer_id,
        "technician": TechnicianFactory().pk,
        "phone_job": phone_job.pk,
        "plan_run": PlanRun.objects.create(day=day, status=PlanRun.Status.DISCARDED).pk,
        "field_alert": FieldAlert.objects.create(
            kind=FieldAlert.Kind.CANNOT_COMPLETE,
            technician=technician,
            day=day,
            message="Could not complete",
        ).pk,
        "sla_alert": SLAAlert.objects.create(
            work_order=work_order, target="response", level="at_risk", due_at=work_order.created_at
        ).pk,
    }
    users = {role: user_with_role(role) for role in Role if role != Role.TECHNICIAN}
    users[Role.TECHNICIAN] = technician.user
    return {
        "objects": objects,
        "users": users,
        "day": day.isoformat(),
        "token": link.token,
        "media": photo.image.name,
    }


def _valid_args(name: str, world) -> dict[str, str]:
    """Values for each URL parameter that name a real object."""
    _, pattern = ROUTES[name]
    values = {
        "day": world["day"],
        "work_order_id": str(world["objects"]["work_order"]),
        "table": "tiers",
        "kind": "booked",
        "token": world["token"],
        "path": world["media"],
    }
    args = {}
    for key in _parameters(pattern):
        if key == "pk":
            assert name in PK_OWNER, f"add {name} to PK_OWNER"
            args[key] = str(world["objects"][PK_OWNER[name]])
        else:
            assert key in values, f"no value for <{key}> of {name}"
            args[key] = values[key]
    return args


def _parameters(pattern) -> dict[str, str]:
    """Each URL parameter's converter name ("path" for the regex media pattern)."""
    converters = getattr(pattern.pattern, "converters", {})
    if not converters:
        return dict.fromkeys(re.findall(r"\(\?P<(\w+)>", str(pattern.pattern)), "path")
    found = dict(re.findall(r"<(\w+):(\w+)>", str(pattern.pattern)))
    return {key: kind for kind, key in found.items()}


def _url(name: str, args: dict[str, str]) -> str:
    route, pattern = ROUTES[name]
    if not getattr(pattern.pattern, "converters", {}) and args:  # ^media/(?P<path>.+)$
        return "/media/" + args["path"]
    url = route
    for key, value in args.items():
        url = re.sub(rf"<\w+:{key}>", value, url)
    return "/" + url


def _client(name: str, world) -> Client:
    pattern = ROUTES[name][1]
    allowed = getattr(pattern.callback, "allowed_roles", None)
    if allowed:
        role = next(role for role in ROLE_PREFERENCE if role in allowed)
    else:
        role = SELF_CHECKED_AS.get(name)
    client = Client()  # raise_request_exception: an escaping exception fails the test
    if role is not None:
        client.force_login(world["users"][role])
    return client


def _forms_by_view(names: list[str], client: Client, world) -> dict[str, dict]:
    """The fields each method of each view reads, from every page the role can open
    (each page read once for the whole role), plus the fields JavaScript sends."""
    fields: dict[str, dict[str, list[tuple[str, str]]]] = {
        name: {"get": [], "post": []} for name in names
    }
    pages = [_url(name, _valid_args(name, world)) for name in names]
    for page in dict.fromkeys(pages):
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        for method, action, form_fields in parser.forms:
            action_path = urlsplit(action).path or page
            try:
                target = resolve(action_path).url_name
            except Resolver404:
                continue
            if target not in fields:
                continue
            known = {field for field, _ in fields[target].setdefault(method, [])}
            fields[target][method] += [(f, v) for f, v in form_fields if f not in known]
    for name in names:
        for method in ("get", "post"):
            known = {field for field, _ in fields[name][method]}
            extra = [(field, "") for field in SCRIPT_FIELDS.get(name, []) if field not in known]
            fields[name][method] += extra
        for method in fields[name]:
            fields[name][method] = [
                (f, v) for f, v in fields[name][method] if f != "csrfmiddlewaretoken"
            ]
    return fields


def _client_role(name: str):
    allowed = getattr(ROUTES[name][1].callback, "allowed_roles", None)
    if allowed:
        return next(role for role in ROLE_PREFERENCE if role in allowed)
    return SELF_CHECKED_AS.get(name, "public")


def _encoded(pairs: list[tuple[str, str]]) -> str:
    # surrogatepass: a lone surrogate goes out as the (invalid) UTF-8 bytes a hostile
    # client would send, not as an error in the test.
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


def _send(client: Client, method: str, url: str, pairs: list[tuple[str, str]]):
    if method == "get":
        query = _encoded(pairs)
        return client.get(f"{url}?{query}" if query else url)
    return client.generic(
        "POST", url, _encoded(pairs), content_type="application/x-www-form-urlencoded"
    )


def _variants(fields: list[tuple[str, str]]):
    """(what, pairs): each field alone with a type-breaking value, then all of them at
    once with every hostile value."""
    names = list(dict.fromkeys(field for field, _ in fields))
    # The rows of a formset are alike: its first row stands for the others.
    first_rows = {re.sub(r"-\d+-", "-0-", name): name for name in reversed(names)}
    for value in EACH_FIELD_VALUES:
        for name in first_rows.values():
            pairs = [(f, value if f == name else v) for f, v in fields]
            yield f"{name}={value[:20]!r}", pairs
    if names:
        for value in HOSTILE_VALUES:
            yield f"every field={value[:20]!r}", [(name, value) for name in names]
    if names:
        # Two values where one is read, and the fields' names themselves hostile.
        yield "every field twice", [(name, "1") for name in names] * 2
        yield "hostile names", [(name + "\x00", "1") for name in names]
        yield "10 MB", [(names[0], TEN_MEGABYTES), *fields[1:]]
    else:
        yield "10 MB", [("q", TEN_MEGABYTES)]


def _by_role() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in sorted(ROUTES):
        groups.setdefault(str(_client_role(name)), []).append(name)
    return groups


ROLE_GROUPS = _by_role()


@pytest.mark.usefixtures("mid_morning")  # the phone job an hour ahead is on today's list
@pytest.mark.parametrize("role", sorted(ROLE_GROUPS))
def test_no_hostile_input_reaches_a_500(role, world):
    """One test per role: its pages are read once, then every view it may use is fuzzed
    (a failure names the view)."""
    names = ROLE_GROUPS[role]
    client = _client(names[0], world)
    forms = _forms_by_view(names, client, world)
    failures = []

    def check(method, target, what, pairs):
        response = _send(client, method, target, pairs)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {target[:80]} {what}: {response.status_code}")

    for name in names:
        args = _valid_args(name, world)
        url = _url(name, args)
        fields = forms[name]
        for method in ("get", "post"):
            for what, pairs in _variants(fields[method]):
                check(method, url, what, pairs)
            # A file where text is expected, in every field.
            if method == "post" and fields["post"]:
                upload = {
                    f: SimpleUploadedFile("x.bin", b"\x00\xff" * 10) for f, _ in fields["post"]
                }
                response = client.post(url, upload)
                if response.status_code >= 500:
                    failures.append(f"POST {url} files in every field: {response.status_code}")
            # The URL's own parameters.
            for key, kind in _parameters(ROUTES[name][1]).items():
                for value in HOSTILE_ARGS[kind]:
                    check(method, _url(name, {**args, key: value}), f"<{key}>={value[:20]}", [])
    assert not failures, "\n".join(failures)


def test_every_pattern_is_fuzzed():
    """The walk reaches the included apps and leaves out only the admin and the API."""
    assert {"plan_run_accept", "my_job_action", "tracking_page", "media_file"} <= set(ROUTES)
    assert not any(route.startswith(("api/", "admin/")) for route, _ in ROUTES.values())


# What the fuzz test found, each as it was sent.


def test_a_next_that_is_not_a_path_is_not_followed(client, dispatcher):
    # `next=<a number>` was read by redirect() as a URL pattern's name: NoReverseMatch.
    client.force_login(dispatcher)
    response = client.post("/alerts/acknowledge/", {"scope": "level", "next": str(10**40)})
    assert (response.status_code, response["Location"]) == (302, "/alerts/")


def test_a_media_name_longer_than_the_file_system_allows_is_not_found(client, office):
    client.force_login(office)
    assert client.get("/media/" + "x" * 2000).status_code == 404


def test_a_username_longer_than_any_user_has_is_refused_before_the_password(client):
    from axes.models import AccessAttempt

    response = client.post("/login/", {"username": "x" * 5000, "password": "pw"})
    assert response.status_code == 200 and "didn't match" in response.content.decode()
    assert not AccessAttempt.objects.exists()  # no password was checked
