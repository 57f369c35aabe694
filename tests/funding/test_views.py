"""The funding tab: permissions per role, the simulator, and rule validation in the form."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.roles import ROLE_GROUP_NAMES
from funding.models import FundingLimit, FundingRule, FundingRuleLine, FundingSource
from tests.factories import FundingLimitFactory, FundingRuleLineFactory, ProjectContractFactory
from tests.funding.test_services import f1_contract, used_f1

pytestmark = pytest.mark.django_db
EDITORS = {"finance_clerk", "admin"}
D = Decimal


@pytest.fixture
def setup():
    contract, sources = f1_contract()
    limit = sources[0].limits.get()
    rule = contract.funding_rules.first()
    return contract, sources, limit, rule


def urls(setup):
    contract, sources, limit, rule = setup
    c = contract.pk
    return {
        "funding": (reverse("funding:contract_funding", args=[c]), set(ROLE_GROUP_NAMES)),
        "source_create": (reverse("funding:source_create", args=[c]), EDITORS),
        "source_update": (reverse("funding:source_update", args=[c, sources[0].pk]), EDITORS),
        "limit_create": (reverse("funding:limit_create", args=[c]), EDITORS),
        "limit_update": (reverse("funding:limit_update", args=[c, limit.pk]), EDITORS),
        "rule_create": (reverse("funding:rule_create", args=[c]), EDITORS),
        "rule_update": (reverse("funding:rule_update", args=[c, rule.pk]), EDITORS),
    }


@pytest.mark.parametrize(
    "view",
    [
        "funding",
        "source_create",
        "source_update",
        "limit_create",
        "limit_update",
        "rule_create",
        "rule_update",
    ],
)
@pytest.mark.parametrize("role", list(ROLE_GROUP_NAMES))
def test_every_funding_view_checks_the_role(client, user_with_role, setup, view, role):
    url, allowed = urls(setup)[view]
    client.force_login(user_with_role(role))
    assert client.get(url).status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("view", ["limit_delete", "rule_delete"])
@pytest.mark.parametrize("role", sorted(set(ROLE_GROUP_NAMES) - EDITORS))
def test_only_editors_can_delete(client, user_with_role, setup, view, role):
    contract, _sources, limit, rule = setup
    target = limit if view == "limit_delete" else rule
    client.force_login(user_with_role(role))
    response = client.post(reverse(f"funding:{view}", args=[contract.pk, target.pk]))
    assert response.status_code == 403
    assert type(target).objects.filter(pk=target.pk).exists()
    assert rule.lines.count() == 2


def test_read_only_sees_funding_without_edit_controls(client, user_with_role, setup):
    contract, *_ = setup
    client.force_login(user_with_role("read_only"))
    html = client.get(reverse("funding:contract_funding", args=[contract.pk])).content.decode()
    assert "Source 1" in html
    assert "/edit/" not in html and "/new/" not in html and "/delete/" not in html


def test_simulator_explains_the_split_line_by_line(client, user_with_role, setup):
    contract, *_ = setup
    client.force_login(user_with_role("read_only"))
    response = client.post(
        reverse("funding:simulate", args=[contract.pk]),
        {"amount": "5000.00", "date": "2026-03-01", "kind": "hour"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "scaled down to 500.00 by limit" in html
    assert "3,750.00" in html and "5,000.00" in html


def test_simulator_reports_bad_input_without_a_traceback(clerk_client, setup):
    contract, *_ = setup
    response = clerk_client.post(
        reverse("funding:simulate", args=[contract.pk]),
        {"amount": "12.345", "date": "not a date", "kind": "hour"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "SEK amounts have at most 2 decimals" in html
    assert "Enter a valid date" in html


def test_funding_page_runs_a_bounded_number_of_queries(
    clerk_client, setup, django_assert_max_num_queries
):
    contract, sources, *_ = setup
    url = reverse("funding:contract_funding", args=[contract.pk])
    with django_assert_max_num_queries(30) as few:
        response = clerk_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Source 3" in html and "750.00" in html  # F1's limit of source 3
    for source in sources:
        FundingLimitFactory.create_batch(3, source=source, amount=D("1234.00"))
    for number in range(5):
        FundingRuleLineFactory(
            rule__contract=contract, rule__name=f"Extra rule {number}", source=sources[0]
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clerk_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("1,234.00") == 2 * 9  # limit and remaining of each new limit
    assert "Extra rule 0" in html and "Extra rule 4" in html


def rule_post(sources, *lines, name="Split", priority="1"):
    data = {
        "name": name,
        "priority": priority,
        "kind": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, (source, percentage) in enumerate(lines):
        data[f"lines-{index}-source"] = source.pk
        data[f"lines-{index}-percentage"] = percentage
    return data


def test_clerk_creates_a_rule_with_lines(clerk_client, setup):
    contract, sources, *_ = setup
    response = clerk_client.post(
        reverse("funding:rule_create", args=[contract.pk]),
        rule_post(sources, (sources[0], "75"), (sources[1], "25"), name="Shared"),
    )
    assert response.status_code == 302
    rule = FundingRule.objects.get(name="Shared")
    assert sorted(rule.lines.values_list("percentage", flat=True)) == [25, 75]


def test_rule_over_100_percent_is_refused_in_the_form(clerk_client, setup):
    contract, sources, *_ = setup
    response = clerk_client.post(
        reverse("funding:rule_create", args=[contract.pk]),
        rule_post(sources, (sources[0], "75"), (sources[1], "40"), name="Too much"),
    )
    assert "add up to 115" in response.content.decode()
    assert not FundingRule.objects.filter(name="Too much").exists()


def test_second_on_hold_source_is_a_form_error(clerk_client, setup):
    contract, *_ = setup
    FundingSource.objects.create(
        contract=contract, name="Hold", source_type="organization", is_on_hold=True
    )
    response = clerk_client.post(
        reverse("funding:source_create", args=[contract.pk]),
        {"name": "Hold 2", "source_type": "organization", "is_on_hold": "on"},
    )
    assert "only one on-hold funding source" in response.content.decode()


def test_admin_refuses_rule_lines_over_100_percent(client, setup, django_user_model):
    contract, sources, _limit, rule = setup
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345-x")
    client.force_login(admin)
    lines = list(rule.lines.all())
    data = {
        "contract": contract.pk,
        "name": rule.name,
        "priority": rule.priority,
        "kind": "",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        data.update(
            {
                f"lines-{index}-id": line.pk,
                f"lines-{index}-rule": rule.pk,
                f"lines-{index}-source": line.source_id,
                f"lines-{index}-percentage": "50",
            }
        )
    data.update(
        {"lines-2-rule": rule.pk, "lines-2-source": sources[0].pk, "lines-2-percentage": "10"}
    )
    response = client.post(f"/admin/funding/fundingrule/{rule.pk}/change/", data)
    assert response.status_code == 200
    assert "add up to 110" in response.content.decode()
    assert rule.lines.count() == len(lines)


# ------------------------------------------------------------------------------------------
# Editing and deleting limits and rules that transactions have used
# ------------------------------------------------------------------------------------------


def limit_rows(html: str) -> list[tuple[str, ...]]:
    """(source, limit, used, remaining) of each row of the funding page's limits table."""
    table = html[html.index('id="limits"') : html.index('id="rules"')]
    return [
        (source, *re.findall(r'<td class="amount[^"]*">([^<]*)</td>', row))
        for source, row in re.findall(
            r'<td class="fw-semibold">([^<]*)</td>(.*?)</tr>', table, flags=re.S
        )
    ]


def limit_post(limit, **changes):
    data = {
        "source": limit.source_id,
        "amount": str(limit.amount),
        "project": "",
        "category": "",
        "worker": "",
        "item": "",
        "kind": "",
        "date_from": "",
        "date_to": "",
    }
    return {**data, **changes}


@pytest.fixture
def used():
    """F1 after a 1,000.00 transaction: source 2 used 500.00 (all), source 3 500.00 of 750.00."""
    return used_f1()


def test_clerk_raises_a_used_limit_and_the_page_keeps_what_is_used(clerk_client, used):
    contract, _sources, (_l1, _l2, limit_3) = used
    response = clerk_client.post(
        reverse("funding:limit_update", args=[contract.pk, limit_3.pk]),
        limit_post(limit_3, amount="900.00"),
        follow=True,
    )
    assert response.redirect_chain == [
        (reverse("funding:contract_funding", args=[contract.pk]), 302)
    ]
    html = response.content.decode()
    assert "Funding was saved." in html
    assert limit_rows(html) == [
        ("Source 1", "10,000.00", "0.00", "10,000.00"),
        ("Source 2", "500.00", "500.00", "0.00"),
        ("Source 3", "900.00", "500.00", "400.00"),
    ]
    limit_3.refresh_from_db()
    assert (limit_3.amount, limit_3.used_amount) == (D("900.00"), D("500.00"))


def test_clerk_changes_a_used_limits_dates_and_the_page_keeps_what_is_used(clerk_client, used):
    contract, _sources, (_l1, limit_2, _l3) = used
    response = clerk_client.post(
        reverse("funding:limit_update", args=[contract.pk, limit_2.pk]),
        limit_post(limit_2, date_from="2026-01-01", date_to="2026-06-30"),
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert ("Source 2", "500.00", "500.00", "0.00") in limit_rows(html)
    limit_2.refresh_from_db()
    assert (limit_2.date_from, limit_2.date_to, limit_2.used_amount) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 6, 30),
        D("500.00"),
    )


def test_a_used_limit_cannot_be_lowered_below_what_is_used_in_the_form(clerk_client, used):
    contract, _sources, (_l1, _l2, limit_3) = used
    response = clerk_client.post(
        reverse("funding:limit_update", args=[contract.pk, limit_3.pk]),
        limit_post(limit_3, amount="499.99"),
    )
    assert response.status_code == 200
    assert "A funding limit cannot be lower than what is already used." in response.content.decode()
    limit_3.refresh_from_db()
    assert (limit_3.amount, limit_3.used_amount) == (D("750.00"), D("500.00"))


def test_clerk_deletes_a_used_limit(clerk_client, used):
    # The product's current behaviour: a used limit can be deleted; the source is uncapped.
    contract, _sources, (_l1, limit_2, _l3) = used
    response = clerk_client.post(
        reverse("funding:limit_delete", args=[contract.pk, limit_2.pk]), follow=True
    )
    assert response.redirect_chain == [
        (reverse("funding:contract_funding", args=[contract.pk]), 302)
    ]
    html = response.content.decode()
    assert "Deleted." in html
    assert [row[0] for row in limit_rows(html)] == ["Source 1", "Source 3"]
    assert not FundingLimit.objects.filter(pk=limit_2.pk).exists()
    deleted = FundingLimit.history.filter(id=limit_2.pk, history_type="-").get()
    assert deleted.history_user.groups.get().name == "Finance clerk"


def test_clerk_deletes_a_rule_and_its_lines(clerk_client, used):
    contract, _sources, _limits = used
    rule = contract.funding_rules.get(priority=1)
    line_ids = list(rule.lines.values_list("pk", flat=True))
    funding_page = reverse("funding:contract_funding", args=[contract.pk])
    assert rule.name in clerk_client.get(funding_page).content.decode()
    response = clerk_client.post(
        reverse("funding:rule_delete", args=[contract.pk, rule.pk]), follow=True
    )
    assert response.redirect_chain == [(funding_page, 302)]
    html = response.content.decode()
    assert "Deleted." in html
    assert rule.name not in html
    assert not FundingRule.objects.filter(pk=rule.pk).exists()
    assert not FundingRuleLine.objects.filter(pk__in=line_ids).exists()
    assert contract.funding_rules.count() == 2


def test_a_rule_or_limit_of_another_contract_is_not_found(clerk_client, used):
    contract, _sources, (limit_1, _l2, _l3) = used
    rule = contract.funding_rules.get(priority=1)
    other = ProjectContractFactory()
    for url in (
        reverse("funding:limit_delete", args=[other.pk, limit_1.pk]),
        reverse("funding:rule_delete", args=[other.pk, rule.pk]),
    ):
        assert clerk_client.post(url).status_code == 404
    assert FundingLimit.objects.filter(pk=limit_1.pk).exists()
    assert FundingRule.objects.filter(pk=rule.pk).exists()
