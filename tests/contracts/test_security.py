"""Log-in: required everywhere, throttled after repeated failures."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200


def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302


def test_failed_logins_are_throttled(client, user_with_role, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = user_with_role("finance_clerk", username="karin")
    for _attempt in range(3):
        client.post(reverse("login"), {"username": "karin", "password": "wrong"})
    # Even the right password is refused while the account is locked out.
    response = client.post(
        reverse("login"), {"username": user.username, "password": "secret-password-1"}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_password_logs_in(client, user_with_role):
    user_with_role("finance_clerk", username="karin")
    response = client.post(reverse("login"), {"username": "karin", "password": "secret-password-1"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_password_spraying_across_user_names_from_one_address_is_locked_out(
    client, user_with_role, settings
):
    """Given a limit of 3 per user name and 6 per address, one wrong password tried against six
    user names (each under its own limit) locks the address at the sixth: even another user with
    the right password is then refused from there, while another address still logs in."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    user_with_role("finance_clerk", username="karin")
    answers = [
        client.post(
            reverse("login"), {"username": f"user{number}", "password": "Summer2026!"}
        ).status_code
        for number in range(6)
    ]
    assert answers == [200] * 5 + [429]  # the log-in form again, until the address is locked
    response = client.post(reverse("login"), {"username": "karin", "password": "secret-password-1"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    elsewhere = client.post(
        reverse("login"),
        {"username": "karin", "password": "secret-password-1"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert elsewhere.status_code == 302


def test_a_few_failures_under_several_names_do_not_lock_the_address(
    client, user_with_role, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    user_with_role("finance_clerk", username="karin")
    for number in range(5):
        client.post(reverse("login"), {"username": f"user{number}", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "karin", "password": "secret-password-1"})
    assert response.status_code == 302


def test_the_api_token_endpoint_is_throttled_by_address_too(client, user_with_role, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 4
    user_with_role("finance_clerk", username="karin")
    for number in range(4):
        client.post("/api/v1/token/", {"username": f"user{number}", "password": "wrong"})
    response = client.post("/api/v1/token/", {"username": "karin", "password": "secret-password-1"})
    assert "token" not in response.content.decode()
