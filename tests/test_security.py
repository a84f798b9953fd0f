"""Content-Security-Policy, no inline script anywhere, and login throttling."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from technicians.roles import Role

ROOT = Path(__file__).resolve().parent.parent
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


@pytest.mark.django_db
def test_every_page_sends_a_policy_that_forbids_inline_script(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(reverse("board_today"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "Content-Security-Policy" in client.get(reverse("login")).headers


def test_templates_and_scripts_have_no_inline_javascript():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in (INLINE_HANDLER, INLINE_SCRIPT):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not offenders, offenders


def test_board_script_never_hands_strings_to_html_sinks():
    """User text reaches the page through textContent or text nodes only."""
    for path in (ROOT / "static" / "js").glob("*.js"):
        text = path.read_text()
        assert "innerHTML =" not in text.replace('innerHTML = ""', ""), path
        assert "insertAdjacentHTML" not in text, path
        for call in re.findall(r"bind(?:Tooltip|Popup)\(([^)]*)\)", text):
            assert call.startswith("textTooltip("), f"{path}: bindTooltip({call})"


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_out_that_user_from_that_address(
    client, settings, user_with_role
):
    user_with_role(Role.OFFICE, username="olive")
    user_with_role(Role.OFFICE, username="oscar")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = client.post(reverse("login"), {"username": "olive", "password": "nope"})
        assert wrong.status_code == 200
        assert "match" in wrong.content.decode()
    last_wrong = client.post(reverse("login"), {"username": "olive", "password": "nope"})
    assert last_wrong.status_code == 429
    locked = client.post(reverse("login"), {"username": "olive", "password": "pw"})
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Too many failed logins" in body and "Try again in 15 minutes" in body
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not punished for it.
    other = client.post(reverse("login"), {"username": "oscar", "password": "pw"})
    assert other.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_correct_password_before_the_limit_resets_the_count(client, settings, user_with_role):
    user_with_role(Role.OFFICE, username="olive")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "olive", "password": "nope"})
    assert client.post(reverse("login"), {"username": "olive", "password": "pw"}).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "olive", "password": "nope"})
    assert client.post(reverse("login"), {"username": "olive", "password": "pw"}).status_code == 302
