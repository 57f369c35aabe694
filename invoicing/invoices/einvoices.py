"""The e-invoice of a posted invoice or credit note (issue 14): built from the frozen record
only (the invoice's columns, its final lines and VAT rows, and the snapshot taken at posting),
validated offline against the UBL schema, the EN 16931 rules and the Peppol BIS 3.0 rules
inside the posting transaction, and stored with its SHA-256.

``einvoice_document`` maps the record to ``einvoice.document.Document`` (document space: a
credit note's amounts are negated here, once); ``einvoice.ubl`` writes the XML; posting calls
``einvoice_started``, whose validation (on a validation thread, awaited before the posting
commits) raises ``EInvoiceRejected`` (a ``ValidationError`` that names the broken rules in words a
clerk can act on) so the posting rolls back and no number is taken.

How our lines become EN 16931 constructs:

- work, fees, on-account and releases of retention are invoice lines; a negative one (a
  deduction of an on-account prepayment, a credited line on an invoice) has a negative
  quantity and a positive price (BR-27);
- the retention withheld is a document-level allowance (BG-20) with its VAT category and rate:
  it lowers the taxable amount exactly as our totals do; on a credit note, retention given back
  is the same construct with the other sign (a charge);
- a line whose amount is not its quantity times its price (a part of a line credited) is one
  unit at its amount.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext

from contracts.identifiers import VAT_SCHEMES
from contracts.models import PeppolScheme, TransactionKind
from contracts.models.parties import REASON_CATEGORIES
from contracts.money import round_money
from einvoice.document import (
    BRANCH_BANKGIRO,
    BRANCH_PLUSGIRO,
    MEANS_CREDIT_TRANSFER,
    MEANS_REFERENCE_GIRO,
    MEANS_SEPA_CREDIT_TRANSFER,
    UNIT_HOUR,
    UNIT_ONE,
    Address,
    AllowanceCharge,
    Document,
    Line,
    Party,
    PaymentMeans,
    TaxCurrency,
    VatSubtotal,
    document_totals,
)
from einvoice.references import fik_ubl_payment_id
from einvoice.ubl import ubl_bytes
from einvoice.validation import validation_started
from invoicing.invoices.facturx import facturx_einvoice_create, facturx_wanted
from invoicing.invoices.models import DocumentType, EInvoice, EInvoiceSyntax, Invoice

#: The Peppol schemes (ISO 6523 ICD) of the organisation numbers we know: the Swedish
#: organisation number and the Danish CVR number.
ORGANIZATION_SCHEMES = {"SE": PeppolScheme.SE_ORGANIZATION_NUMBER, "DK": PeppolScheme.DK_CVR}
VAT_SCHEME_OF_COUNTRY = {country: scheme for scheme, country in VAT_SCHEMES.items()}
PRICE_TOLERANCE = Decimal("0.01")
F_SKATT = "Godkänd för F-skatt"  # its legal wording, in Swedish whatever the document's language


def category_effective(category: str, rate: Decimal) -> str:
    """A line's or VAT row's EN 16931 category. Lines posted before categories were recorded
    have none: a charged rate is standard (as ``totals.invoice_totals`` counts it), 0 % zero
    rated."""
    if category:
        return category
    return "S" if rate > 0 else "Z"


def organization_number_from_vat(vat_number: str, country: str) -> str:
    """The organisation number inside a Swedish (SE + 10 digits + 01) or Danish (DK + 8
    digits) VAT number; blank for any other."""
    if country == "SE" and len(vat_number) == 14 and vat_number[2:].isdigit():
        return vat_number[2:12]
    if country == "DK" and len(vat_number) == 10 and vat_number[2:].isdigit():
        return vat_number[2:]
    return ""


def endpoint_for(
    *,
    country: str,
    organization_number: str = "",
    vat_number: str = "",
    peppol_scheme: str = "",
    peppol_identifier: str = "",
) -> tuple[str, str]:
    """Where a party receives e-invoices (BT-34, BT-49): its registered Peppol endpoint; else
    its Swedish organisation number or Danish CVR number (given, or read from its VAT number),
    under which Swedish and Danish participants are registered; else a VAT number scheme of its
    country. ``("", "")`` when nothing is known, which the Peppol rules refuse
    (PEPPOL-EN16931-R010, -R020): Peppol has no scheme for an e-mail address."""
    if peppol_scheme and peppol_identifier:
        return peppol_scheme, peppol_identifier
    number = organization_number or organization_number_from_vat(vat_number, country)
    if number and country in ORGANIZATION_SCHEMES:
        return ORGANIZATION_SCHEMES[country], number
    if vat_number and country in VAT_SCHEME_OF_COUNTRY:
        return VAT_SCHEME_OF_COUNTRY[country], vat_number
    return "", ""


def _address(party: dict) -> Address:
    return Address(
        country=party["country"],
        street=party.get("street", ""),
        postal_code=party.get("postal_code", ""),
        city=party.get("city", ""),
    )


def _seller(seller: dict) -> Party:
    country = seller["country"]
    organization_number = seller.get("organization_number", "") or organization_number_from_vat(
        seller.get("vat_number", ""), country
    )
    scheme, endpoint = endpoint_for(
        country=country,
        organization_number=organization_number,
        vat_number=seller.get("vat_number", ""),
    )
    office = seller.get("registered_office", "")
    return Party(
        name=seller["name"],
        address=_address(seller),
        endpoint_scheme=scheme,
        endpoint_id=endpoint,
        vat_number=seller.get("vat_number", ""),
        legal_id=organization_number,
        legal_id_scheme=ORGANIZATION_SCHEMES.get(country, "") if organization_number else "",
        tax_registration=F_SKATT if country == "SE" and seller.get("f_skatt") else "",
        legal_information=gettext("Registered office: %(office)s") % {"office": office}
        if office
        else "",
        email=seller.get("email", ""),
        phone=seller.get("phone", ""),
    )


def buyer_endpoint(buyer: dict) -> tuple[str, str]:
    """Where the buyer of a frozen snapshot receives its e-invoice (what the XML says)."""
    return endpoint_for(
        country=buyer["country"],
        vat_number=buyer.get("vat_number", ""),
        peppol_scheme=buyer.get("peppol_scheme", ""),
        peppol_identifier=buyer.get("peppol_identifier", ""),
    )


def _buyer(buyer: dict) -> Party:
    country = buyer["country"]
    scheme, endpoint = buyer_endpoint(buyer)
    legal_id = endpoint if scheme == ORGANIZATION_SCHEMES.get(country) else ""
    return Party(
        name=buyer["name"],
        address=_address(buyer),
        endpoint_scheme=scheme,
        endpoint_id=endpoint,
        vat_number=buyer.get("vat_number", ""),
        legal_id=legal_id,
        legal_id_scheme=scheme if legal_id else "",
        email=buyer.get("email", ""),
    )


def _payment_means(invoice: Invoice, seller: dict, reference: dict | None) -> tuple:
    """How the buyer pays, per the seller's country. One document has one payment means code
    and one payment id (UBL-SR-44, UBL-SR-47), so: a Swedish seller is paid by credit transfer
    (code 30) to its bankgiro, plusgiro and IBAN, all with the OCR reference (SE:BANKGIRO,
    SE:PLUSGIRO, SE-R-007..011); a Danish seller with a FIK creditor number by FIK only (code
    93, ``71#`` and the creditor number, DK-R-010/011), else to its IBAN by code 58 (30 is not
    allowed at home, DK-R-005); anyone else to its IBAN (code 30). A credit note asks for no
    payment."""
    if invoice.document_type != DocumentType.INVOICE:
        return ()
    if reference and reference["scheme"] == "fik" and seller.get("fik_creditor_number"):
        payment_id = fik_ubl_payment_id(reference["reference"])
        return (PaymentMeans(MEANS_REFERENCE_GIRO, payment_id, seller["fik_creditor_number"]),)
    payment_id = reference["reference"] if reference else invoice.number
    code = MEANS_SEPA_CREDIT_TRANSFER if seller["country"] == "DK" else MEANS_CREDIT_TRANSFER
    accounts = [
        (seller.get("bankgiro", ""), BRANCH_BANKGIRO),
        (seller.get("plusgiro", ""), BRANCH_PLUSGIRO),
        (seller.get("iban", ""), seller.get("bic", "")),
    ]
    return tuple(
        PaymentMeans(code, payment_id, account, "", branch)
        for account, branch in accounts
        if account
    )


def _line(position: int, line, sign: int) -> Line:
    amount = sign * line.amount
    direction = Decimal(-1) if amount < 0 else Decimal(1)
    quantity = abs(line.quantity)
    price = abs(line.unit_price) if line.unit_price is not None else None
    is_priced = (
        price is not None
        and quantity != 0
        and abs(round_money(quantity * price) - abs(amount)) <= PRICE_TOLERANCE
    )
    category = category_effective(line.vat_category, line.tax_rate)
    if is_priced:
        unit = UNIT_HOUR if line.kind == TransactionKind.HOUR else UNIT_ONE
        return Line(
            str(position), line.description or "-", direction * quantity, unit, price, amount,
            category, line.tax_rate,
        )  # fmt: skip
    return Line(
        str(position), line.description or "-", direction, UNIT_ONE, abs(amount), amount,
        category, line.tax_rate,
    )  # fmt: skip


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def einvoice_document(invoice: Invoice) -> Document:
    """The EN 16931 document of a posted invoice or credit note, from its frozen record."""
    return document_of_record(
        invoice, list(invoice.lines.order_by("pk")), list(invoice.taxes.all())
    )


def document_of_record(invoice, invoice_lines: list, taxes: list) -> Document:
    """The mapping itself, over the invoice's columns and snapshot, its lines and its VAT
    rows, in that order (no query: the property tests feed it records built in memory)."""
    snapshot = invoice.snapshot
    sign = -1 if invoice.document_type == DocumentType.CREDIT_NOTE else 1
    lines, allowances = [], []
    with translation.override(invoice.language):
        for record in invoice_lines:
            if record.line_type == "retention":
                amount = sign * record.amount
                allowances.append(
                    AllowanceCharge(
                        is_charge=amount > 0,
                        amount=abs(amount),
                        reason=record.description,
                        vat_category=category_effective(record.vat_category, record.tax_rate),
                        vat_rate=record.tax_rate,
                    )
                )
            else:
                lines.append(_line(len(lines) + 1, record, sign))
        breakdown = []
        for tax in taxes:
            category = category_effective(tax.vat_category, tax.rate)
            gives_reason = category in REASON_CATEGORIES  # none on S and Z (BR-S-10, BR-Z-10)
            breakdown.append(
                VatSubtotal(
                    category=category,
                    rate=tax.rate,
                    taxable_amount=sign * tax.base,
                    tax_amount=sign * tax.amount,
                    exemption_reason_code=tax.exemption_reason_code if gives_reason else "",
                    exemption_reason=tax.exemption_reason if gives_reason else "",
                )
            )
        contract = snapshot["contract"]
        credited = snapshot.get("credited_invoice")
        period = snapshot.get("supply_period") or {}
        tax_currency = snapshot.get("tax_currency")
        terms = contract.get("payment_terms") or {}
        # An intra-community supply names where it went, and when if no period says it.
        is_intra_community = any(row.category == "K" for row in breakdown)
        document = Document(
            kind="credit_note" if sign < 0 else "invoice",
            number=invoice.number,
            issue_date=invoice.invoice_date,
            due_date=invoice.due_date if sign > 0 else None,
            currency=invoice.currency,
            seller=_seller(snapshot["seller"]),
            buyer=_buyer(snapshot["buyer"]),
            lines=tuple(lines),
            allowances_charges=tuple(allowances),
            vat_breakdown=tuple(breakdown),
            # BT-10 routes the invoice at the buyer: the reference it asked for, else the
            # reference on the contract, else our contract code, which it can find us by.
            buyer_reference=contract.get("buyer_reference")
            or contract.get("customer_reference")
            or contract["code"],
            order_reference=contract.get("order_reference", ""),
            contract_reference=contract["code"],
            preceding_invoice_number=credited["number"] if credited else "",
            preceding_invoice_date=_date(credited["invoice_date"]) if credited else None,
            note=invoice.credit_reason,
            period_start=_date(period.get("start")),
            period_end=_date(period.get("end")),
            payment_means=_payment_means(
                invoice, snapshot["seller"], snapshot.get("payment_reference")
            ),
            payment_terms=terms.get("name", "") if sign > 0 else "",
            delivery_country=snapshot["buyer"]["country"] if is_intra_community else "",
            delivery_date=invoice.invoice_date if is_intra_community and not period else None,
            tax_currency=TaxCurrency(
                tax_currency["currency"], sign * Decimal(tax_currency["vat_total"])
            )
            if tax_currency
            else None,
        )
    payable = document_totals(document).payable
    if payable != sign * invoice.gross_total:
        # The mapping lost or doubled a line: a defect of ours, never a clerk's to fix.
        raise ImproperlyConfigured(
            f"The e-invoice of {invoice.number} pays {payable}, the invoice {invoice.gross_total}"
        )
    return document


@dataclass(frozen=True)
class StartedEInvoice:
    """An e-invoice built and being validated (``einvoice_started``): ``store`` writes it once
    the invoice row exists; ``checked`` waits for the verdict, raising ``EInvoiceRejected`` on a
    fatal finding."""

    invoice: Invoice
    document: Document
    xml: bytes
    checked: Callable[[], object]

    def store(self) -> EInvoice:
        """The e-invoice row (and, when the frozen snapshot says the buyer wants Factur-X, the
        CII its PDF will carry: written from the same document, checked and stored too,
        ``facturx.py``)."""
        einvoice = EInvoice.objects.create(
            invoice=self.invoice,
            syntax=EInvoiceSyntax.PEPPOL_BIS_UBL,
            xml=self.xml.decode("utf-8"),
            sha256=hashlib.sha256(self.xml).hexdigest(),
        )
        if facturx_wanted(self.invoice):
            try:
                facturx_einvoice_create(invoice=self.invoice, document=self.document)
            except Exception:
                self.checked()  # a rejected UBL is what the clerk reads first, as before
                raise
        return einvoice


def einvoice_started(
    *, invoice: Invoice, lines: list | None = None, taxes: list | None = None
) -> StartedEInvoice:
    """Build the e-invoice of an invoice being posted and start its validation on a validation
    thread (``validation_started``). Posting calls it as soon as the snapshot is frozen, writes
    the invoice, its lines and VAT, the e-invoice (``store``), the proposal and the voucher
    meanwhile, and awaits the verdict (``checked``) before it commits, so a rejected document
    still rolls the whole posting back, its number included. Posting passes the lines and VAT
    rows it is about to write (in the invoice's order): the mapping needs no database id."""
    if lines is None or taxes is None:
        document = einvoice_document(invoice)
    else:
        document = document_of_record(invoice, lines, taxes)
    xml = ubl_bytes(document)
    return StartedEInvoice(invoice, document, xml, validation_started(xml, document.kind))
