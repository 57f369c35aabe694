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
