"""A comment with a mention, added in place with htmx, reaches the mentioned person's bell."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ProjectContractFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mention_reaches_the_bell_and_opens_the_contract(new_session, live_server):
    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", first_name="Lars", role="approver")
    contract = ProjectContractFactory(code="C-7", name="Bridge")

    clerk_context, page = new_session(clerk)
    page.goto(f"{live_server.url}{contract.get_absolute_url()}")
    comments = page.locator("#comments")
    textarea = page.locator("#comments textarea")
    # A mark in the window: it survives an htmx swap, not a page load
    page.evaluate("window.notReloaded = true")
    textarea.fill("@ghost are the rates right?")
    page.click("#comments button[type=submit]")
    expect(comments).to_contain_text("Nobody with the user name @ghost can be mentioned")
    expect(comments.locator(".comment")).to_have_count(0)
    textarea.fill("@lars are the rates right?")
    page.click("#comments button[type=submit]")
    expect(comments.locator(".comment .mention", has_text="@lars")).to_be_visible()
    expect(comments.locator(".comment")).to_have_count(1)
    expect(textarea).to_have_value("")
    # swapped in place, no reload
    expect(page).to_have_url(f"{live_server.url}{contract.get_absolute_url()}")
    assert page.evaluate("window.notReloaded") is True
    clerk_context.close()

    approver_context, page = new_session(approver)
    unread = page.locator("[data-testid=unread-count]")
    expect(unread).to_have_text(re.compile(r"^1\b"))
    page.click("a[aria-label=Notifications]")
    page.wait_for_url(f"{live_server.url}/notifications/")
    page.click("text=karin mentioned you")
    page.wait_for_url(f"**{contract.get_absolute_url()}#comments")
    expect(page.locator("#comments")).to_contain_text("are the rates right?")
    expect(unread).to_have_count(0)
    approver_context.close()
