"""What a posted document prints, frozen on the invoice when it is posted (issue 12, item 6).

``invoice_snapshot`` copies, inside the posting transaction, everything the document prints that
is not already a column of the invoice or a row of its lines and VAT: the seller (legal entity,
address, VAT and organization numbers, bank details), the buyer (customer, address, VAT number,
language), the contract's code, name, currency, retention percent and payment terms, the funder's
name, the corrected invoice, and the progress statement's figures. Plain JSON: amounts and
percentages as strings, countries as their code and the name printed in the document's language.

``snapshot_context`` turns it back into what the template reads; the document never reads the
customer, legal entity or contract again, so editing them after posting changes nothing printed.

Version 2 (issue 14, item 1) adds what an e-invoice needs and a later UBL builder reads from
here only: the seller's F-tax, registered office, plusgiro and FIK creditor number, the
buyer's Peppol endpoint and default buyer reference, and the contract's effective buyer
reference (BT-10) and order reference (BT-13), and the payment reference the customer pays
with (a Swedish OCR reference or a Danish FIK payment id), and whether the buyer wants its PDF
as Factur-X (so a posted invoice's PDF is of the kind it was posted with, whatever the customer
asks for later). A snapshot is never rewritten: invoices posted
before version 2 keep their version 1 snapshot, and whatever reads one treats the keys version 2
added as not known (blank), never as the records' values today.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import Q, Sum
from django.utils import translation
from django_countries import countries

from contracts import identifiers
from contracts.models import TransactionKind
from contracts.money import round_money
from contracts.selectors import buyer_reference_effective
from einvoice.references import payment_reference_for
from invoicing.invoices.models import DocumentType, Invoice, InvoiceLine
from invoicing.invoices.retention import retention_ledger

SNAPSHOT_VERSION = 2
#: The legal entity's fields printed beyond its name and address: numbers and bank details.
SELLER_DETAILS = ("organization_number", "email", "phone", "bank_name", "iban", "bic", "bankgiro")
#: Added by version 2: what the e-invoice and the legal texts need of the seller.
SELLER_EINVOICE_DETAILS = ("f_skatt", "registered_office", "plusgiro", "fik_creditor_number")
#: The customer's fields beyond its name and address (version 2 adds the last four;
#: ``wants_facturx`` came later within version 2: a snapshot without it is a plain PDF's).
BUYER_DETAILS = (
    "language",
    "email",
    "peppol_scheme",
    "peppol_identifier",
    "buyer_reference",
    "wants_facturx",
)


@dataclass(frozen=True)
class ProgressStatement:
    contract_value: Decimal
    billed_to_date: Decimal
    retained: Decimal
    prepaid: Decimal
    remaining: Decimal


#: Lines that move retention rather than bill work: withheld, released, and their credits.
RETENTION_MOVEMENTS = ("retention", "retention_release")


def progress_statement(invoice: Invoice) -> ProgressStatement:
    """Where the contract stands with this funder once this document is counted, computed from
    the posted records (the document prints the copy frozen at posting).

    Billed to date counts billing only: every line of the funder's documents so far (work,
    fees, on-account, deductions and their credits) except retention movements (retention,
    releases, and the retention a credit note gives back or a release it credits), which the
    retention ledger counts instead. Retained is what the ledger shows outstanding after this
    document (withheld - released - given back)."""
    earlier = Invoice.objects.filter(
        contract=invoice.contract, funding_source=invoice.funding_source
    ).filter(Q(sequence_number__lte=invoice.sequence_number) | Q(pk=invoice.pk))
    earlier_lines = InvoiceLine.objects.filter(invoice__in=earlier)
    billed = earlier_lines.exclude(line_type__in=RETENTION_MOVEMENTS).exclude(
        line_type="credit", credited_line__line_type__in=RETENTION_MOVEMENTS
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    prepaid = earlier_lines.filter(
        kind=TransactionKind.ON_ACCOUNT,
        transaction__billing_rule__isnull=True,
        transaction__milestone__isnull=True,
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    ledger = retention_ledger(
        contract=invoice.contract,
        funding_source_id=invoice.funding_source_id,
        up_to_invoice=invoice,
    )
    value = invoice.contract.contract_value
    return ProgressStatement(
        contract_value=value,
        billed_to_date=billed,
        retained=ledger.outstanding,
        prepaid=prepaid,
        remaining=value - billed,
    )


def _money(amount: Decimal) -> str:
    """An amount as JSON: a string with the two decimals of the money columns, whatever the
    database's sum returned (SQLite drops trailing zeros)."""
    return str(round_money(Decimal(amount)))


def _country(code: str, language: str) -> dict:
    with translation.override(language):
        return {"country": code, "country_name": str(countries.name(code))}


def _party(record, language: str, *fields: str) -> dict:
    return {
        "code": record.code,
        "name": record.name,
        "street": record.street,
        "postal_code": record.postal_code,
        "city": record.city,
        **_country(str(record.country.code), language),
        "vat_number": record.vat_number,
        **{field: getattr(record, field) for field in fields},
    }


def invoice_snapshot(invoice: Invoice) -> dict:
    """Everything the document prints beyond the invoice's columns, lines and VAT, read from
    the current records: call it inside the posting transaction, once the lines are written."""
    contract = invoice.contract
    source = invoice.funding_source
    credited = invoice.credited_invoice
    return {
        "version": SNAPSHOT_VERSION,
        "seller": _party(
            invoice.legal_entity, invoice.language, *SELLER_DETAILS, *SELLER_EINVOICE_DETAILS
        ),
        "buyer": _party(invoice.customer, invoice.language, *BUYER_DETAILS),
        "contract": {
            "code": contract.code,
            "name": contract.name,
            "currency": contract.currency,
            "retention_percent": str(contract.retention_percent),
            "customer_reference": contract.customer_reference,
            "buyer_reference": buyer_reference_effective(
                contract=contract, customer=invoice.customer
            ),
            "order_reference": contract.order_reference,
            "payment_terms": {
                "code": contract.payment_terms.code,
                "name": contract.payment_terms.name,
                "net_days": contract.payment_terms.net_days,
            },
        },
        "funder": {"name": source.name, "invoices_a_customer": source.customer_id is not None},
        "credited_invoice": None
        if credited is None
        else {"number": credited.number, "invoice_date": credited.invoice_date.isoformat()},
        "payment_reference": _payment_reference(invoice),
        "progress": {
            name: _money(amount) for name, amount in asdict(progress_statement(invoice)).items()
        },
    }


def _payment_reference(invoice: Invoice) -> dict | None:
    """The OCR reference or FIK payment id the customer pays with (none on a credit note:
    nothing is to be paid), from the invoice's sequence number, unique per legal entity."""
    if invoice.document_type != DocumentType.INVOICE:
        return None
    entity = invoice.legal_entity
    return payment_reference_for(
        number=invoice.sequence_number,
        country=entity.country,
        bankgiro=entity.bankgiro,
        plusgiro=entity.plusgiro,
        fik_creditor_number=entity.fik_creditor_number,
    )


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def snapshot_context(snapshot: dict) -> dict:
    """What the document's template reads, from the frozen snapshot only."""
    contract = snapshot["contract"]
    credited = snapshot["credited_invoice"]
    seller = snapshot["seller"]
    return {
        "entity": SimpleNamespace(
            **seller,
            organization_number_display=identifiers.organization_number_display(
                seller["organization_number"], seller["country"]
            ),
            bankgiro_display=identifiers.bankgiro_display(seller["bankgiro"]),
            plusgiro_display=identifiers.plusgiro_display(seller.get("plusgiro", "")),
            iban_display=identifiers.iban_display(seller["iban"]),
        ),
        # A version 1 snapshot has none: nothing is printed rather than a reference made now.
        "payment_reference": snapshot.get("payment_reference"),
        "customer": SimpleNamespace(**snapshot["buyer"]),
        "contract": SimpleNamespace(
            **{**contract, "retention_percent": _decimal(contract["retention_percent"])},
            net_days=contract["payment_terms"]["net_days"],
        ),
        "funder_name": snapshot["funder"]["name"]
        if snapshot["funder"]["invoices_a_customer"]
        and snapshot["funder"]["name"] != snapshot["buyer"]["name"]
        else "",
        "credited": None
        if credited is None
        else SimpleNamespace(
            number=credited["number"],
            invoice_date=datetime.date.fromisoformat(credited["invoice_date"]),
        ),
        "progress": ProgressStatement(
            **{name: Decimal(value) for name, value in snapshot["progress"].items()}
        ),
    }
