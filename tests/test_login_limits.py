"""A per-address login limit across usernames that costs no password hash, and the
client's address from X-Forwarded-For only behind a trusted proxy (issue 25, findings
1 and 2)."""

from ipaddress import ip_network

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from config.env import env_networks
from core.addresses import client_address
from technicians.roles import Role

FLOODER, NEIGHBOUR = "198.51.100.66", "198.51.100.77"


@pytest.fixture
def hashes(monkeypatch):
    """How many times a password was hashed or checked."""
    calls = []
    for name in ("encode", "verify"):
        original = getattr(MD5PasswordHasher, name)

        def counted(self, *args, _original=original, **kwargs):
            calls.append(1)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(MD5PasswordHasher, name, counted)
    return calls


def login(client, username, password="wrong", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_a_flood_of_made_up_usernames_is_locked_out_by_address(
    client, settings, user_with_role, hashes
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10
    user_with_role(Role.OFFICE, username="olive")
    hashes.clear()  # creating the user hashed its password
    answers = [login(client, f"nobody{n}", REMOTE_ADDR=FLOODER) for n in range(50)]
    assert [a.status_code for a in answers[:10]] == [200] * 10  # wrong password, try again
    assert all("match" in a.content.decode() for a in answers[:10])
    assert {a.status_code for a in answers[10:]} == {429}
    assert "Logins from your address are locked" in answers[-1].content.decode()
    assert len(hashes) == 10  # one hash per attempt before the limit, none after
    # A real account from that address is refused too, without its password checked.
    assert login(client, "olive", "pw", REMOTE_ADDR=FLOODER).status_code == 429
    assert len(hashes) == 10 and "_auth_user_id" not in client.session
    # Another address is unaffected.
    assert login(client, "olive", "pw", REMOTE_ADDR=NEIGHBOUR).status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(client, settings, user_with_role):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    settings.TRUSTED_PROXIES = (ip_network("10.9.0.0/24"),)
    user_with_role(Role.OFFICE, username="olive")
    proxy = {"REMOTE_ADDR": "10.9.0.2"}
    for n in range(8):
        login(client, f"nobody{n}", HTTP_X_FORWARDED_FOR=FLOODER, **proxy)
    assert login(client, "x", HTTP_X_FORWARDED_FOR=FLOODER, **proxy).status_code == 429
    # Everyone else comes through the same proxy and is not locked out with the flooder.
    good = login(client, "olive", "pw", HTTP_X_FORWARDED_FOR=NEIGHBOUR, **proxy)
    assert good.status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_from_an_untrusted_address_changes_nothing(client, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    settings.TRUSTED_PROXIES = (ip_network("10.9.0.0/24"),)
    answers = [
        login(client, f"nobody{n}", REMOTE_ADDR=FLOODER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        for n in range(8)
    ]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client"),
    [
        ("203.0.113.9", "", [], "203.0.113.9"),
        ("203.0.113.9", "192.0.2.1", [], "203.0.113.9"),  # no trusted proxy: header ignored
        ("203.0.113.9", "192.0.2.1", ["10.0.0.0/8"], "203.0.113.9"),  # not from the proxy
        ("10.0.0.5", "192.0.2.1", ["10.0.0.0/8"], "192.0.2.1"),
        ("10.0.0.5", "6.6.6.6, 192.0.2.1", ["10.0.0.0/8"], "192.0.2.1"),  # forged left part
        ("10.0.0.5", "192.0.2.1, 10.0.0.7", ["10.0.0.0/8"], "192.0.2.1"),  # two proxies
        ("10.0.0.5", "junk", ["10.0.0.0/8"], "10.0.0.5"),  # a proxy that wrote no address
        ("10.0.0.5", "192.0.2.1, junk", ["10.0.0.0/8"], "10.0.0.5"),
        ("10.0.0.5", "", ["10.0.0.0/8"], "10.0.0.5"),
        ("::1", "2001:db8::7", ["::1/128"], "2001:db8::7"),
    ],
)
def test_client_address(settings, remote, forwarded, trusted, client):
    settings.TRUSTED_PROXIES = tuple(ip_network(n) for n in trusted)
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == client


def test_trusted_proxies_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", " 10.0.0.5, 172.18.0.0/16 ,::1")
    assert env_networks("TRUSTED_PROXIES") == (
        ip_network("10.0.0.5/32"),
        ip_network("172.18.0.0/16"),
        ip_network("::1/128"),
    )
    for bad in ("proxy.internal", "10.0.0.5/8", "10.0.0.300", "10.0.0.0/33"):
        monkeypatch.setenv("TRUSTED_PROXIES", f"10.0.0.1,{bad}")
        with pytest.raises(ImproperlyConfigured, match=f"TRUSTED_PROXIES: '{bad}' is not an IP"):
            env_networks("TRUSTED_PROXIES")
