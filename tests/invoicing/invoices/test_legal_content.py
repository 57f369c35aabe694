"""Every legally required field on the invoice and credit-note PDF, per seller country (issue
14, item 6): the Swedish VAT act (ML 2023:200, 17 kap.), the companies act and F-tax for a
Swedish seller, the Danish momsbekendtgørelse § 58 for a Danish one. One test per row of
docs/legal-content.md, each reading the PDF's text in the document's language."""

import datetime
import re
import subprocess
from decimal import Decimal

import pytest

from contracts.models import Customer, LegalEntity, TaxGroup
from invoicing.invoices import credits, documents, posting
from invoicing.invoices.models import Invoice
from invoicing.proposals import generation, workflow
from invoicing.transactions.models import ProjectTransaction
from tests.factories import (
    BillingRuleFactory,
    CustomerFactory,
    LegalEntityFactory,
    ProjectFactory,
    TaxGroupFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.invoicing.invoices.test_credits import approve_and_post
from tests.invoicing.invoices.test_documents import pdf_text

pytestmark = pytest.mark.django_db
D = Decimal
INVOICE_DATE = datetime.date(2026, 4, 1)
FIRST_DAY, LAST_DAY = datetime.date(2026, 3, 2), datetime.date(2026, 3, 27)


def swedish_seller():
    return LegalEntityFactory(
        swedish_details=True,
        name="Nordic Projects AB",
        street="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        invoice_number_prefix="SE-",
    )


def danish_seller():
    return LegalEntityFactory(
        danish=True,
        name="Nordic Projects ApS",
        street="Vesterbrogade 10",
        postal_code="1620",
        city="København V",
        invoice_number_prefix="DK-",
    )


def post(
    people,
    *,
    seller,
    language,
    customer=None,
    tax_group=None,
    exempt_hours=None,
    currency=None,
):
    """An invoice of the seller: 120 hours at 100.00 worked from 2 to 27 March (80 and 40),
    a 10 % fee, posted on 1 April in ``language``; ``exempt_hours`` more on a project whose
    tax group is exempt from VAT."""
    customer = customer or CustomerFactory(
        name="Kund AB", street="Kundvägen 2", postal_code="222 33", city="Malmö"
    )
    customer.language = language
    customer.save()
    contract, project, source = contract_with_customer(
        legal_entity=seller,
        default_tax_group=tax_group or TaxGroupFactory(),
        currency=currency or seller.base_currency,
    )
    source.customer = customer
    source.save()
    projects = [project]
    worker = WorkerFactory(sales_rate=D("100"))
    hours(project, worker, "80", date=FIRST_DAY)
    hours(project, worker, "40", date=LAST_DAY)
    if exempt_hours:
        exempt = TaxGroupFactory(
            exempt=True, exemption_reason_code="VATEX-EU-132-1I", note="Education, ML 10 kap. 35 §"
        )
        training = ProjectFactory(contract=contract, name="Training", tax_group=exempt)
        projects.append(training)
        hours(training, worker, exempt_hours, date=datetime.date(2026, 3, 16))
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=projects)
    BillingRuleFactory(contract=contract, rule_type="fee", fee_percent=D("10"), projects=[project])
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=INVOICE_DATE)


def german_buyer():
    return CustomerFactory(
        name="Bauprojekt GmbH",
        street="Hauptstraße 5",
        postal_code="10115",
        city="Berlin",
        country="DE",
        vat_number="DE136695976",
    )


def reverse_charge():
    return TaxGroupFactory(reverse_charge=True)


def credit_all(invoice, people, reason="Wrong hourly rate"):
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason=reason, rebill=False, actor=people["clerk"]
    )
    return approve_and_post(proposal, people)


def text_of(invoice) -> str:
    """The PDF's text as a reader sees it: non-breaking spaces as spaces, lines joined."""
    text = pdf_text(documents.invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    return " ".join(text.replace("\xa0", " ").split())


def layout_text(invoice) -> str:
    """The PDF's text with each printed row kept on its line (``pdftotext -layout``), its
    runs of spaces (and non-breaking spaces) made one: a label and its value read together."""
    pdf = documents.invoice_pdf(Invoice.objects.get(pk=invoice.pk))
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return "\n".join(" ".join(line.replace("\xa0", " ").split()) for line in text.splitlines())


_RENDERED: dict[tuple, str] = {}


def rendered(
    people, seller, language: str, *, layout: bool = True, exempt_hours=None, scenario="basic"
) -> str:
    """The text of one of the module's documents of ``seller`` in ``language``, rendered once
    per module and scenario: the basic invoice (``post`` with its defaults), a reverse-charge
    invoice to a German buyer, or the basic invoice credited in full. Its text depends on
    nothing but the scenario (the tests that read a worker's name match any number), so the
    tests that each look for one field share one PDF instead of posting and rendering again."""
    key = (seller.__name__, language, layout, exempt_hours, scenario)
    if key not in _RENDERED:
        if scenario == "reverse_charge":
            document = post(
                people, seller=seller(), language=language, customer=german_buyer(),
                tax_group=reverse_charge(),
            )  # fmt: skip
        else:
            document = post(people, seller=seller(), language=language, exempt_hours=exempt_hours)
            if scenario == "credit_note":
                document = credit_all(document, people)
        _RENDERED[key] = layout_text(document) if layout else text_of(document)
    return _RENDERED[key]


# --- ML 17 kap. 24 § and momsbekendtgørelsen § 58, stk. 1, per seller and language ---------


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", "Fakturadatum 2026-04-01"),
        (swedish_seller, "en", "Invoice date 2026-04-01"),
        (danish_seller, "da", "Fakturadato 2026-04-01"),
    ],
)
def test_the_date_of_issue(people, seller, language, printed):
    assert printed in rendered(people, seller, language)


def test_the_unique_sequential_number_of_the_sellers_series(people):
    seller = swedish_seller()
    first = post(people, seller=seller, language="sv")
    second = post(people, seller=seller, language="sv")
    assert "Nummer SE-1" in layout_text(first)
    assert "Nummer SE-2" in layout_text(second)
    dk = layout_text(post(people, seller=danish_seller(), language="da"))
    assert "Nummer DK-1" in dk


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", "Momsregistreringsnummer SE556677889901"),
        (swedish_seller, "en", "VAT number SE556677889901"),
        (danish_seller, "da", "Momsnummer DK32712452"),
    ],
)
def test_the_sellers_vat_registration_number(people, seller, language, printed):
    assert printed in rendered(people, seller, language)


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", "Köparens momsregistreringsnummer: DE136695976."),
        (swedish_seller, "en", "Buyer's VAT number: DE136695976."),
        (danish_seller, "da", "Købers momsnummer: DE136695976."),
    ],
)
def test_the_buyers_vat_number_when_the_buyer_accounts_for_the_vat(
    people, seller, language, printed
):
    text = rendered(people, seller, language, layout=False, scenario="reverse_charge")
    assert printed in text
    assert "DE136695976" in text.split(printed)[0]  # in the address block too


def test_the_buyers_vat_number_on_an_intra_community_supply(people):
    intra_community = TaxGroupFactory(
        name="EU goods", rate=D("0"), vat_category="K", exemption_reason_code="VATEX-EU-IC",
        note="Intra-community supply, article 138 Council Directive 2006/112/EC",
    )  # fmt: skip
    invoice = post(
        people, seller=swedish_seller(), language="en", customer=german_buyer(),
        tax_group=intra_community,
    )  # fmt: skip
    assert (
        "K · Intra-community supply. Intra-community supply, article 138 Council Directive "
        "2006/112/EC (VATEX-EU-IC). Buyer's VAT number: DE136695976."
    ) in text_of(invoice)


@pytest.mark.parametrize(("seller", "language"), [(swedish_seller, "sv"), (danish_seller, "da")])
def test_the_names_and_addresses_of_seller_and_buyer(people, seller, language):
    entity = seller()
    text = text_of(post(people, seller=entity, language=language))
    for printed in (entity.name, entity.street, f"{entity.postal_code} {entity.city}"):
        assert printed in text
    for printed in ("Kund AB", "Kundvägen 2", "222 33 Malmö"):
        assert printed in text


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", r"2026-03-02 · Development · Worker \d+ 80,00 "),
        (danish_seller, "da", r"2026-03-27 · Development · Worker \d+ 40,00 "),
        (danish_seller, "en", r"2026-03-02 · Development · Worker \d+ 80.00 "),
    ],
)
def test_the_quantity_and_nature_of_the_services(people, seller, language, printed):
    assert re.search(printed, rendered(people, seller, language))


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", "Leveransperiod 2026-03-02 – 2026-03-27"),
        (swedish_seller, "en", "Delivery period 2026-03-02 – 2026-03-27"),
        (danish_seller, "da", "Leveringsperiode 2026-03-02 – 2026-03-27"),
    ],
)
def test_the_date_of_supply_when_it_differs_from_the_invoice_date(
    people, seller, language, printed
):
    assert printed in rendered(people, seller, language)


def test_work_of_a_single_day_prints_its_date(people):
    seller = danish_seller()
    contract, project, _source = contract_with_customer(legal_entity=seller, currency="DKK")
    hours(project, WorkerFactory(sales_rate=D("100")), "8", date=datetime.date(2026, 3, 16))
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    proposal.funding_source.customer.language = "da"
    proposal.funding_source.customer.save()
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    invoice = posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=INVOICE_DATE
    )
    text = layout_text(invoice)
    assert "Leveringsdato 2026-03-16" in text
    assert "Leveringsperiode" not in text


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", ["Moms 25 % på 13 200,00 3 300,00", "Moms 0 % på 3 000,00 0,00"]),
        (danish_seller, "da", ["Moms 25 % af 13.200,00 3.300,00", "Moms 0 % af 3.000,00 0,00"]),
    ],
)
def test_the_taxable_amount_per_rate_and_exemption(people, seller, language, printed):
    text = rendered(people, seller, language, exempt_hours="30")
    for row in printed:
        assert row in text


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", r"À-PRIS EXKL\. MOMS.*\n(.*\n)*.*Worker \d+ 80,00 100,00 "),
        (danish_seller, "da", r"ENHEDSPRIS EKSKL\. MOMS.*\n(.*\n)*.*Worker \d+ 80,00 100,00 "),
        (swedish_seller, "en", r"UNIT PRICE EXCL\. VAT.*\n(.*\n)*.*Worker \d+ 80\.00 100\.00 "),
    ],
)
def test_the_unit_price_excluding_vat(people, seller, language, printed):
    assert re.search(printed, rendered(people, seller, language))


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", r"Worker \d+ 80,00 100,00 25 % 8 000,00"),
        (danish_seller, "da", r"Worker \d+ 80,00 100,00 25 % 8\.000,00"),
    ],
)
def test_the_vat_rate_of_each_line(people, seller, language, printed):
    assert re.search(printed, rendered(people, seller, language))


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (swedish_seller, "sv", ["Moms 25 % på 13 200,00 3 300,00", "Att betala SEK 16 500,00"]),
        (danish_seller, "da", ["Moms 25 % af 13.200,00 3.300,00", "At betale DKK 16.500,00"]),
    ],
)
def test_the_vat_amount_payable_in_the_sellers_currency(people, seller, language, printed):
    text = rendered(people, seller, language)
    for row in printed:
        assert row in text


@pytest.mark.parametrize(
    ("language", "printed"),
    [
        ("sv", "E · Undantaget från skatteplikt. Education, ML 10 kap. 35 § (VATEX-EU-132-1I)."),
        ("en", "E · Exempt from VAT. Education, ML 10 kap. 35 § (VATEX-EU-132-1I)."),
        ("da", "E · Fritaget for moms. Education, ML 10 kap. 35 § (VATEX-EU-132-1I)."),
    ],
)
def test_the_reference_to_the_exemption(people, language, printed):
    text = rendered(people, swedish_seller, language, layout=False, exempt_hours="30")
    assert printed in text
    # Which lines are exempt (pdftotext may drop the space before "%").
    assert re.search(r"Worker \d+ 30[.,]00 100[.,]00 0 ?% E ", text)


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (
            swedish_seller,
            "sv",
            "AE · Omvänd betalningsskyldighet: köparen redovisar mervärdesskatten.",
        ),
        (swedish_seller, "en", "AE · Reverse charge: the buyer accounts for the VAT."),
        (danish_seller, "da", "AE · Omvendt betalingspligt: køber afregner momsen."),
        (danish_seller, "en", "AE · Reverse charge: the buyer accounts for the VAT."),
    ],
)
def test_the_reverse_charge_statement(people, seller, language, printed):
    text = rendered(people, seller, language, layout=False, scenario="reverse_charge")
    assert printed in text
    assert "Reverse charge, article 196 Council Directive 2006/112/EC (VATEX-EU-AE)." in text


@pytest.mark.parametrize(
    ("seller", "language", "printed"),
    [
        (
            swedish_seller,
            "sv",
            ["Rättar faktura SE-1 (2026-04-01)", "Orsak till rättelsen: Wrong hourly rate"],
        ),
        (
            danish_seller,
            "da",
            ["Retter faktura DK-1 (2026-04-01)", "Årsag til rettelsen: Wrong hourly rate"],
        ),
        (
            swedish_seller,
            "en",
            ["Corrects invoice SE-1 (2026-04-01)", "Reason for the correction: Wrong hourly rate"],
        ),
    ],
)
def test_a_credit_note_names_the_original_invoice_and_the_reason(people, seller, language, printed):
    text = rendered(people, seller, language, scenario="credit_note")
    for row in printed:
        assert row in text


# --- Swedish seller: aktiebolagslagen 28 kap. and skatteförfarandelagen (F-skatt) ---------


@pytest.mark.parametrize(
    ("language", "printed"),
    [
        ("sv", "Styrelsens säte: Stockholm"),
        ("en", "Registered office: Stockholm"),
        ("da", "Hjemsted: Stockholm"),
    ],
)
def test_a_swedish_seller_prints_its_registered_office(people, language, printed):
    assert printed in rendered(people, swedish_seller, language, layout=False)


@pytest.mark.parametrize(
    ("language", "printed"),
    [("sv", "Org.nr 556677-8899"), ("en", "Org. no. 556677-8899"), ("da", "Org.nr. 556677-8899")],
)
def test_a_swedish_seller_prints_its_organisation_number(people, language, printed):
    text = rendered(people, swedish_seller, language, layout=False)
    assert printed in text
    assert "CVR" not in text


@pytest.mark.parametrize(
    ("language", "printed"),
    [
        ("sv", "Godkänd för F-skatt"),
        ("en", "Godkänd för F-skatt (approved for F-tax)"),
        ("da", "Godkänd för F-skatt (godkendt til F-skat)"),
    ],
)
def test_a_swedish_seller_approved_for_f_tax_says_so_in_swedish(people, language, printed):
    assert printed in rendered(people, swedish_seller, language, layout=False)


def test_without_f_tax_approval_nothing_is_claimed(people):
    seller = swedish_seller()
    seller.f_skatt = False
    seller.save()
    text = text_of(post(people, seller=seller, language="sv"))
    assert "F-skatt" not in text
    assert "Styrelsens säte: Stockholm" in text


# --- Danish seller: CVR-nr. ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["da", "en", "sv"])
def test_a_danish_seller_prints_its_cvr_number(people, language):
    text = rendered(people, danish_seller, language, layout=False)
    assert "CVR-nr. 32712452" in text
    assert "Org" not in text
    assert "F-skatt" not in text


def test_a_danish_invoice_lists_exempt_supplies_with_their_own_total(people):
    """Momsbekendtgørelsen § 58, stk. 3: exempt supplies apart, with their own total."""
    text = rendered(people, danish_seller, "da", exempt_hours="30")
    assert re.search(r"Worker \d+ 30,00 100,00 0 ?% E 3\.000,00", text)
    assert "Moms 0 % af 3.000,00 0,00" in text
    assert "E · Fritaget for moms" in text


# --- Frozen at posting -------------------------------------------------------------------


def test_the_supply_period_is_frozen_in_the_snapshot(people):
    invoice = post(people, seller=swedish_seller(), language="sv")
    stored = Invoice.objects.get(pk=invoice.pk).snapshot
    assert stored["version"] == 2
    assert stored["supply_period"] == {"start": "2026-03-02", "end": "2026-03-27"}


def test_a_document_without_work_behind_its_lines_has_no_supply_period(people):
    invoice = post(people, seller=swedish_seller(), language="sv")
    fee = invoice.lines.get(line_type="fee")
    assert fee.transaction_id is None
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts={fee.pk: None}, reason="No fee agreed", rebill=False,
        actor=people["clerk"],
    )  # fmt: skip
    note = approve_and_post(proposal, people)
    assert note.snapshot["supply_period"] is None
    assert "Leveransperiod" not in layout_text(note)


def test_a_snapshot_without_the_supply_period_still_renders(people):
    """Read with .get(): a snapshot taken before the key existed prints no period."""
    invoice = post(people, seller=swedish_seller(), language="sv")
    invoice.snapshot = {k: v for k, v in invoice.snapshot.items() if k != "supply_period"}
    html = documents.invoice_html(invoice)
    assert "Leveransperiod" not in html
    assert "Godkänd för F-skatt" in html


def test_the_legal_content_is_printed_as_posted_after_every_record_is_edited(people):
    invoice = post(
        people, seller=swedish_seller(), language="sv", customer=german_buyer(),
        tax_group=reverse_charge(),
    )  # fmt: skip
    before = text_of(invoice)
    for printed in (
        "Godkänd för F-skatt",
        "Styrelsens säte: Stockholm",
        "Org.nr 556677-8899",
        "Leveransperiod",
        "Köparens momsregistreringsnummer: DE136695976.",
    ):
        assert printed in before, printed

    LegalEntity.objects.update(
        f_skatt=False, registered_office="Malmö", organization_number="5560001116",
        vat_number="SE556000111601",
    )  # fmt: skip
    Customer.objects.update(vat_number="DE999999999")
    TaxGroup.objects.update(note="Changed afterwards", exemption_reason_code="")
    ProjectTransaction.objects.update(date=datetime.date(2026, 1, 5))

    assert text_of(invoice) == before
