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

Issue 14, item 6 added ``supply_period`` to version 2 (no invoice posted in production lacks
it): the first and last date of the work billed, ``{"start": "YYYY-MM-DD", "end": ...}`` or
None. Readers take it with ``.get()``, so a snapshot without it prints no period.
Issue 14, item 3 adds ``tax_currency`` (still version 2: a snapshot without the key has none):
for an invoice in another currency than its legal entity's, the exchange rate used (its date
and source) and the VAT per breakdown row and in total in the entity's currency (EN 16931
BT-6, BT-111); ``None`` when the invoice is in the entity's own currency.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q, Sum
from django.utils import translation
from django.utils.translation import gettext_lazy
from django_countries import countries

from contracts import identifiers
from contracts.currency_conversion import VatRow, exchange_rate_text, vat_converted
from contracts.models import ExchangeRate, LegalEntity, RateSource, TransactionKind
from contracts.money import round_money
from contracts.selectors import (
    EXCHANGE_RATE_MAX_AGE_DAYS,
    buyer_reference_effective,
    exchange_rate_for,
)
from einvoice.references import payment_reference_for
from invoicing.invoices.models import DocumentType, Invoice, InvoiceLine
from invoicing.invoices.retention import retention_ledger_of_totals

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
NO_EXCHANGE_RATE = gettext_lazy(
    "There is no exchange rate from %(currency)s to %(base)s on or before %(date)s (nor in "
    "the %(days)s days before): enter one under Exchange rates."
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


#: A line that bills a prepayment: on account, and not an amount a billing rule or a milestone
#: makes (a line with no transaction counts, as the outer join has always counted it).
IS_PREPAYMENT = Q(
    kind=TransactionKind.ON_ACCOUNT,
    transaction__billing_rule__isnull=True,
    transaction__milestone__isnull=True,
)


def _is_prepayment(line: InvoiceLine) -> bool:
    """``IS_PREPAYMENT`` for a line in memory (its transaction already read)."""
    if line.kind != TransactionKind.ON_ACCOUNT:
        return False
    work = line.transaction if line.transaction_id else None
    return work is None or (work.billing_rule_id is None and work.milestone_id is None)


def _is_retention_movement(line_type: str, credited_type: str | None) -> bool:
    return line_type in RETENTION_MOVEMENTS or (
        line_type == "credit" and credited_type in RETENTION_MOVEMENTS
    )


def progress_statement(
    invoice: Invoice, *, lines: Sequence[InvoiceLine] | None = None
) -> ProgressStatement:
    """Where the contract stands with this funder once this document is counted, computed from
    the posted records (the document prints the copy frozen at posting).

    Billed to date counts billing only: every line of the funder's documents so far (work,
    fees, on-account, deductions and their credits) except retention movements (retention,
    releases, and the retention a credit note gives back or a release it credits), which the
    retention ledger counts instead (``retention.retention_ledger_of_totals``). Retained is
    what the ledger shows outstanding after this document (withheld - released - given back).

    One query: the funder's lines on this contract up to this document in its legal entity's
    series, totalled per line type, type of the line credited and prepayment or not. Posting
    passes ``lines``, the document's own lines before they are written (each with its
    transaction and credited line read, so no query follows them): then the query counts the
    earlier documents only and the lines are added here."""
    documents = Q(
        invoice__contract_id=invoice.contract_id,
        invoice__funding_source_id=invoice.funding_source_id,
    )
    if lines is None:
        documents &= Q(invoice__sequence_number__lte=invoice.sequence_number) | Q(invoice=invoice)
    else:
        documents &= Q(invoice__sequence_number__lt=invoice.sequence_number)
    totals = list(
        InvoiceLine.objects.filter(documents)
        .annotate(is_prepayment=ExpressionWrapper(IS_PREPAYMENT, output_field=BooleanField()))
        .values_list("line_type", "credited_line__line_type", "is_prepayment")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    totals += [
        (
            line.line_type,
            line.credited_line.line_type if line.credited_line_id else None,
            _is_prepayment(line),
            line.amount,
        )
        for line in lines or ()
    ]
    billed = prepaid = Decimal("0")
    for line_type, credited_type, is_prepayment, total in totals:
        if not _is_retention_movement(line_type, credited_type):
            billed += total
        if is_prepayment:
            prepaid += total
    ledger = retention_ledger_of_totals(
        (line_type, credited_type, total) for line_type, credited_type, _, total in totals
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


def invoice_snapshot(
    invoice: Invoice,
    *,
    exchange_rate: ExchangeRate | None,
    taxes: Sequence,
    lines: Sequence[InvoiceLine],
) -> dict:
    """Everything the document prints beyond the invoice's columns, lines and VAT, read from
    the current records: call it inside the posting transaction, once the number is taken and
    before the invoice is written (the snapshot is inserted with it), with the exchange rate
    ``tax_currency_rate`` found before the number was taken (None in the entity's own
    currency), and the VAT rows and lines about to be written (each line with its transaction
    and credited line read: see ``progress_statement``)."""
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
        "supply_period": _supply_period(lines),
        "progress": {
            name: _money(amount)
            for name, amount in asdict(progress_statement(invoice, lines=lines)).items()
        },
        "tax_currency": _tax_currency(invoice, exchange_rate, taxes),
    }


def tax_currency_rate(
    *, currency: str, legal_entity: LegalEntity, on_date: datetime.date
) -> ExchangeRate | None:
    """The exchange rate an invoice in ``currency`` dated ``on_date`` shows its VAT in the legal
    entity's currency with (``contracts.selectors.exchange_rate_for``); None when the invoice
    is in the entity's own currency. Raises ``ValidationError`` telling the clerk which rate to
    enter when there is none: posting calls it before it takes a number."""
    base = legal_entity.base_currency
    if currency == base:
        return None
    rate = exchange_rate_for(currency=currency, quote_currency=base, on_date=on_date)
    if rate is None:
        raise ValidationError(
            NO_EXCHANGE_RATE
            % {
                "currency": currency,
                "base": base,
                "date": on_date.isoformat(),
                "days": EXCHANGE_RATE_MAX_AGE_DAYS,
            }
        )
    return rate


def _tax_currency(invoice: Invoice, rate: ExchangeRate | None, taxes) -> dict | None:
    """The rate used and the VAT in the legal entity's currency, per VAT row and in total
    (``contracts.currency_conversion.vat_converted``, the one function for these figures). A
    credit note uses the rate of its own date."""
    if rate is None:
        return None
    converted = vat_converted(
        [VatRow(tax.vat_category, tax.rate, tax.amount) for tax in taxes],
        exchange_rate=rate.rate,
        currency=rate.quote_currency,
    )
    return {
        "currency": rate.quote_currency,
        "rate": exchange_rate_text(rate.rate),
        "rate_date": rate.rate_date.isoformat(),
        "source": rate.source,
        "vat_total": str(converted.total),
        "taxes": [
            {"category": row.category, "rate": str(row.rate), "amount": str(row.amount)}
            for row in converted.rows
        ],
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


def _supply_period(lines: Sequence[InvoiceLine]) -> dict | None:
    """When the work billed was delivered: the first and last date of the transactions behind
    the lines (ISO dates), or None when no line has a transaction (a fee, a release).
    The document prints it (ML 17 kap. 24 §, momsbekendtgørelsen § 58, stk. 1, nr. 6) and the
    e-invoice's invoice period (BG-14) is read from it: keep its name and format."""
    dates = [line.transaction.date for line in lines if line.transaction_id]
    if not dates:
        return None
    return {"start": min(dates).isoformat(), "end": max(dates).isoformat()}


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _period(period: dict | None) -> SimpleNamespace | None:
    if not period:
        return None
    return SimpleNamespace(
        start=datetime.date.fromisoformat(period["start"]),
        end=datetime.date.fromisoformat(period["end"]),
    )


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
        # Added to version 2 by issue 14, item 6: older snapshots have none (nothing printed).
        "supply_period": _period(snapshot.get("supply_period")),
        "progress": ProgressStatement(
            **{name: Decimal(value) for name, value in snapshot["progress"].items()}
        ),
        "tax_currency": _tax_currency_context(snapshot.get("tax_currency")),
    }


def _tax_currency_context(frozen: dict | None) -> SimpleNamespace | None:
    """The frozen VAT in the entity's currency as the template reads it (None before issue 14,
    item 3, and for invoices in the entity's own currency)."""
    if not frozen:
        return None
    source = frozen["source"]
    return SimpleNamespace(
        currency=frozen["currency"],
        rate=Decimal(frozen["rate"]),
        rate_date=datetime.date.fromisoformat(frozen["rate_date"]),
        # The banks are printed by name; a rate entered by hand says so in the document's language.
        source=RateSource(source).label if source in RateSource.values else source,
        vat_total=Decimal(frozen["vat_total"]),
        taxes=[{**row, "amount": Decimal(row["amount"])} for row in frozen["taxes"]],
    )
