"""Saved filters: name the list's filter, pick it again, delete it; each user's own."""

from __future__ import annotations

from urllib.parse import urlencode

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


def test_the_transaction_list_saves_its_filter_without_the_keyset_page(client):
    clerk = UserFactory(role="finance_clerk")
    client.force_login(clerk)
    listing = client.get(reverse("invoicing:transaction_list"), {"kind": "hour", "after": "7"})
    assert 'name="query" value="kind=hour"' in listing.content.decode()

    # When the clerk saves what the list shows (the row a page starts after is no filter)
    response = client.post(
        reverse("invoicing:saved_filter_save"),
        {"list_name": "transactions", "name": "Hours", "query": "kind=hour&after=7"},
    )

    # Then the list opens with it, and shows it picked when its filter is on
    saved = SavedFilter.objects.get(user=clerk)
    assert (saved.list_name, saved.query) == ("transactions", "kind=hour")
    assert response.url == reverse("invoicing:transaction_list") + "?kind=hour"
    picked = client.get(response.url).content.decode()
    assert f'class="btn btn-secondary" href="{saved.url}"' in picked


def test_the_transaction_lists_saved_filters_follow_a_filter_changed_in_place(client):
    """The filter form swaps the table without reloading the page: the saved filters come along
    out of band, so the form to save offers the filter just chosen."""
    client.force_login(UserFactory(role="finance_clerk"))

    table = client.get(
        reverse("invoicing:transaction_list"), {"kind": "expense"}, headers={"HX-Request": "true"}
    ).content.decode()

    assert 'id="transaction-saved-filters" hx-swap-oob="true"' in table
    assert 'name="query" value="kind=expense"' in table
    full_page = client.get(reverse("invoicing:transaction_list")).content.decode()
    assert full_page.count('id="transaction-saved-filters"') == 1


def test_the_receivables_list_saves_customer_currency_and_overdue(client):
    clerk = UserFactory(role="finance_clerk")
    client.force_login(clerk)
    query = {"customer": "Malmö", "currency": "SEK", "overdue": "1"}
    listing = client.get(reverse("invoicing:receivables"), query).content.decode()
    assert 'name="query" value="customer=Malm%C3%B6&amp;currency=SEK&amp;overdue=1"' in listing

    response = client.post(
        reverse("invoicing:saved_filter_save"),
        {"list_name": "receivables", "name": "Overdue SEK, Malmö", "query": urlencode(query)},
    )

    saved = SavedFilter.objects.get(user=clerk)
    assert saved.list_name == "receivables"
    assert response.url == reverse("invoicing:receivables") + "?" + urlencode(query)
    page = client.get(reverse("invoicing:receivables")).content.decode()
    assert "Overdue SEK, Malmö" in page
