"""Hostile input a fuzz run over every URL and form field found reaching a 500 (issue 25),
each as it was sent. The fuzz run itself waits on the `fuzz` branch until it is fast
enough for the suite."""

import pytest

pytestmark = pytest.mark.django_db


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
