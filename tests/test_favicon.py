"""The site has an icon: the pages link it and /favicon.ico (asked for by browsers before they
read the page) points at it, without a log-in."""

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.django_db
def test_favicon_is_linked_and_served(client):
    assert finders.find("img/favicon.svg")
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.svg")
    assert 'rel="icon"' in client.get("/accounts/login/").content.decode()
