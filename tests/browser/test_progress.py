"""A project manager records units delivered from the contract's billing page."""

from decimal import Decimal

import pytest

from tests.factories import BillingRuleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_project_manager_records_units_delivered(page, live_server, log_in):
    # Given worked example U1's rule: 5 training sessions at 10,000.00
    rule = BillingRuleFactory(
        name="Training",
        rule_type="unit",
        unit_name="sessions",
        unit_price=Decimal("10000.00"),
        total_units=Decimal("5"),
    )
    log_in(UserFactory(username="sofie", role="project_manager"))

    # When she records the first session from the billing page
    page.goto(f"{live_server.url}/contracts/{rule.contract_id}/billing/")
    assert page.locator("text=Edit").count() == 0  # the rule's terms are not hers to change
    page.click("text=Record progress")
    page.fill("#id_units_delivered", "1")
    page.screenshot(path="/tmp/record-progress-en.png", full_page=True)
    page.click("main button[type=submit]")

    # Then the rule shows it, and nothing else of the rule changed
    page.wait_for_url(f"**/contracts/{rule.contract_id}/billing/")
    assert "1.00 / 5.00 sessions" in page.content()
    rule.refresh_from_db()
    assert (rule.units_delivered, rule.unit_price) == (Decimal("1.00"), Decimal("10000.00"))

    # And the page reads well in Swedish
    page.context.add_cookies([{"name": "django_language", "value": "sv", "url": live_server.url}])
    page.goto(f"{live_server.url}/contracts/{rule.contract_id}/billing-rules/{rule.pk}/progress/")
    assert "Registrera framsteg" in page.content()
    page.screenshot(path="/tmp/record-progress-sv.png", full_page=True)
