"""Every list and detail page of the finance UI on a phone, 390 px wide, in Swedish (issue 16,
item 7).

Each page is opened in headless Chromium at 390 x 844 and must:
- not be wider than the screen (``document.documentElement.scrollWidth <= innerWidth``): a
  table too wide for the screen scrolls inside its own ``table-responsive`` box;
- show every amount whole: an element carrying one (``.amount``, ``.stat``) does not cut its
  text (``scrollWidth <= clientWidth``), no ancestor hides part of it, it lies within the
  screen or inside a box that scrolls sideways, and no number in it breaks over two lines;
- on an invoice or credit note, give every table of more than two columns its headers.

The data is built once for the module (the authorization matrix's world, plus a contract with
two funders, a fee, retention, long names and amounts of a million and more, its posted invoice,
credit note and proposals in every state) and served by a live server of the module's own; it
is committed while the module runs and emptied at its end. Set ``NARROW_SCREENSHOTS`` to a
folder to keep a full-page screenshot of every page there.
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from contracts.models import Category
from invoicing.invoices import credits, posting
from invoicing.invoices.retention import proposal_retention_release_add
from invoicing.proposals import generation, workflow
from invoicing.receivables import payments
from tests import db_template
from tests import test_authorization_matrix as matrix
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    CustomerFactory,
    FundingLimitFactory,
    FundingRuleFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    MilestoneFactory,
    ProjectContractFactory,
    ProjectFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, hours

WIDTH, HEIGHT = 390, 844
LANGUAGE = "sv"
LONG_TEXT = (
    "Projektering och byggledning av ombyggnaden av regionens huvudkontor, etapp 2, med "
    "tillhörande markarbeten, samordning av underentreprenörer och slutbesiktning"
)


# ------------------------------------------------------------------------------------------
# The data
# ------------------------------------------------------------------------------------------


def build_large_contract(clerk, approver) -> dict:
    """A Swedish customer's contract with long names, shared 70/30 with a second funder, a fee
    and 5 % retention; 999.99 hours at 1 234,56 (over a million); one posted invoice and its
    credit note, part paid, and proposals submitted, approved, rejected, cancelled and draft."""
    customer = CustomerFactory(
        language="sv", name="Västra Götalandsregionens Fastighetsförvaltning Aktiebolag"
    )
    contract = ProjectContractFactory(
        customer=customer,
        code="VGR-2026-FASTIGHET-0042",
        name="Ombyggnad av regionens huvudkontor, etapp 2 med markarbeten",
        contract_value=Decimal("98765432.10"),
        retention_percent=Decimal("5"),
    )
    project = ProjectFactory(contract=contract, name=LONG_TEXT[:100])
    region = FundingSourceFactory(
        contract=contract, customer=customer, name="Regionen", is_rounding_source=True
    )
    agency = FundingSourceFactory(
        contract=contract,
        customer=CustomerFactory(name="Statens energimyndighet, enheten för stödprogram"),
        name="Energimyndighetens stöd till energieffektivisering",
    )
    FundingLimitFactory(source=agency, amount=Decimal("12345678.90"))
    rule = FundingRuleFactory(contract=contract, priority=1, name="Delad finansiering 70/30")
    FundingRuleLineFactory(rule=rule, source=region, percentage=Decimal("70"))
    FundingRuleLineFactory(rule=rule, source=agency, percentage=Decimal("30"))
    if not Category.objects.filter(code="ONACC").exists():
        CategoryFactory(code="ONACC", kind="on_account")
    BillingRuleFactory(
        contract=contract, rule_type="time_material", projects=[project], applies_retention=True
    )
    BillingRuleFactory(
        contract=contract,
        rule_type="fee",
        name="Administrationsavgift",
        fee_percent=Decimal("10"),
        projects=[project],
    )
    MilestoneFactory(contract=contract, description=LONG_TEXT, amount=Decimal("1234567.89"))
    worker = WorkerFactory(name="Anna-Karin Lindqvist-Bergström", sales_rate=Decimal("1234.56"))

    def proposals_of(quantity, day):
        hours(project, worker, quantity, date=day, description=LONG_TEXT)
        return generation.proposals_generate(contract=contract, up_to_date=day, actor=clerk)

    def posted(proposal, day):
        workflow.proposal_submit(proposal=proposal, actor=clerk)
        workflow.proposal_approve(proposal=proposal, actor=approver)
        return posting.invoice_post(proposal=proposal, actor=clerk, invoice_date=day)

    first, *_ = proposals_of("999.99", DAY)
    invoice = posted(first, datetime.date(2026, 4, 1))
    line = invoice.lines.filter(line_type="transaction").first()
    credit = credits.credit_proposal_create(
        invoice=invoice,
        amounts={line.pk: Decimal("123456.78")},
        reason="Fel timmar",
        rebill=False,
        actor=clerk,
    )
    credit_note = posted(credit, datetime.date(2026, 4, 2))
    payments.payment_record(
        customer=invoice.customer,  # the funder whose proposal came first: either of the two
        currency=invoice.currency,
        amount=Decimal("234567.89"),
        paid_on=datetime.date(2026, 4, 20),
        allocations=[(invoice, Decimal("234567.89"))],
        actor=clerk,
    )
    release, *_ = proposals_of("500", datetime.date(2026, 4, 30))
    proposal_retention_release_add(proposal=release, actor=clerk)
    workflow.proposal_submit(proposal=release, actor=clerk)
    workflow.proposal_approve(proposal=release, actor=approver)
    rejected, *_ = proposals_of("200", datetime.date(2026, 5, 2))
    workflow.proposal_submit(proposal=rejected, actor=clerk)
    workflow.proposal_reject(proposal=rejected, actor=approver, reason="Fel timpris")
    cancelled, *_ = proposals_of("100", datetime.date(2026, 5, 3))
    workflow.proposal_cancel(proposal=cancelled, actor=clerk)
    submitted, *_ = proposals_of("300", datetime.date(2026, 5, 4))
    workflow.proposal_submit(proposal=submitted, actor=clerk)
    draft, *_ = proposals_of("400", datetime.date(2026, 5, 5))
    hours(project, worker, "888.88", date=datetime.date(2026, 5, 6), description=LONG_TEXT)
    return {
        "contract": contract.pk,
        "project": project.pk,
        "customer": customer.pk,
        "invoice": invoice.pk,
        "credit_note": credit_note.pk,
        "voucher": invoice.voucher.pk,
        "proposals": {
            "approved": release.pk,
            "rejected": rejected.pk,
            "cancelled": cancelled.pk,
            "submitted": submitted.pk,
            "draft": draft.pk,
            "credit": credit.pk,
        },
    }


# ------------------------------------------------------------------------------------------
# The pages
# ------------------------------------------------------------------------------------------

#: The matrix's pages that answer GET with a page of their own but are neither a list nor a
#: detail page: forms, files, fragments and redirects.
NOT_LIST_OR_DETAIL = {
    # a bulk action's per-row result, reached only by the action's redirect (its table is the
    # proposal list's columns' subset: label, result, message)
    "invoicing:bulk_result",
    "login",
    "set_language",
    "health",
    "api_schema",
    "contracts:contract_create",
    "contracts:contract_defaults",
    "contracts:exchange_rate_create",
    "contracts:exchange_rate_upload",
    "contracts:contract_update",
    "contracts:milestone_evidence",
    "contracts:document_download",
    "contracts:milestone_create",
    "contracts:milestone_update",
    "contracts:milestone_complete",
    "contracts:billing_rule_create",
    "contracts:billing_rule_update",
    "contracts:billing_rule_progress",
    "contracts:project_create",
    "contracts:project_update",
    "contracts:budget_create",
    "contracts:budget_update",
    "contracts:budget_delete",
    "collaboration:notification_open",
    "collaboration:comments",
    "funding:source_create",
    "funding:source_update",
    "funding:limit_create",
    "funding:limit_update",
    "funding:rule_create",
    "funding:rule_update",
    "invoicing:transaction_filter_choices",
    "contracts:milestone_contract_choices",
    "invoicing:transaction_export",
    "invoicing:transaction_create",
    "invoicing:transaction_update",
    "invoicing:import_upload",
    "invoicing:import_sample",
    "invoicing:import_errors",
    "invoicing:proposal_export",
    "invoicing:invoice_export",
    "invoicing:invoice_pdf",
    "invoicing:invoice_credit",
    "invoicing:einvoice_xml",
    "invoicing:pdf_batch_download",
    "invoicing:receivables_export",
    "invoicing:customer_export",
    "invoicing:customer_create",
    "invoicing:customer_update",
    "invoicing:customer_statement_pdf",
    "invoicing:chart",
}

#: Detail pages of the large contract: (label, URL name, key of its object).
LARGE_PAGES = [
    ("contract", "contracts:contract_detail", "contract"),
    ("contract billing", "contracts:contract_billing", "contract"),
    ("contract funding", "funding:contract_funding", "contract"),
    ("contract billable", "invoicing:billable_contract", "contract"),
    ("invoice control", "invoicing:invoice_control", "contract"),
    ("project", "contracts:project_detail", "project"),
    ("customer", "invoicing:customer_detail", "customer"),
    ("customer statement", "invoicing:customer_statement", "customer"),
    ("invoice", "invoicing:invoice_detail", "invoice"),
    ("credit note", "invoicing:invoice_detail", "credit_note"),
    ("voucher", "invoicing:voucher_detail", "voucher"),
]
PROPOSAL_STATES = ("draft", "submitted", "approved", "rejected", "cancelled", "credit")


#: The matrix's list and detail pages (every page it lets GET is here or above).
LIST_OR_DETAIL = {
    "home",
    "contracts:contract_list",
    "contracts:milestone_list",
    "contracts:exchange_rate_list",
    "contracts:contract_detail",
    "contracts:contract_billing",
    "contracts:project_detail",
    "collaboration:notification_list",
    "funding:contract_funding",
    "invoicing:transaction_list",
    "invoicing:import_list",
    "invoicing:import_detail",
    "invoicing:proposal_list",
    "invoicing:proposal_detail",
    "invoicing:billable_now",
    "invoicing:billable_contract",
    "invoicing:billing_run",
    "invoicing:jobs",
    "invoicing:invoice_list",
    "invoicing:search",
    "invoicing:invoice_detail",
    "invoicing:einvoice_outbox",
    "invoicing:pdf_batch",
    "invoicing:receivables",
    "invoicing:customer_list",
    "invoicing:customer_detail",
    "invoicing:customer_statement",
    "invoicing:invoice_control",
    "invoicing:bank_file_list",
    "invoicing:bank_file",
    "invoicing:bank_payment_queue",
    "invoicing:bank_payment_match",
    "invoicing:journal",
    "invoicing:voucher_detail",
    "invoicing:chart_edit",
    "invoicing:ledger_export",
}


def pages() -> list[str]:
    """Labels of the pages checked: the matrix's lists and details, then the large contract's."""
    labels = [entry.label for entry in matrix.PAGES if entry.name in LIST_OR_DETAIL]
    labels += [f"large {label}" for label, _name, _key in LARGE_PAGES]
    labels += [f"large proposal {state}" for state in PROPOSAL_STATES]
    return labels


def url_of(label: str, world: dict) -> str:
    large = world["large"]
    if label.startswith("large proposal "):
        pk = large["proposals"][label.removeprefix("large proposal ")]
        return reverse("invoicing:proposal_detail", args=[pk])
    for page_label, name, key in LARGE_PAGES:
        if label == f"large {page_label}":
            return reverse(name, args=[large[key]])
    return matrix.url_of(matrix.PAGES_BY_LABEL[label], world, matrix.ADMIN)


# ------------------------------------------------------------------------------------------
# Fixtures: one data set, one server and one browser context for the module
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The data, committed for the module's live server and emptied at its end."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("narrow-media"))
    media.enable()
    with pytest.MonkeyPatch.context() as patch:
        # The pages are looked at, not the PDFs posting renders.
        patch.setattr("invoicing.invoices.documents.invoice_pdf", lambda invoice: b"%PDF-1.4")
        patch.setattr("invoicing.invoices.documents.html_pdf", lambda *args, **kw: b"%PDF-1.4")
        with django_db_blocker.unblock():
            try:
                data = matrix.build_world()
                users = data["users"]
                data["large"] = build_large_contract(users[matrix.FINANCE], users[matrix.APPROVER])
                client = Client()
                client.force_login(users[matrix.ADMIN])
                data["session"] = client.cookies[settings.SESSION_COOKIE_NAME].value
            except BaseException:
                db_template.database_empty()
                raise
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        data["server"] = server
        yield data
        server.stop()
        server._live_server_modified_settings.disable()
        with django_db_blocker.unblock():
            db_template.database_empty()
    media.disable()


@pytest.fixture(scope="module")
def phone(browser, world):
    """A browser context of a phone, 390 x 844, logged in as the admin, reading Swedish."""
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        locale="sv-SE",
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )
    host = world["server"].thread.host
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": world["session"],
                "domain": host,
                "path": "/",
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": LANGUAGE, "domain": host, "path": "/"},
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


# ------------------------------------------------------------------------------------------
# The check
# ------------------------------------------------------------------------------------------

# What is wrong with the page at this width: a page wider than the screen, and each amount cut
# off (its own text overflows it, an ancestor that hides overflow cuts it, or it lies outside
# the screen without a sideways-scrolling box around it).
LAYOUT_PROBLEMS = """(width) => {
    const problems = [];
    const root = document.documentElement;
    // A phone lays out a page wider than its screen at that width and zooms it out to fit, so
    // the width is the screen's (innerWidth grows with the page).
    if (root.scrollWidth > width || window.innerWidth > width) {
        const wide = [...document.body.querySelectorAll("*")].filter((element) => {
            const box = element.getBoundingClientRect();
            return box.width > 0 && box.right > width + 1;
        });
        const outermost = wide.filter((element) => !wide.includes(element.parentElement));
        const names = outermost.slice(0, 5).map((element) =>
            element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
            + (element.className && typeof element.className === "string"
               ? "." + element.className.trim().split(/\\s+/).join(".") : ""));
        problems.push(`page is ${root.scrollWidth} px wide on a ${width} px screen: ${names.join(", ")}`);
    }
    const inside = (inner, outer) => inner.left >= outer.left - 1 && inner.right <= outer.right + 1;
    for (const element of document.querySelectorAll(".amount, .stat")) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;  // not shown
        const text = element.textContent.trim().replace(/\\s+/g, " ").slice(0, 40);
        const display = getComputedStyle(element).display;
        if (display !== "inline" && element.scrollWidth > element.clientWidth + 1) {
            problems.push(`amount "${text}" cut: ${element.scrollWidth} px in ${element.clientWidth} px`);
            continue;
        }
        let scrolls = false;
        let cut = false;
        for (let ancestor = element.parentElement; ancestor && ancestor !== root; ancestor = ancestor.parentElement) {
            const overflow = getComputedStyle(ancestor).overflowX;
            if (overflow === "auto" || overflow === "scroll") { scrolls = true; break; }
            if ((overflow === "hidden" || overflow === "clip") && !inside(box, ancestor.getBoundingClientRect())) {
                cut = true; break;
            }
        }
        if (cut) problems.push(`amount "${text}" cut by a box around it`);
        else if (!scrolls && !inside(box, {left: 0, right: width})) {
            problems.push(`amount "${text}" off the screen (${Math.round(box.left)}..${Math.round(box.right)} px)`);
        }
        // A number broken over two lines ("98 765 432" / ",10") is read as two.
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!/\\d/.test(node.textContent)) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
            if (tops.size > 1) {
                problems.push(`amount "${node.textContent.trim()}" broken over ${tops.size} lines`);
            }
        }
    }
    return problems;
}"""


def test_every_page_that_answers_get_is_sorted():
    """A new page is either a list or detail page checked here, or named as not one."""
    answering = {entry.name for entry in matrix.PAGES if entry.get is not None}
    assert answering - LIST_OR_DETAIL - NOT_LIST_OR_DETAIL == set()
    assert (LIST_OR_DETAIL | NOT_LIST_OR_DETAIL) - answering == set()


# Tables of more than two columns (not a label and its value) without column headers.
TABLES_WITHOUT_HEADERS = """() => [...document.querySelectorAll("main table")]
    .filter((table) => [...table.rows].some((row) => row.cells.length > 2))
    .filter((table) => !table.querySelector("thead th"))
    .map((table) => table.rows[0].textContent.trim().replace(/\\s+/g, " ").slice(0, 60))"""

INVOICE_PAGES = {"invoicing:invoice_detail", "large invoice", "large credit note"}


@pytest.mark.django_db
@pytest.mark.parametrize("label", pages())
def test_page_fits_a_phone_and_shows_every_amount_whole(phone, world, label):
    url = world["server"].url + url_of(label, world)
    response = phone.goto(url)
    assert response.status == 200, f"{label}: {response.status} at {url}"
    assert phone.evaluate("document.documentElement.lang") == LANGUAGE
    folder = os.environ.get("NARROW_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        name = label.replace(":", "-").replace(" ", "-").replace("[", "-").replace("]", "")
        phone.screenshot(path=f"{folder}/{name}.png", full_page=True)
    assert phone.evaluate(LAYOUT_PROBLEMS, WIDTH) == []
    if label in INVOICE_PAGES:
        assert phone.evaluate(TABLES_WITHOUT_HEADERS) == []
