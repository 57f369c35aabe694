"""Peppol BIS Billing 3.0 UBL 2.1: an Invoice (380) or CreditNote (381) from a ``Document``.

Elements are written in the order the UBL 2.1 schemas prescribe (they differ between Invoice
and CreditNote: a credit note has no DueDate on the document and keeps its AllowanceCharge
after PaymentTerms, as an invoice does). Amounts are written with exactly two decimals from
``Decimal`` (no float ever touches them), quantities and prices as given, so the bytes are the
same for the same document on every machine.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from einvoice.document import (
    AllowanceCharge,
    Document,
    Line,
    Party,
    PaymentMeans,
    VatSubtotal,
    document_totals,
)

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {"invoice": "Invoice", "credit_note": "CreditNote"}
TWO_PLACES = Decimal("0.01")
#: Categories whose VAT rate is not given at all (BR-O-05, BR-O-08: not subject to VAT).
CATEGORIES_WITHOUT_RATE = ("O",)


def amount_text(value: Decimal) -> str:
    """An amount with exactly two decimals (BR-DEC-*); the value is already rounded."""
    quantized = value.quantize(TWO_PLACES)
    if quantized != value:
        raise ValueError(f"{value} is not rounded to two decimals")
    return f"{quantized:f}"


def number_text(value: Decimal) -> str:
    """A quantity, price or rate without exponent and without trailing zeros (1.5, 25, 0)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


class _Writer:
    def __init__(self, document: Document):
        self.document = document
        self.currency = document.currency

    def sub(self, parent, prefix: str, name: str, text: str | None = None, **attributes):
        namespace = {"cac": CAC, "cbc": CBC}[prefix]
        element = etree.SubElement(parent, f"{{{namespace}}}{name}", **attributes)
        if text is not None:
            element.text = text
        return element

    def cbc(self, parent, name: str, text: str, **attributes):
        return self.sub(parent, "cbc", name, text, **attributes)

    def cbc_if(self, parent, name: str, text: str, **attributes) -> None:
        if text:
            self.cbc(parent, name, text, **attributes)

    def cac(self, parent, name: str):
        return self.sub(parent, "cac", name)

    def money(self, parent, name: str, value: Decimal, currency: str | None = None):
        return self.cbc(parent, name, amount_text(value), currencyID=currency or self.currency)

    # -- parts ------------------------------------------------------------------------------

    def party(self, parent, party: Party) -> None:
        element = self.cac(parent, "Party")
        if party.endpoint_id:  # none makes PEPPOL-EN16931-R010/R020 say what is missing
            self.cbc(element, "EndpointID", party.endpoint_id, schemeID=party.endpoint_scheme)
        address = self.cac(element, "PostalAddress")
        self.cbc_if(address, "StreetName", party.address.street)
        self.cbc_if(address, "CityName", party.address.city)
        self.cbc_if(address, "PostalZone", party.address.postal_code)
        self.cbc(self.cac(address, "Country"), "IdentificationCode", party.address.country)
        if party.vat_number:
            scheme = self.cac(element, "PartyTaxScheme")
            self.cbc(scheme, "CompanyID", party.vat_number)
            self.cbc(self.cac(scheme, "TaxScheme"), "ID", "VAT")
        if party.tax_registration:
            scheme = self.cac(element, "PartyTaxScheme")
            self.cbc(scheme, "CompanyID", party.tax_registration)
            self.cbc(self.cac(scheme, "TaxScheme"), "ID", "TAX")
        legal = self.cac(element, "PartyLegalEntity")
        self.cbc(legal, "RegistrationName", party.name)
        if party.legal_id:
            attributes = {"schemeID": party.legal_id_scheme} if party.legal_id_scheme else {}
            self.cbc(legal, "CompanyID", party.legal_id, **attributes)
        self.cbc_if(legal, "CompanyLegalForm", party.legal_information)
        if party.email or party.phone:
            contact = self.cac(element, "Contact")
            self.cbc_if(contact, "Telephone", party.phone)
            self.cbc_if(contact, "ElectronicMail", party.email)

    def tax_category(self, parent, name: str, category: str, rate: Decimal, reason=None):
        element = self.cac(parent, name)
        self.cbc(element, "ID", category)
        if category not in CATEGORIES_WITHOUT_RATE:
            self.cbc(element, "Percent", number_text(rate))
        if reason is not None:
            self.cbc_if(element, "TaxExemptionReasonCode", reason[0])
            self.cbc_if(element, "TaxExemptionReason", reason[1])
        self.cbc(self.cac(element, "TaxScheme"), "ID", "VAT")

    def payment_means(self, parent, means: PaymentMeans) -> None:
        element = self.cac(parent, "PaymentMeans")
        self.cbc(element, "PaymentMeansCode", means.code)
        self.cbc_if(element, "PaymentID", means.payment_id)
        if means.account_id:
            account = self.cac(element, "PayeeFinancialAccount")
            self.cbc(account, "ID", means.account_id)
            self.cbc_if(account, "Name", means.account_name)
            if means.branch_id:
                self.cbc(self.cac(account, "FinancialInstitutionBranch"), "ID", means.branch_id)

    def allowance_charge(self, parent, item: AllowanceCharge) -> None:
        element = self.cac(parent, "AllowanceCharge")
        self.cbc(element, "ChargeIndicator", "true" if item.is_charge else "false")
        self.cbc(element, "AllowanceChargeReason", item.reason)
        self.money(element, "Amount", item.amount)
        self.tax_category(element, "TaxCategory", item.vat_category, item.vat_rate)

    def subtotal(self, parent, row: VatSubtotal) -> None:
        element = self.cac(parent, "TaxSubtotal")
        self.money(element, "TaxableAmount", row.taxable_amount)
        self.money(element, "TaxAmount", row.tax_amount)
        self.tax_category(
            element,
            "TaxCategory",
            row.category,
            row.rate,
            reason=(row.exemption_reason_code, row.exemption_reason),
        )

    def line(self, parent, line: Line) -> None:
        kind = self.document.kind
        element = self.cac(parent, "InvoiceLine" if kind == "invoice" else "CreditNoteLine")
        self.cbc(element, "ID", line.line_id)
        self.cbc_if(element, "Note", line.note)
        quantity_name = "InvoicedQuantity" if kind == "invoice" else "CreditedQuantity"
        self.cbc(element, quantity_name, number_text(line.quantity), unitCode=line.unit_code)
        self.money(element, "LineExtensionAmount", line.net_amount)
        item = self.cac(element, "Item")
        self.cbc(item, "Name", line.name)
        self.tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        price = self.cac(element, "Price")
        self.cbc(price, "PriceAmount", number_text(line.price), currencyID=self.currency)

    # -- the document ---------------------------------------------------------------------

    def build(self) -> etree._Element:
        document = self.document
        kind = document.kind
        root = etree.Element(
            f"{{{NS[kind]}}}{ROOTS[kind]}", nsmap={None: NS[kind], "cac": CAC, "cbc": CBC}
        )
        self.cbc(root, "CustomizationID", CUSTOMIZATION_ID)
        self.cbc(root, "ProfileID", PROFILE_ID)
        self.cbc(root, "ID", document.number)
        self.cbc(root, "IssueDate", document.issue_date.isoformat())
        if kind == "invoice":
            if document.due_date:
                self.cbc(root, "DueDate", document.due_date.isoformat())
            self.cbc(root, "InvoiceTypeCode", document.type_code)
        else:
            self.cbc(root, "CreditNoteTypeCode", document.type_code)
        self.cbc_if(root, "Note", document.note)
        self.cbc(root, "DocumentCurrencyCode", document.currency)
        if document.tax_currency is not None:
            self.cbc(root, "TaxCurrencyCode", document.tax_currency.code)
        self.cbc_if(root, "BuyerReference", document.buyer_reference)
        if document.period_start or document.period_end:
            period = self.cac(root, "InvoicePeriod")
            if document.period_start:
                self.cbc(period, "StartDate", document.period_start.isoformat())
            if document.period_end:
                self.cbc(period, "EndDate", document.period_end.isoformat())
        if document.order_reference:
            self.cbc(self.cac(root, "OrderReference"), "ID", document.order_reference)
        if document.preceding_invoice_number:
            reference = self.cac(self.cac(root, "BillingReference"), "InvoiceDocumentReference")
            self.cbc(reference, "ID", document.preceding_invoice_number)
            if document.preceding_invoice_date:
                self.cbc(reference, "IssueDate", document.preceding_invoice_date.isoformat())
        if document.contract_reference:
            reference = self.cac(root, "ContractDocumentReference")
            self.cbc(reference, "ID", document.contract_reference)
        self.party(self.cac(root, "AccountingSupplierParty"), document.seller)
        self.party(self.cac(root, "AccountingCustomerParty"), document.buyer)
        if document.delivery_country or document.delivery_date:
            delivery = self.cac(root, "Delivery")
            if document.delivery_date:
                self.cbc(delivery, "ActualDeliveryDate", document.delivery_date.isoformat())
            if document.delivery_country:
                address = self.cac(self.cac(delivery, "DeliveryLocation"), "Address")
                self.cbc(
                    self.cac(address, "Country"), "IdentificationCode", document.delivery_country
                )
        for means in document.payment_means:
            self.payment_means(root, means)
        if document.payment_terms:
            self.cbc(self.cac(root, "PaymentTerms"), "Note", document.payment_terms)
        for item in document.allowances_charges:
            self.allowance_charge(root, item)
        totals = document_totals(document)
        tax_total = self.cac(root, "TaxTotal")
        self.money(tax_total, "TaxAmount", totals.vat_total)
        for row in document.vat_breakdown:
            self.subtotal(tax_total, row)
        if document.tax_currency is not None:
            accounting = self.cac(root, "TaxTotal")
            self.money(
                accounting,
                "TaxAmount",
                document.tax_currency.vat_total,
                currency=document.tax_currency.code,
            )
        monetary = self.cac(root, "LegalMonetaryTotal")
        self.money(monetary, "LineExtensionAmount", totals.line_total)
        self.money(monetary, "TaxExclusiveAmount", totals.tax_exclusive)
        self.money(monetary, "TaxInclusiveAmount", totals.tax_inclusive)
        if any(not item.is_charge for item in document.allowances_charges):
            self.money(monetary, "AllowanceTotalAmount", totals.allowance_total)
        if any(item.is_charge for item in document.allowances_charges):
            self.money(monetary, "ChargeTotalAmount", totals.charge_total)
        self.money(monetary, "PayableAmount", totals.payable)
        for line in document.lines:
            self.line(root, line)
        return root


def ubl_bytes(document: Document) -> bytes:
    """The UBL 2.1 XML of the document, UTF-8 with an XML declaration."""
    root = _Writer(document).build()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
