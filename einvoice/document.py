"""An EN 16931 invoice or credit note as plain data: what every e-invoice syntax we write
(Peppol BIS UBL, Factur-X CII) is made of, with the figures already in *document space*.

Document space: a credit note carries positive amounts (EN 16931 has no negative invoice; a
credit note is its own document type, 381), so the mapper from a posted record negates a credit
note's amounts once, here, and every syntax writes them as they are. A line can still be
negative in either document (a deduction on an invoice, retention given back on a credit
note): its quantity is negative and its price never is (BR-27).

No ORM and no Django: a ``Document`` is built by ``invoicing/invoices/einvoices.py`` from the
frozen posted record only, and the totals the syntaxes print are derived here by one function,
``document_totals``, from the lines, allowances and charges (BR-CO-10..16), never remembered.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

DocumentKind = Literal["invoice", "credit_note"]
ZERO = Decimal("0.00")

#: EN 16931 document type codes (BT-3, UNCL 1001).
TYPE_CODES = {"invoice": "380", "credit_note": "381"}
#: UN/ECE Recommendation 20 unit codes (BT-130): hours and "one" (a piece, a lump sum).
UNIT_HOUR = "HUR"
UNIT_ONE = "C62"
#: Payment means (BT-81, UNCL 4461).
MEANS_CREDIT_TRANSFER = "30"
MEANS_SEPA_CREDIT_TRANSFER = "58"
MEANS_REFERENCE_GIRO = "93"  # Danish FIK (Fælles Indbetalingskort)
#: Financial institution branch ids of the Swedish giro systems (Peppol SE rules SE-R-007..010).
BRANCH_BANKGIRO = "SE:BANKGIRO"
BRANCH_PLUSGIRO = "SE:PLUSGIRO"


@dataclass(frozen=True)
class Address:
    country: str  # ISO 3166-1 alpha-2 (BT-40, BT-55)
    street: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str
    address: Address
    endpoint_scheme: str  # BT-34 / BT-49 scheme: an EAS code (0007, 0184, 0088, 9930, EM ...)
    endpoint_id: str
    vat_number: str = ""  # BT-31 / BT-48
    legal_id: str = ""  # BT-30 / BT-47: organisation number, CVR number
    legal_id_scheme: str = ""  # its ICD (0007 Swedish organisation number, 0184 CVR)
    tax_registration: str = ""  # BT-32: "Godkänd för F-skatt"
    legal_information: str = ""  # BT-33: registered office
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Line:
    """One invoice line (BG-25), in document space."""

    line_id: str
    name: str
    quantity: Decimal
    unit_code: str
    price: Decimal  # BT-146, net, never negative
    net_amount: Decimal  # BT-131, two decimals
    vat_category: str
    vat_rate: Decimal
    note: str = ""


@dataclass(frozen=True)
class AllowanceCharge:
    """A document-level allowance (BG-20) or charge (BG-21): a positive amount with its VAT."""

    is_charge: bool
    amount: Decimal
    reason: str
    vat_category: str
    vat_rate: Decimal


@dataclass(frozen=True)
class VatSubtotal:
    """One row of the VAT breakdown (BG-23): per VAT category and rate."""

    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason_code: str = ""
    exemption_reason: str = ""


@dataclass(frozen=True)
class PaymentMeans:
    """How to pay (BG-16): a credit transfer to an account, a giro, or a FIK card."""

    code: str
    payment_id: str = ""  # BT-83: the OCR reference, "71#<FIK payment id>"
    account_id: str = ""  # BT-84: IBAN, bankgiro or plusgiro number, FIK creditor number
    account_name: str = ""  # BT-85
    branch_id: str = ""  # BT-86: BIC, SE:BANKGIRO, SE:PLUSGIRO


@dataclass(frozen=True)
class TaxCurrency:
    """The VAT in the seller's accounting currency when the invoice is in another (BT-6, BT-111)."""

    code: str
    vat_total: Decimal


@dataclass(frozen=True)
class Document:
    kind: DocumentKind
    number: str  # BT-1
    issue_date: datetime.date  # BT-2
    currency: str  # BT-5
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat_breakdown: tuple[VatSubtotal, ...]
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    due_date: datetime.date | None = None  # BT-9
    buyer_reference: str = ""  # BT-10
    order_reference: str = ""  # BT-13
    contract_reference: str = ""  # BT-12
    preceding_invoice_number: str = ""  # BT-25
    preceding_invoice_date: datetime.date | None = None  # BT-26
    note: str = ""  # BT-22 (Peppol allows one)
    period_start: datetime.date | None = None  # BT-73
    period_end: datetime.date | None = None  # BT-74
    payment_means: tuple[PaymentMeans, ...] = ()
    payment_terms: str = ""  # BT-20
    tax_currency: TaxCurrency | None = None
    # Where goods or services went (BG-13): an intra-community supply must say the country
    # (BR-IC-12) and, without an invoicing period, the date (BR-IC-11).
    delivery_country: str = ""
    delivery_date: datetime.date | None = None

    @property
    def type_code(self) -> str:
        return TYPE_CODES[self.kind]


@dataclass(frozen=True)
class DocumentTotals:
    """The document totals (BG-22), derived from the lines, allowances, charges and VAT."""

    line_total: Decimal  # BT-106 = sum of BT-131 (BR-CO-10)
    allowance_total: Decimal  # BT-107 (BR-CO-11)
    charge_total: Decimal  # BT-108 (BR-CO-12)
    tax_exclusive: Decimal  # BT-109 = BT-106 - BT-107 + BT-108 (BR-CO-13)
    vat_total: Decimal  # BT-110 = sum of BT-117 (BR-CO-14)
    tax_inclusive: Decimal  # BT-112 = BT-109 + BT-110 (BR-CO-15)
    payable: Decimal  # BT-115 = BT-112 (nothing prepaid, no rounding; BR-CO-16)


def document_totals(document: Document) -> DocumentTotals:
    """The one computation of a document's totals, which every syntax prints."""
    line_total = sum((line.net_amount for line in document.lines), ZERO)
    allowances = sum(
        (item.amount for item in document.allowances_charges if not item.is_charge), ZERO
    )
    charges = sum((item.amount for item in document.allowances_charges if item.is_charge), ZERO)
    tax_exclusive = line_total - allowances + charges
    vat_total = sum((row.tax_amount for row in document.vat_breakdown), ZERO)
    tax_inclusive = tax_exclusive + vat_total
    return DocumentTotals(
        line_total=line_total,
        allowance_total=allowances,
        charge_total=charges,
        tax_exclusive=tax_exclusive,
        vat_total=vat_total,
        tax_inclusive=tax_inclusive,
        payable=tax_inclusive,
    )
