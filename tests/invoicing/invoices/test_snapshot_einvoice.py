"""Snapshot version 2 (issue 14, item 1): what an e-invoice needs of the seller, the buyer and
the contract is frozen at posting, and the posted lines and VAT rows carry their VAT category
and exemption reason, so the UBL built later reads the posted record only."""

import datetime
from decimal import Decimal

import pytest

from contracts.models import Customer, LegalEntity, ProjectContract, TaxGroup
from invoicing.invoices import posting
from invoicing.invoices.models import Invoice
from tests.factories import TaxGroupFactory
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal


def post(people, **contract_fields) -> Invoice:
    proposal = approved_e1(people, **contract_fields)
    entity = proposal.contract.legal_entity
    entity.organization_number, entity.f_skatt = "556677-8899", True
    entity.registered_office, entity.plusgiro = "Stockholm", "4 12 34-6"
    entity.bankgiro = "5050-1055"
    entity.save()
    customer = proposal.funding_source.customer or proposal.contract.customer
    customer.peppol_scheme, customer.peppol_identifier = "0007", "5560001116"
    customer.buyer_reference = "SBK-4711"
    customer.save()
    return posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )


def test_posting_freezes_the_einvoice_details_of_the_parties_and_the_contract(people):
    invoice = post(people, buyer_reference="Projekt 17", order_reference="PO 4500018817")
    snapshot = Invoice.objects.get(pk=invoice.pk).snapshot
    assert snapshot["version"] == 2
    seller, buyer, contract = snapshot["seller"], snapshot["buyer"], snapshot["contract"]
    assert (seller["organization_number"], seller["f_skatt"]) == ("5566778899", True)
    assert (seller["registered_office"], seller["plusgiro"]) == ("Stockholm", "412346")
    assert (seller["bankgiro"], seller["fik_creditor_number"]) == ("50501055", "")
    assert (buyer["peppol_scheme"], buyer["peppol_identifier"]) == ("0007", "5560001116")
    assert buyer["buyer_reference"] == "SBK-4711"
    assert (contract["buyer_reference"], contract["order_reference"]) == (
        "Projekt 17",
        "PO 4500018817",
    )

    LegalEntity.objects.update(
        f_skatt=False, registered_office="Malmö", plusgiro="", fik_creditor_number="81234567"
    )
    Customer.objects.update(peppol_scheme="0088", peppol_identifier="7300010000001")
    Customer.objects.update(buyer_reference="NEW")
    ProjectContract.objects.update(buyer_reference="", order_reference="PO 1")
    assert Invoice.objects.get(pk=invoice.pk).snapshot == snapshot


def test_without_a_contract_reference_the_customers_buyer_reference_is_frozen(people):
    invoice = post(people)
    assert invoice.snapshot["contract"]["buyer_reference"] == "SBK-4711"
    assert invoice.snapshot["contract"]["order_reference"] == ""


def test_posted_lines_and_vat_carry_the_vat_category(people):
    invoice = post(people)
    assert {line.vat_category for line in invoice.lines.all()} == {"S"}
    [tax] = invoice.taxes.all()
    assert (tax.vat_category, tax.rate, tax.exemption_reason_code, tax.exemption_reason) == (
        "S",
        D("25.00"),
        "",
        "",
    )


def test_a_reverse_charge_invoice_carries_its_category_and_reason(people):
    invoice = post(people, default_tax_group=TaxGroupFactory(reverse_charge=True))
    [tax] = invoice.taxes.all()
    assert (tax.vat_category, tax.rate, tax.amount) == ("AE", D("0.00"), D("0.00"))
    assert tax.exemption_reason_code == "VATEX-EU-AE"
    assert tax.exemption_reason == "Reverse charge, article 196 Council Directive 2006/112/EC"
    line = invoice.lines.first()
    assert (line.vat_category, line.exemption_reason_code) == ("AE", "VATEX-EU-AE")
    TaxGroup.objects.update(note="Changed afterwards")
    assert Invoice.objects.get(pk=invoice.pk).taxes.get().exemption_reason == tax.exemption_reason
