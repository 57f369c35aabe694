"""UN/CEFACT Cross Industry Invoice (CII D16B) in the Factur-X / ZUGFeRD EN 16931 profile, from a
``Document``: the XML a Factur-X PDF carries inside (``factur-x.xml``).

The same ``Document`` the Peppol UBL is written from, never a second mapping from the records:
both syntaxes print the same business terms with the same figures. Elements come in the order
the Factur-X 1.09 EN 16931 XML Schema prescribes; amounts have exactly two decimals, from
``Decimal`` only; only the VAT totals carry a ``currencyID`` (the CEN CII rules warn on any
other, CII-DT-031). Dates are format 102 (``YYYYMMDD``).

Where CII holds a business term differently from UBL:

- the payment reference (BT-83) is one per document (``ram:PaymentReference``), so the first
  payment means' reference is written; and every means must have the same code (CII-SR-467),
  so the means with the first one's code are written and the others left out (a Danish
  seller's FIK, code 93, is kept and its IBAN, code 58, is not: the PDF prints both);
- an IBAN goes in ``IBANID``; a bankgiro, plusgiro or FIK creditor number in ``ProprietaryID``
  (the Swedish ``SE:BANKGIRO`` branch ids of Peppol have no CII counterpart); a BIC in
  ``PayeeSpecifiedCreditorFinancialInstitution/BICID``;
- the seller's tax registration (BT-32, "Godkänd för F-skatt") is a tax registration with
  scheme ``FC``, the VAT number (BT-31, BT-48) one with scheme ``VA``;
- the additional legal information (BT-33, the registered office) is the party's Description.
"""

from __future__ import annotations

import datetime
import re

from lxml import etree

from einvoice.document import (
    BRANCH_BANKGIRO,
    BRANCH_PLUSGIRO,
    MEANS_REFERENCE_GIRO,
    AllowanceCharge,
    Document,
    Line,
    Party,
    PaymentMeans,
    VatSubtotal,
    document_totals,
)
from einvoice.ubl import CATEGORIES_WITHOUT_RATE, amount_text, number_text

#: BT-24: the EN 16931 core specification, which Factur-X calls its EN 16931 profile.
GUIDELINE_ID = "urn:cen.eu:en16931:2017"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
DATE_FORMAT = "102"
#: Tax registration schemes (BT-31/BT-48 VAT number, BT-32 tax registration).
SCHEME_VAT = "VA"
SCHEME_TAX_REGISTRATION = "FC"
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
#: Accounts that are not IBANs: the Swedish giro numbers and the Danish FIK creditor number.
PROPRIETARY_BRANCHES = (BRANCH_BANKGIRO, BRANCH_PLUSGIRO)


def date_text(value: datetime.date) -> str:
    return value.strftime("%Y%m%d")


def payment_means_written(document: Document) -> tuple[PaymentMeans, ...]:
    """The payment means CII can carry: the first one and those with its code (CII-SR-467)."""
    if not document.payment_means:
        return ()
    code = document.payment_means[0].code
    return tuple(means for means in document.payment_means if means.code == code)


class _Writer:
    def __init__(self, document: Document):
        self.document = document

    def ram(self, parent, name: str, text: str | None = None, **attributes):
        element = etree.SubElement(parent, f"{{{RAM}}}{name}", **attributes)
        if text is not None:
            element.text = text
        return element

    def ram_if(self, parent, name: str, text: str) -> None:
        if text:
            self.ram(parent, name, text)

    def amount(self, parent, name: str, value, currency: str | None = None):
        attributes = {"currencyID": currency} if currency else {}
        return self.ram(parent, name, amount_text(value), **attributes)

    def date(self, parent, name: str, value: datetime.date, *, qualified: bool = False):
        element = self.ram(parent, name)
        namespace = QDT if qualified else UDT
        string = etree.SubElement(element, f"{{{namespace}}}DateTimeString", format=DATE_FORMAT)
        string.text = date_text(value)
        return element

    def note(self, parent, text: str) -> None:
        if text:
            self.ram(self.ram(parent, "IncludedNote"), "Content", text)

    # -- parts ------------------------------------------------------------------------------

    def party(self, parent, name: str, party: Party) -> None:
        element = self.ram(parent, name)
        self.ram(element, "Name", party.name)
        self.ram_if(element, "Description", party.legal_information)
        if party.legal_id:
            attributes = {"schemeID": party.legal_id_scheme} if party.legal_id_scheme else {}
            self.ram(
                self.ram(element, "SpecifiedLegalOrganization"), "ID", party.legal_id, **attributes
            )
        if party.email or party.phone:
            contact = self.ram(element, "DefinedTradeContact")
            if party.phone:
                self.ram(
                    self.ram(contact, "TelephoneUniversalCommunication"),
                    "CompleteNumber",
                    party.phone,
                )
            if party.email:
                self.ram(self.ram(contact, "EmailURIUniversalCommunication"), "URIID", party.email)
        address = self.ram(element, "PostalTradeAddress")
        self.ram_if(address, "PostcodeCode", party.address.postal_code)
        self.ram_if(address, "LineOne", party.address.street)
        self.ram_if(address, "CityName", party.address.city)
        self.ram(address, "CountryID", party.address.country)
        if party.endpoint_id:  # BT-34 / BT-49
            communication = self.ram(element, "URIUniversalCommunication")
            self.ram(communication, "URIID", party.endpoint_id, schemeID=party.endpoint_scheme)
        if party.vat_number:
            self.ram(
                self.ram(element, "SpecifiedTaxRegistration"),
                "ID",
                party.vat_number,
                schemeID=SCHEME_VAT,
            )
        if party.tax_registration:
            registration = self.ram(element, "SpecifiedTaxRegistration")
            self.ram(registration, "ID", party.tax_registration, schemeID=SCHEME_TAX_REGISTRATION)

    def trade_tax(self, parent, name: str, category: str, rate, *, row: VatSubtotal | None = None):
        element = self.ram(parent, name)
        if row is not None:
            self.amount(element, "CalculatedAmount", row.tax_amount)
        self.ram(element, "TypeCode", "VAT")
        if row is not None:
            self.ram_if(element, "ExemptionReason", row.exemption_reason)
            self.amount(element, "BasisAmount", row.taxable_amount)
        self.ram(element, "CategoryCode", category)
        if row is not None:
            self.ram_if(element, "ExemptionReasonCode", row.exemption_reason_code)
        if category not in CATEGORIES_WITHOUT_RATE:
            self.ram(element, "RateApplicablePercent", number_text(rate))

    def payment_means(self, parent, means: PaymentMeans) -> None:
        element = self.ram(parent, "SpecifiedTradeSettlementPaymentMeans")
        self.ram(element, "TypeCode", means.code)
        if means.account_id:
            account = self.ram(element, "PayeePartyCreditorFinancialAccount")
            is_proprietary = (
                means.branch_id in PROPRIETARY_BRANCHES
                or means.code == MEANS_REFERENCE_GIRO
                or not IBAN.match(means.account_id)
            )
            if not is_proprietary:
                self.ram(account, "IBANID", means.account_id)
            self.ram_if(account, "AccountName", means.account_name)
            if is_proprietary:
                self.ram(account, "ProprietaryID", means.account_id)
        if means.branch_id and means.branch_id not in PROPRIETARY_BRANCHES:
            institution = self.ram(element, "PayeeSpecifiedCreditorFinancialInstitution")
            self.ram(institution, "BICID", means.branch_id)

    def allowance_charge(self, parent, item: AllowanceCharge) -> None:
        element = self.ram(parent, "SpecifiedTradeAllowanceCharge")
        indicator = etree.SubElement(self.ram(element, "ChargeIndicator"), f"{{{UDT}}}Indicator")
        indicator.text = "true" if item.is_charge else "false"
        self.amount(element, "ActualAmount", item.amount)
        self.ram(element, "Reason", item.reason)
        self.trade_tax(element, "CategoryTradeTax", item.vat_category, item.vat_rate)

    def line(self, parent, line: Line) -> None:
        element = self.ram(parent, "IncludedSupplyChainTradeLineItem")
        document_line = self.ram(element, "AssociatedDocumentLineDocument")
        self.ram(document_line, "LineID", line.line_id)
        self.note(document_line, line.note)
        self.ram(self.ram(element, "SpecifiedTradeProduct"), "Name", line.name)
        agreement = self.ram(element, "SpecifiedLineTradeAgreement")
        price = self.ram(agreement, "NetPriceProductTradePrice")
        self.ram(price, "ChargeAmount", number_text(line.price))
        delivery = self.ram(element, "SpecifiedLineTradeDelivery")
        self.ram(delivery, "BilledQuantity", number_text(line.quantity), unitCode=line.unit_code)
        settlement = self.ram(element, "SpecifiedLineTradeSettlement")
        self.trade_tax(settlement, "ApplicableTradeTax", line.vat_category, line.vat_rate)
        summation = self.ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        self.amount(summation, "LineTotalAmount", line.net_amount)

    # -- the document ---------------------------------------------------------------------

    def build(self) -> etree._Element:
        document = self.document
        root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
        context = etree.SubElement(root, f"{{{RSM}}}ExchangedDocumentContext")
        self.ram(
            self.ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINE_ID
        )

        header = etree.SubElement(root, f"{{{RSM}}}ExchangedDocument")
        self.ram(header, "ID", document.number)
        self.ram(header, "TypeCode", document.type_code)
        self.date(header, "IssueDateTime", document.issue_date)
        self.note(header, document.note)

        transaction = etree.SubElement(root, f"{{{RSM}}}SupplyChainTradeTransaction")
        for line in document.lines:
            self.line(transaction, line)

        agreement = self.ram(transaction, "ApplicableHeaderTradeAgreement")
        self.ram_if(agreement, "BuyerReference", document.buyer_reference)
        self.party(agreement, "SellerTradeParty", document.seller)
        self.party(agreement, "BuyerTradeParty", document.buyer)
        if document.order_reference:
            reference = self.ram(agreement, "BuyerOrderReferencedDocument")
            self.ram(reference, "IssuerAssignedID", document.order_reference)
        if document.contract_reference:
            reference = self.ram(agreement, "ContractReferencedDocument")
            self.ram(reference, "IssuerAssignedID", document.contract_reference)

        self.ram(transaction, "ApplicableHeaderTradeDelivery")  # required, empty: no delivery

        settlement = self.ram(transaction, "ApplicableHeaderTradeSettlement")
        payment_means = payment_means_written(document)
        payment_reference = next(
            (means.payment_id for means in payment_means if means.payment_id), ""
        )
        self.ram_if(settlement, "PaymentReference", payment_reference)
        if document.tax_currency is not None:
            self.ram(settlement, "TaxCurrencyCode", document.tax_currency.code)
        self.ram(settlement, "InvoiceCurrencyCode", document.currency)
        for means in payment_means:
            self.payment_means(settlement, means)
        for row in document.vat_breakdown:
            self.trade_tax(settlement, "ApplicableTradeTax", row.category, row.rate, row=row)
        if document.period_start or document.period_end:
            period = self.ram(settlement, "BillingSpecifiedPeriod")
            if document.period_start:
                self.date(period, "StartDateTime", document.period_start)
            if document.period_end:
                self.date(period, "EndDateTime", document.period_end)
        for item in document.allowances_charges:
            self.allowance_charge(settlement, item)
        if document.payment_terms or document.due_date:
            terms = self.ram(settlement, "SpecifiedTradePaymentTerms")
            self.ram_if(terms, "Description", document.payment_terms)
            if document.due_date:
                self.date(terms, "DueDateDateTime", document.due_date)

        totals = document_totals(document)
        summation = self.ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
        self.amount(summation, "LineTotalAmount", totals.line_total)
        if any(item.is_charge for item in document.allowances_charges):
            self.amount(summation, "ChargeTotalAmount", totals.charge_total)
        if any(not item.is_charge for item in document.allowances_charges):
            self.amount(summation, "AllowanceTotalAmount", totals.allowance_total)
        self.amount(summation, "TaxBasisTotalAmount", totals.tax_exclusive)
        self.amount(summation, "TaxTotalAmount", totals.vat_total, currency=document.currency)
        if document.tax_currency is not None:
            self.amount(
                summation,
                "TaxTotalAmount",
                document.tax_currency.vat_total,
                currency=document.tax_currency.code,
            )
        self.amount(summation, "GrandTotalAmount", totals.tax_inclusive)
        self.amount(summation, "DuePayableAmount", totals.payable)

        if document.preceding_invoice_number:
            reference = self.ram(settlement, "InvoiceReferencedDocument")
            self.ram(reference, "IssuerAssignedID", document.preceding_invoice_number)
            if document.preceding_invoice_date:
                self.date(
                    reference, "FormattedIssueDateTime", document.preceding_invoice_date,
                    qualified=True,
                )  # fmt: skip
        return root


def cii_bytes(document: Document) -> bytes:
    """The CII XML of the document (Factur-X EN 16931 profile), UTF-8 with an XML declaration:
    the same bytes for the same document on every machine."""
    root = _Writer(document).build()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
