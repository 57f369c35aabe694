"""The billing rule form fits its type (issue 16, item 5): it shows only the terms of the chosen
rule type, the service clears the others instead of keeping values that do nothing, and its
checkbox lists look like checkboxes."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from contracts import services
from contracts.forms import BillingRuleForm
from contracts.models import BillingRuleCap
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


def test_saving_a_rule_clears_the_terms_of_other_types():
    project = ProjectFactory()
    rule = BillingRuleFactory(
        contract=project.contract, rule_type="unit", unit_name="report", unit_price=D("100"),
        total_units=D("10"), units_delivered=D("2"), projects=[project],
    )  # fmt: skip
    rule.rule_type = "fee"
    rule.fee_percent = D("10")
    services.billing_rule_save(rule=rule, projects=[project], actor=None)
    rule.refresh_from_db()
    assert (rule.unit_name, rule.unit_price, rule.total_units, rule.units_delivered) == (
        "", None, None, D("0"),
    )  # fmt: skip
    assert rule.fee_percent == D("10")


def test_categories_and_caps_belong_to_time_and_material_only():
    project = ProjectFactory()
    category = CategoryFactory()
    rule = BillingRuleFactory(
        contract=project.contract, rule_type="time_material", projects=[project]
    )
    services.billing_rule_save(
        rule=rule, projects=[project], chargeable_categories=[category],
        caps=[(category, D("5000"))], actor=None,
    )  # fmt: skip
    assert list(rule.chargeable_categories.all()) == [category]
    rule.rule_type = "milestone"
    services.billing_rule_save(
        rule=rule, projects=[project], chargeable_categories=[category], actor=None
    )
    assert not rule.chargeable_categories.exists()
    assert not BillingRuleCap.objects.filter(rule=rule).exists()


def test_checkbox_lists_render_as_checkboxes_even_after_the_errors_are_read():
    """Django 5 reads form.errors while rendering a field (aria-invalid); the form's Bootstrap
    classes were then applied again and turned every checkbox into a text-box pill."""
    project = ProjectFactory()
    form = BillingRuleForm(contract=project.contract)
    form.errors  # noqa: B018 - what rendering does
    html = str(form["projects"])
    assert 'class="checkbox-list"' in html
    assert 'type="checkbox"' in html and 'class="form-check-input"' in html
    assert "form-control" not in html


def test_the_form_page_carries_the_terms_of_each_type(client, user_with_role):
    project = ProjectFactory()
    client.force_login(user_with_role("finance_clerk"))
    html = client.get(
        reverse("contracts:billing_rule_create", args=[project.contract.pk])
    ).content.decode()
    assert "data-rule-type-fields=" in html and "js/rule-type-fields.js" in html
    assert 'data-field="unit_price"' in html and 'data-field="caps"' in html
