import os
import uuid

import pytest

from technicians.roles import Role
from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django must still
# allow its ORM there (the live server itself runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _fast_passwords_and_media(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAP_TILE_URL = ""  # tests never reach for the internet
    # Each test gets its own cache namespace in the real Redis: board versions
    # start from zero and nothing touches a demo running on the same server.
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "KEY_PREFIX": f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        }
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def user_with_role(db):
    def build(role: Role | None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return build


@pytest.fixture
def dispatcher(user_with_role):
    return user_with_role(Role.DISPATCHER, username="dana")


@pytest.fixture
def office(user_with_role):
    return user_with_role(Role.OFFICE, username="olive")


@pytest.fixture
def manager(user_with_role):
    return user_with_role(Role.MANAGER, username="morgan")


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs it (scripts/ensure-chromium.sh).")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(live_server):
    def do_login(page, username: str, password: str = "pw"):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return do_login


@pytest.fixture
def mid_morning():
    """10:00 local time today, the clock ticking: for tests that book jobs hours from now
    and read the technician's day, which late in the evening would fall on tomorrow."""
    from datetime import datetime

    import time_machine
    from django.utils import timezone

    today = timezone.localdate()
    with time_machine.travel(
        timezone.make_aware(datetime(today.year, today.month, today.day, 10)), tick=True
    ) as traveller:
        yield traveller  # .shift(timedelta) moves the clock on
