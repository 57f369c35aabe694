"""A comment with a mention, added in place with htmx, reaches the mentioned person's bell."""

import pytest

from tests.factories import ProjectContractFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mention_reaches_the_bell_and_opens_the_contract(new_session, live_server):
    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", first_name="Lars", role="approver")
    contract = ProjectContractFactory(code="C-7", name="Bridge")

    clerk_context, page = new_session(clerk)
    page.goto(f"{live_server.url}{contract.get_absolute_url()}")
    page.fill("#comments textarea", "@ghost are the rates right?")
    page.click("#comments button[type=submit]")
    page.wait_for_selector("text=Nobody with the user name @ghost can be mentioned")
    page.fill("#comments textarea", "@lars are the rates right?")
    page.click("#comments button[type=submit]")
    page.wait_for_selector("#comments .mention:has-text('@lars')")
    assert page.url.endswith(contract.get_absolute_url())  # swapped in place, no reload
    assert page.input_value("#comments textarea") == ""
    clerk_context.close()

    approver_context, page = new_session(approver)
    assert page.inner_text("[data-testid=unread-count]").startswith("1")
    page.click("a[aria-label=Notifications]")
    page.click("text=karin mentioned you")
    page.wait_for_url(f"**{contract.get_absolute_url()}#comments")
    assert "are the rates right?" in page.inner_text("#comments")
    assert page.query_selector("[data-testid=unread-count]") is None
    approver_context.close()
