"""Saved filters: name the list's filter, pick it again, delete it; each user's own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from invoicing.saved_filters import SavedFilter, saved_filter_save
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_clerk_saves_picks_and_deletes_a_filter(client):
    clerk = UserFactory(role="finance_clerk")
    client.force_login(clerk)
    listing = client.get(reverse("invoicing:proposal_list"), {"status": "approved", "page": "2"})
    assert 'name="query" value="status=approved"' in listing.content.decode()

    # When the clerk saves the filter the list shows under a name
    response = client.post(
        reverse("invoicing:saved_filter_save"),
        {"list_name": "proposals", "name": "Ready to post", "query": "status=approved&page=2"},
    )

    # Then it is kept without the page number and the list opens with it
    saved = SavedFilter.objects.get(user=clerk)
    assert (saved.name, saved.query) == ("Ready to post", "status=approved")
    assert response.url == reverse("invoicing:proposal_list") + "?status=approved"
    page = client.get(reverse("invoicing:proposal_list")).content.decode()
    assert f'href="{saved.url}"' in page and "Ready to post" in page

    # And deleting it removes it
    client.post(reverse("invoicing:saved_filter_delete", kwargs={"pk": saved.pk}))
    assert not SavedFilter.objects.exists()


def test_nobody_sees_or_deletes_another_users_filter(client):
    owner, other = UserFactory(role="finance_clerk"), UserFactory(role="finance_clerk")
    saved = saved_filter_save(user=owner, list_name="invoices", name="Mine", query="status=sent")
    client.force_login(other)

    page = client.get(reverse("invoicing:invoice_list")).content.decode()
    response = client.post(
        reverse("invoicing:saved_filter_delete", kwargs={"pk": saved.pk}), follow=True
    )

    assert "Mine" not in page
    assert "no longer exists" in response.content.decode()
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_a_read_only_user_keeps_filters_too():
    reader = UserFactory(role="read_only")
    saved_filter_save(user=reader, list_name="invoices", name="Overdue", query="status=sent")
    assert SavedFilter.objects.filter(user=reader).count() == 1


def test_the_same_name_replaces_the_filter():
    clerk = UserFactory(role="finance_clerk")
    saved_filter_save(user=clerk, list_name="invoices", name="Mine", query="status=sent")
    saved_filter_save(user=clerk, list_name="invoices", name="Mine", query="status=paid")
    assert list(SavedFilter.objects.values_list("query", flat=True)) == ["status=paid"]


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [("", "status=sent", "Give the filter a name."), ("All", "page=3", "Choose a filter first")],
)
def test_a_filter_without_name_or_filter_is_refused(name, query, message):
    clerk = UserFactory(role="finance_clerk")
    with pytest.raises(ValidationError, match=message):
        saved_filter_save(user=clerk, list_name="invoices", name=name, query=query)
    assert not SavedFilter.objects.exists()


def test_the_admin_lists_saved_filters(admin_client):
    owner = UserFactory(role="finance_clerk")
    saved_filter_save(user=owner, list_name="invoices", name="Sent ones", query="status=sent")
    page = admin_client.get(reverse("admin:invoicing_savedfilter_changelist"))
    assert "Sent ones" in page.content.decode()
