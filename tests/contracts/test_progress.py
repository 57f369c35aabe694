"""Recording progress: project managers enter units delivered and percent complete through
their own form and permission, and cannot touch a rule's type, prices, fee or caps."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from contracts import services
from contracts.models import BillingRule
from tests.factories import BillingRuleFactory, CategoryFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def unit_rule():
    """Worked example U1: 5 training sessions at 10,000.00, none delivered yet."""
    return BillingRuleFactory(
        rule_type="unit", unit_name="sessions", unit_price=D("10000.00"), total_units=D("5")
    )


def progress_url(rule):
    return reverse("contracts:billing_rule_progress", args=[rule.contract_id, rule.pk])


def test_project_manager_records_units_delivered_and_nothing_else(
    client, user_with_role, unit_rule
):
    manager = user_with_role("project_manager")
    client.force_login(manager)
    assert client.get(progress_url(unit_rule)).status_code == 200
    response = client.post(
        progress_url(unit_rule),
        # Terms smuggled into the post are not on the form and change nothing.
        {"units_delivered": "1", "unit_price": "99999", "rule_type": "fee", "fee_percent": "50"},
    )
    assert response.status_code == 302
    unit_rule.refresh_from_db()
    assert (unit_rule.units_delivered, unit_rule.unit_price, unit_rule.rule_type) == (
        D("1.00"),
        D("10000.00"),
        "unit",
    )
    assert unit_rule.fee_percent is None
    assert unit_rule.history.first().history_user == manager


def test_project_manager_records_percent_complete(client, user_with_role):
    rule = BillingRuleFactory(rule_type="progress_manual")
    client.force_login(user_with_role("project_manager"))
    client.post(progress_url(rule), {"percent_complete": "15"})
    rule.refresh_from_db()
    assert rule.percent_complete == D("15.00")


def test_units_beyond_the_total_are_refused_with_the_rule_unchanged(
    client, user_with_role, unit_rule
):
    client.force_login(user_with_role("project_manager"))
    response = client.post(progress_url(unit_rule), {"units_delivered": "6"})
    assert response.status_code == 200
    assert "Units delivered cannot exceed the total units." in response.content.decode()
    unit_rule.refresh_from_db()
    assert unit_rule.units_delivered == 0


def test_project_manager_cannot_open_or_post_the_rule_terms(client, user_with_role, unit_rule):
    client.force_login(user_with_role("project_manager"))
    url = reverse("contracts:billing_rule_update", args=[unit_rule.contract_id, unit_rule.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"name": "x", "rule_type": "unit", "unit_price": "1"})
    assert response.status_code == 403
    unit_rule.refresh_from_db()
    assert unit_rule.unit_price == D("10000.00")


def test_the_terms_service_refuses_a_project_manager(user_with_role, unit_rule):
    """The reproduction of issue 13: change_billingrule let the role reprice the rule."""
    unit_rule.unit_price = D("1.00")
    with pytest.raises(PermissionDenied, match="cannot set up or change billing rules"):
        services.billing_rule_save(
            rule=unit_rule,
            projects=list(unit_rule.projects.all()),
            caps=[(CategoryFactory(), D("1"))],
            actor=user_with_role("project_manager"),
        )
    assert BillingRule.objects.get().unit_price == D("10000.00")


@pytest.mark.parametrize("role", ["approver", "read_only"])
def test_other_roles_cannot_record_progress(client, user_with_role, unit_rule, role):
    user = user_with_role(role)
    with pytest.raises(PermissionDenied):
        services.billing_rule_progress_record(rule=unit_rule, actor=user, units_delivered=D("1"))
    client.force_login(user)
    assert client.post(progress_url(unit_rule), {"units_delivered": "1"}).status_code == 403
    unit_rule.refresh_from_db()
    assert unit_rule.units_delivered == 0


def test_finance_records_progress_too(user_with_role, unit_rule):
    services.billing_rule_progress_record(
        rule=unit_rule, actor=user_with_role("finance_clerk"), units_delivered=D("2")
    )
    unit_rule.refresh_from_db()
    assert unit_rule.units_delivered == 2


def test_rules_whose_progress_is_not_entered_by_hand_have_no_progress_form(client, user_with_role):
    rule = BillingRuleFactory(rule_type="fee", fee_percent=D("10"))
    manager = user_with_role("project_manager")
    client.force_login(manager)
    assert client.get(progress_url(rule)).status_code == 404
    with pytest.raises(ValidationError, match="only on unit-of-delivery and manual progress"):
        services.billing_rule_progress_record(rule=rule, actor=manager, percent_complete=D("5"))


def test_the_billing_page_offers_progress_not_terms_to_project_managers(
    client, user_with_role, unit_rule
):
    client.force_login(user_with_role("project_manager"))
    html = client.get(
        reverse("contracts:contract_billing", args=[unit_rule.contract_id])
    ).content.decode()
    assert progress_url(unit_rule) in html
    edit = reverse("contracts:billing_rule_update", args=[unit_rule.contract_id, unit_rule.pk])
    assert edit not in html
    assert reverse("invoicing:billable_contract", args=[unit_rule.contract_id]) in html
