"""E-invoices at posting (issue 14): every worked-example invoice and credit note, for a Swedish
and a Danish seller, becomes a Peppol BIS Billing 3.0 UBL document that passes the UBL schema,
the CEN EN 16931 rules and the Peppol rules inside the posting; its bytes and SHA-256 are
stored and final; a document that breaks a rule rolls the posting back, number included."""

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from lxml import etree

from contracts import services as contract_services
from contracts.models import Customer, LegalEntity, ProjectType
from einvoice.validation import EInvoiceRejected, validate
from invoicing.invoices import credits, einvoices, posting
from invoicing.invoices.models import EInvoice, Invoice
from invoicing.ledger.models import Voucher
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import ProposalStatus
from invoicing.transactions import services as transaction_services
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    CustomerFactory,
    LegalEntityFactory,
    MilestoneFactory,
    ProjectTransactionFactory,
    TaxGroupFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.invoicing.invoices.test_posted_final import committed, refused
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC}
APRIL = datetime.date(2026, 4, 1)


def seller(country: str) -> dict:
    """A Swedish seller paid to its bankgiro, or a Danish one paid by FIK, each with its
    customer at home and the contract in the seller's currency."""
    if country == "SE":
        return {
            "legal_entity": LegalEntityFactory(swedish_details=True, invoice_number_prefix="F"),
            "customer": CustomerFactory(peppol=True),
            "currency": "SEK",
        }
    return {
        "legal_entity": LegalEntityFactory(danish=True, invoice_number_prefix="DK-"),
        "customer": CustomerFactory(
            country="DK", language="da", vat_number="DK13585628", buyer_reference="4711"
        ),
        "currency": "DKK",
    }


def post(proposal, people, *, date=APRIL) -> Invoice:
    proposal.refresh_from_db()
    if proposal.status != ProposalStatus.APPROVED:
        workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
        workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=date)


def xml_of(invoice: Invoice) -> etree._Element:
    return etree.fromstring(EInvoice.objects.get(invoice=invoice).xml_bytes)


def text(root, path: str) -> str:
    return root.findtext(path, namespaces=NS)


def texts(root, path: str) -> list[str]:
    return [element.text for element in root.findall(path, namespaces=NS)]


def assert_valid(invoice: Invoice) -> None:
    """The stored bytes pass every rule again, outside posting, with no fatal finding."""
    stored = EInvoice.objects.get(invoice=invoice)
    kind = "credit_note" if invoice.document_type == "credit_note" else "invoice"
    fatal = [finding for finding in validate(stored.xml_bytes, kind) if finding.is_fatal]
    assert fatal == []
    assert stored.sha256 == hashlib.sha256(stored.xml_bytes).hexdigest()


@pytest.mark.parametrize("country", ["SE", "DK"])
def test_example_e1_is_a_valid_peppol_invoice(people, country):
    invoice = post(approved_e1(people, **seller(country)), people)
    assert_valid(invoice)
    root = xml_of(invoice)
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:ID") == invoice.number
    assert texts(root, "cac:InvoiceLine/cbc:LineExtensionAmount") == ["20000.00", "2000.00"]
    assert text(root, "cac:InvoiceLine/cbc:InvoicedQuantity") == "200"
    assert root.find("cac:InvoiceLine/cbc:InvoicedQuantity", NS).get("unitCode") == "HUR"
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "5500.00"
    assert text(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == "S"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "27500.00"
    assert text(root, "cbc:DocumentCurrencyCode") == ("SEK" if country == "SE" else "DKK")


def test_a_swedish_seller_is_paid_to_its_bankgiro_with_the_ocr_reference(people):
    invoice = post(approved_e1(people, **seller("SE")), people)
    root = xml_of(invoice)
    means = root.findall("cac:PaymentMeans", NS)
    assert [text(item, "cbc:PaymentMeansCode") for item in means] == ["30", "30"]
    bankgiro = means[0]
    assert text(bankgiro, "cbc:PaymentID") == invoice.snapshot["payment_reference"]["reference"]
    assert text(bankgiro, "cac:PayeeFinancialAccount/cbc:ID") == "50501055"
    assert (
        text(bankgiro, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")
        == "SE:BANKGIRO"
    )
    party = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert party.find("cbc:EndpointID", NS).get("schemeID") == "0007"
    assert text(party, "cbc:EndpointID") == "5566778899"
    assert "Godkänd för F-skatt" in texts(party, "cac:PartyTaxScheme/cbc:CompanyID")
    assert text(root, "cbc:BuyerReference") == "SBK-4711"


def test_a_danish_seller_is_paid_by_fik_never_with_code_30(people):
    invoice = post(approved_e1(people, **seller("DK")), people)
    root = xml_of(invoice)
    codes = texts(root, "cac:PaymentMeans/cbc:PaymentMeansCode")
    assert codes == ["93"]  # one code per document (UBL-SR-47): FIK, not also the IBAN
    fik = root.find("cac:PaymentMeans", NS)
    assert text(fik, "cbc:PaymentID") == "71#" + invoice.snapshot["payment_reference"]["reference"]
    assert text(fik, "cac:PayeeFinancialAccount/cbc:ID") == "81234567"
    legal = root.find(
        "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", NS
    )
    assert (legal.text, legal.get("schemeID")) == ("32712452", "0184")


@pytest.mark.parametrize("country", ["SE", "DK"])
def test_a_credit_note_has_positive_amounts_and_names_the_invoice(people, country):
    invoice = post(approved_e1(people, **seller(country)), people)
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason="Wrong customer", rebill=False, actor=people["clerk"]
    )
    note = post(proposal, people, date=datetime.date(2026, 4, 15))
    assert_valid(note)
    root = xml_of(note)
    assert etree.QName(root).localname == "CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert text(root, "cbc:Note") == "Wrong customer"
    reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert (text(reference, "cbc:ID"), text(reference, "cbc:IssueDate")) == (
        invoice.number,
        "2026-04-01",
    )
    assert texts(root, "cac:CreditNoteLine/cbc:LineExtensionAmount") == ["20000.00", "2000.00"]
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "27500.00"
    assert root.find("cac:PaymentMeans", NS) is None


def test_part_of_a_line_credited_is_one_unit_at_its_amount(people):
    invoice = post(approved_e1(people, **seller("SE")), people)
    hour_line = invoice.lines.filter(line_type="transaction").first()
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts={hour_line.pk: D("2000")}, reason="Discount agreed",
        rebill=False, actor=people["clerk"],
    )  # fmt: skip
    note = post(proposal, people, date=datetime.date(2026, 4, 15))
    assert_valid(note)
    [line] = xml_of(note).findall("cac:CreditNoteLine", NS)
    assert (text(line, "cbc:CreditedQuantity"), text(line, "cac:Price/cbc:PriceAmount")) == (
        "1",
        "2000",
    )


@pytest.mark.parametrize("country", ["SE", "DK"])
def test_retention_is_a_document_allowance_and_its_release_a_line(people, country):
    invoice = post(approved_e1(people, retention_percent=D("10"), **seller(country)), people)
    assert_valid(invoice)
    root = xml_of(invoice)
    [allowance] = root.findall("cac:AllowanceCharge", NS)
    assert text(allowance, "cbc:ChargeIndicator") == "false"
    assert text(allowance, "cbc:Amount") == "2200.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount") == "2200.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount") == "19800.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "24750.00"


def test_example_t1_with_a_prepayment_deducted(people):
    """A prepayment of 5,000.00 on account, then work: the deduction is a line of -3,000.00
    (negative quantity, positive price)."""
    from tests.invoicing.proposals.test_generation import prepayment

    contract, project, _source = contract_with_customer(**seller("SE"))
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    prepayment(project, "5000")
    [prepaid] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert_valid(post(prepaid, people))
    hours(project, WorkerFactory(sales_rate=D("100")), "30")
    [later] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    invoice = post(later, people)
    assert_valid(invoice)
    lines = xml_of(invoice).findall("cac:InvoiceLine", NS)
    deduction = [line for line in lines if text(line, "cbc:LineExtensionAmount") == "-3000.00"]
    assert [text(line, "cbc:InvoicedQuantity") for line in deduction] == ["-1"]
    assert [text(line, "cac:Price/cbc:PriceAmount") for line in deduction] == ["3000"]


def test_a_reverse_charge_invoice_names_the_buyers_vat_number(people):
    invoice = post(
        approved_e1(
            people,
            legal_entity=LegalEntityFactory(swedish_details=True),
            customer=CustomerFactory(country="DE", language="en", vat_number="DE136695976"),
            default_tax_group=TaxGroupFactory(reverse_charge=True),
        ),
        people,
    )
    assert_valid(invoice)
    root = xml_of(invoice)
    category = root.find("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", NS)
    assert (text(category, "cbc:ID"), text(category, "cbc:TaxExemptionReasonCode")) == (
        "AE",
        "VATEX-EU-AE",
    )
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert text(buyer, "cac:PartyTaxScheme/cbc:CompanyID") == "DE136695976"
    assert buyer.find("cbc:EndpointID", NS).get("schemeID") == "9930"


def test_a_reverse_charge_customer_without_vat_number_is_not_posted_and_takes_no_number(people):
    proposal = approved_e1(
        people,
        legal_entity=LegalEntityFactory(swedish_details=True, invoice_number_prefix="F"),
        # Reached by its GLN, but without a VAT number or an organisation number.
        customer=CustomerFactory(
            vat_number="", peppol_scheme="0088", peppol_identifier="7300010000001"
        ),
        default_tax_group=TaxGroupFactory(reverse_charge=True),
    )
    with pytest.raises(EInvoiceRejected) as refused:
        posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=APRIL)
    assert "BR-AE-02" in " ".join(refused.value.messages)
    assert not Invoice.objects.exists() and not EInvoice.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED

    Customer.objects.filter(pk=proposal.contract.customer_id).update(vat_number="SE556000111601")
    invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=APRIL)
    assert invoice.number == "F1"  # the refused posting gave its number back


def test_a_customer_that_cannot_be_reached_gets_a_clear_message(people):
    proposal = approved_e1(people, customer=CustomerFactory(vat_number=""))
    with pytest.raises(ValidationError) as refused:
        posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=APRIL)
    messages = refused.value.messages
    assert messages[0] == (
        "The e-invoice breaks 1 rule of Peppol BIS Billing 3.0, so it was not posted:"
    )
    assert messages[1].startswith(
        "PEPPOL-EN16931-R010: Enter the customer's Peppol endpoint (scheme and id) or its VAT"
    )


def test_the_refusal_is_in_the_clerks_language_though_the_validation_runs_on_its_own_thread(
    people,
):
    # Posting validates its e-invoice on a validation thread while it writes the proposal,
    # voucher and billing status; the refusal still speaks the clerk's language and nothing of
    # what was written meanwhile is kept.
    proposal = approved_e1(people, customer=CustomerFactory(vat_number=""))
    with translation.override("sv"), pytest.raises(ValidationError) as refused:
        posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=APRIL)
    assert refused.value.messages[1].startswith(
        "PEPPOL-EN16931-R010: Ange kundens Peppol-adress (schema och id)"
    )
    assert not Invoice.objects.exists() and not Voucher.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.lines.filter(is_open=True).count() == proposal.lines.count()


def test_the_stored_einvoice_is_the_one_built_again_from_the_frozen_record(people):
    invoice = post(approved_e1(people, **seller("SE")), people)
    stored = EInvoice.objects.get(invoice=invoice)
    LegalEntity.objects.update(name="Renamed AB", bankgiro="", iban="")
    Customer.objects.update(name="Renamed customer", peppol_identifier="5567890123")
    from einvoice.ubl import ubl_bytes

    rebuilt = ubl_bytes(einvoices.einvoice_document(Invoice.objects.get(pk=invoice.pk)))
    assert rebuilt == stored.xml_bytes


def test_endpoint_for_reads_the_organisation_number_from_a_vat_number():
    assert einvoices.endpoint_for(country="SE", vat_number="SE556000111601") == (
        "0007",
        "5560001116",
    )
    assert einvoices.endpoint_for(country="DK", vat_number="DK13585628") == ("0184", "13585628")
    assert einvoices.endpoint_for(country="DE", vat_number="DE136695976") == (
        "9930",
        "DE136695976",
    )
    assert einvoices.endpoint_for(
        country="SE", vat_number="SE556000111601", peppol_scheme="0088",
        peppol_identifier="7300010000001",
    ) == ("0088", "7300010000001")  # fmt: skip
    assert einvoices.endpoint_for(country="US") == ("", "")


@committed
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the guard is a PostgreSQL trigger")
def test_a_stored_einvoice_is_final_in_the_database(people):
    invoice = post(approved_e1(people, **seller("SE")), people)
    assert "cannot be updated" in refused(
        "UPDATE invoicing_einvoice SET xml = 'x' WHERE invoice_id = %s", [invoice.pk]
    )
    assert "cannot be deleted" in refused(
        "DELETE FROM invoicing_einvoice WHERE invoice_id = %s", [invoice.pk]
    )
    assert "cannot be inserted" in refused(
        "INSERT INTO invoicing_einvoice (invoice_id, syntax, xml, sha256, created_at) "
        "SELECT %s, 'peppol-bis-3-ubl', 'x', repeat('0', 64), now()",
        [invoice.pk],
    )
    assert "cannot be truncated" in refused(
        "TRUNCATE invoicing_einvoice, invoicing_einvoiceacknowledgement"
    )


@pytest.mark.parametrize(
    ("tax_group", "category"),
    [
        ({"exempt": True, "exemption_reason_code": "VATEX-EU-132-1B"}, "E"),
        (
            {
                "name": "Intra-community supply", "rate": D("0"), "vat_category": "K",
                "exemption_reason_code": "VATEX-EU-IC", "note": "Intra-community supply",
            },
            "K",
        ),
    ],
)  # fmt: skip
def test_categories_without_vat_give_their_reason(people, tax_group, category):
    invoice = post(
        approved_e1(
            people,
            legal_entity=LegalEntityFactory(swedish_details=True),
            customer=CustomerFactory(country="DE", language="en", vat_number="DE136695976"),
            default_tax_group=TaxGroupFactory(**tax_group),
        ),
        people,
    )
    assert_valid(invoice)
    root = xml_of(invoice)
    subtotal = root.find("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert text(subtotal, "cac:TaxCategory/cbc:ID") == category
    assert text(subtotal, "cbc:TaxAmount") == "0.00"
    assert text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode")
    if category == "K":  # an intra-community supply says where it went (BR-IC-12)
        assert (
            text(
                root,
                "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode",
            )
            == "DE"
        )


def test_a_euro_invoice_of_a_swedish_seller_gives_its_vat_in_sek(people):
    from tests.factories import ExchangeRateFactory

    ExchangeRateFactory(currency="EUR", rate_date=datetime.date(2026, 3, 31), rate=D("11.2345"))
    invoice = post(approved_e1(people, **{**seller("SE"), "currency": "EUR"}), people)
    assert_valid(invoice)
    root = xml_of(invoice)
    assert (text(root, "cbc:DocumentCurrencyCode"), text(root, "cbc:TaxCurrencyCode")) == (
        "EUR",
        "SEK",
    )
    amounts = root.findall("cac:TaxTotal/cbc:TaxAmount", NS)
    assert [(amount.text, amount.get("currencyID")) for amount in amounts] == [
        ("5500.00", "EUR"),
        ("61789.75", "SEK"),  # 5,500.00 x 11.2345, half-up
    ]
    assert invoice.snapshot["tax_currency"]["vat_total"] == "61789.75"


def example_u1(contract, project):
    BillingRuleFactory(
        contract=contract, rule_type="unit", unit_price=D("10000.00"), total_units=5,
        units_delivered=1, projects=[project],
    )  # fmt: skip


def example_p1(contract, project):
    BillingRuleFactory(
        contract=contract, rule_type="progress_manual", percent_complete=D("15"), projects=[project]
    )


def example_t1(contract, project):
    supplies = CategoryFactory(code="OFFICE", kind="expense")
    rule = BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    rule.caps.create(category=supplies, amount=D("10000.00"))
    hours(project, WorkerFactory(sales_rate=D("150.00")), "800")
    expense = ProjectTransactionFactory(
        project=project, kind="expense", category=supplies, worker=None, quantity=1,
        cost_price=D("2000"), sales_price=D("2000"), cost_amount=D("2000.00"),
        sales_amount=D("2000.00"), currency=contract.currency,
    )  # fmt: skip
    transaction_services.transaction_update(record=expense, actor=None)


def example_m1(contract, project):
    BillingRuleFactory(contract=contract, rule_type="milestone", projects=[project])
    first = MilestoneFactory(contract=contract, amount=D("10000.00"), due_date=DAY)
    MilestoneFactory(contract=contract, amount=D("20000.00"), due_date=datetime.date(2026, 4, 30))
    return first


@pytest.mark.parametrize("country", ["SE", "DK"])
@pytest.mark.parametrize(
    ("example", "net"),
    [("U1", "10000.00"), ("P1", "15000.00"), ("T1", "122000.00"), ("M1", "10000.00")],
)
def test_every_worked_example_is_a_valid_peppol_invoice_and_credit_note(
    people, country, example, net
):
    """The worked examples of the domain (U1 unit of delivery, P1 manual progress, T1 time and
    material under a cap, M1 a completed milestone; E1 above) as invoices of a Swedish and a
    Danish seller, then credited in full: both documents pass every rule at posting."""
    fixed_price = example in ("U1", "P1", "M1")
    contract, project, _source = contract_with_customer(
        contract_value=D("100000.00") if example == "P1" else D("50000.00"),
        project_type=ProjectType.FIXED_PRICE if fixed_price else ProjectType.TIME_AND_MATERIAL,
        **seller(country),
    )
    milestone = {"U1": example_u1, "P1": example_p1, "T1": example_t1, "M1": example_m1}[example](
        contract, project
    )
    if milestone is not None:
        contract_services.milestone_complete(milestone=milestone, actor=people["manager"])
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=datetime.date.today(), actor=people["clerk"]
    )
    invoice = post(proposal, people, date=datetime.date.today())
    assert invoice.net_total == D(net)
    assert_valid(invoice)
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    credit = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason="Wrong period", rebill=False, actor=people["clerk"]
    )
    note = post(credit, people, date=datetime.date.today())
    assert note.gross_total == -invoice.gross_total
    assert_valid(note)
