"""Posting approved proposals: numbered, final invoices (DOMAIN.md section 7).

Posting is one database transaction: the proposal row is locked, the next number of the legal
entity's series is taken inside the transaction (django-sequences: gapless, because a rolled-back
posting gives its number back), the invoice, its lines and VAT per rate are written, the
billing status of the transactions follows their shares, and milestones are marked invoiced.
Everything the document prints about the parties, the contract's terms and the progress
statement is frozen on the invoice (``snapshots.py``). Anything that fails leaves nothing
behind.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from sequences import get_next_value

from contracts.models import Milestone, MilestoneStatus
from contracts.services import with_history_user
from funding.models import SourceType
from invoicing.invoices import hooks
from invoicing.invoices.credits import credit_note_settle
from invoicing.invoices.einvoices import einvoice_started
from invoicing.invoices.models import DocumentType, InternalCharge, Invoice, InvoiceLine, InvoiceTax
from invoicing.invoices.snapshots import invoice_snapshot, tax_currency_rate
from invoicing.proposals import line_texts, selectors
from invoicing.proposals.models import InvoiceProposal, ProposalStatus
from invoicing.proposals.state import transactions_billing_status_refresh

NOT_APPROVED = gettext_lazy("Only an approved proposal can be posted; this one is %(status)s.")
PERIOD_CLOSED = gettext_lazy(
    "The books of %(entity)s are closed up to %(date)s; choose a later invoice date."
)
NOT_ALLOWED = gettext_lazy("Your role cannot post invoices.")
NEGATIVE_INVOICE = gettext_lazy(
    "The total is negative, so this is a credit note: it must name the invoice it corrects."
)


def invoice_number_next(*, legal_entity) -> tuple[int, str]:
    """The next number of the legal entity's series; call it inside the posting transaction."""
    value = get_next_value(f"invoice-{legal_entity.pk}")
    return value, f"{legal_entity.invoice_number_prefix}{value}"


@transaction.atomic
def invoice_post(
    *, proposal: InvoiceProposal, actor: AbstractBaseUser, invoice_date: datetime.date | None = None
) -> Invoice | InternalCharge:
    """Post an approved proposal: a numbered invoice for a customer or grantor, an internal
    charge for an internal organization."""
    if not actor.has_perm("invoicing.change_invoiceproposal"):
        raise PermissionDenied(NOT_ALLOWED)
    # One query reads what posting needs of the contract, its parties and terms; only the
    # proposal's row is locked (``of``), as before.
    locked = (
        InvoiceProposal.objects.select_for_update(of=("self",))
        .select_related(
            "contract__legal_entity",
            "contract__customer",
            "contract__payment_terms",
            "contract__default_tax_group",
            "funding_source__customer",
            "credited_invoice",
        )
        .get(pk=proposal.pk)
    )
    if locked.status != ProposalStatus.APPROVED:
        raise ValidationError(NOT_APPROVED % {"status": locked.get_status_display()})
    contract = locked.contract
    entity = contract.legal_entity
    invoice_date = invoice_date or timezone.localdate()
    if entity.locked_until and invoice_date <= entity.locked_until:
        raise ValidationError(
            PERIOD_CLOSED % {"entity": entity.name, "date": entity.locked_until.isoformat()}
        )
    # The lines with what their VAT, the snapshot and the e-invoice read: the transaction's
    # project and tax group, and the invoice line a credit line credits.
    lines = list(locked.lines.select_related("transaction__project__tax_group", "credited_line"))
    source = locked.funding_source
    transaction_ids = [line.transaction_id for line in lines if line.transaction_id]
    posted_lines, posted_taxes = [], []
    einvoice_checked = _nothing_to_check
    if source.source_type == SourceType.ORGANIZATION:
        document = InternalCharge.objects.create(
            proposal=locked,
            funding_source=source,
            charge_date=invoice_date,
            amount=sum((line.amount for line in lines), start=0),
            posted_by=actor,
        )
    else:
        document, posted_lines, posted_taxes, einvoice_checked = _invoice_create(
            locked, lines, actor=actor, invoice_date=invoice_date
        )
    # The e-invoice is being validated on another thread meanwhile; its verdict is awaited
    # before the transaction commits. A rejected e-invoice is what the clerk is told, even when
    # something below fails too.
    try:
        _proposal_close(locked, document, transaction_ids, posted_lines, posted_taxes, actor)
    except Exception:
        einvoice_checked()
        raise
    einvoice_checked()
    return document


def _nothing_to_check() -> None:
    return None


def _proposal_close(locked, document, transaction_ids, posted_lines, posted_taxes, actor):
    """What follows the document: the proposal's lines and milestones, its status, a credit
    note's settlement, the ledger's voucher and the transactions' billing status."""
    locked.lines.update(is_open=False)
    milestones = Milestone.objects.select_for_update().filter(
        transactions__in=transaction_ids, status=MilestoneStatus.COMPLETED
    )
    for milestone in milestones:
        milestone.mark_invoiced()
        with_history_user(milestone, actor).save()
    locked.post()
    with_history_user(locked, actor).save(update_fields=["status"])
    if locked.credited_invoice_id:
        credit_note_settle(proposal=locked, actor=actor)
        if isinstance(document, Invoice):
            # Receivables settle the corrected invoice (its open amount goes down).
            hooks.credit_note_posted(credit_note=document, actor=actor)
    # The ledger books the document (its voucher is numbered in this transaction).
    hooks.document_posted(document=document, lines=posted_lines, taxes=posted_taxes, actor=actor)
    # Only this proposal's shares are invoiced now: another funder's share of the same
    # transaction stays as it was (in its own proposal, or still to bill).
    transactions_billing_status_refresh(transaction_ids=transaction_ids)


def _line_tax_fields(treatment) -> dict:
    """An invoice line's VAT columns from its ``totals.VatTreatment``."""
    return {
        "tax_rate": treatment.rate,
        "tax_label": treatment.label,
        "vat_category": treatment.category,
        "exemption_reason_code": treatment.exemption_reason_code,
        "exemption_reason": treatment.exemption_reason,
    }


def _invoice_create(
    proposal, lines, *, actor, invoice_date
) -> tuple[Invoice, list, list, Callable]:
    """The invoice or credit note of ``proposal``, with the line and VAT rows it wrote and the
    function that awaits its e-invoice's validation (``einvoices.einvoice_started``)."""
    contract = proposal.contract
    customer = proposal.funding_source.customer or contract.customer
    totals = selectors.proposal_totals(proposal=proposal, lines=lines)
    is_credit_note = totals.gross < 0
    if is_credit_note and not proposal.credited_invoice_id:
        raise ValidationError(NEGATIVE_INVOICE)
    # A foreign-currency invoice without an exchange rate is refused before it takes a number.
    exchange_rate = tax_currency_rate(
        currency=contract.currency, legal_entity=contract.legal_entity, on_date=invoice_date
    )
    sequence_number, number = invoice_number_next(legal_entity=contract.legal_entity)
    invoice = Invoice(
        legal_entity=contract.legal_entity,
        sequence_number=sequence_number,
        number=number,
        document_type=DocumentType.CREDIT_NOTE if is_credit_note else DocumentType.INVOICE,
        proposal=proposal,
        contract=contract,
        funding_source=proposal.funding_source,
        customer=customer,
        language=customer.language,
        currency=contract.currency,
        invoice_date=invoice_date,
        due_date=invoice_date
        if is_credit_note
        else invoice_date + datetime.timedelta(days=contract.payment_terms.net_days),
        credited_invoice=proposal.credited_invoice,
        credit_reason=proposal.credit_reason,
        customer_reference=contract.customer_reference,
        net_total=totals.net,
        retention_total=totals.retention.amount if totals.retention else 0,
        vat_total=totals.vat,
        gross_total=totals.gross,
        posted_by=actor,
    )
    invoice_lines = []
    for line in lines:
        treatment = selectors.line_tax(line, contract)
        invoice_lines.append(
            InvoiceLine(
                invoice=invoice,
                line_type=line.line_type,
                kind=line.kind,
                description=line.description,
                description_kind=line.description_kind,
                description_params=line.description_params,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
                **_line_tax_fields(treatment),
                # The records themselves (read with the lines), for the snapshot.
                transaction=line.transaction,
                credited_line=line.credited_line,
            )
        )
    if totals.retention is not None:
        default = selectors.tax_group_treatment(contract.default_tax_group)
        invoice_lines.append(
            InvoiceLine(
                invoice=invoice,
                line_type="retention",
                kind="",
                amount=totals.retention.amount,
                **line_texts.generated(
                    line_texts.RETENTION,
                    percent=contract.retention_percent,
                    base=totals.retention_base,
                    currency=contract.currency,
                ),
                **_line_tax_fields(default),
            )
        )
    # A generated description is printed in the document's language, written now and never
    # again: the PDF prints ``description``; pages show the kind in their reader's language.
    for invoice_line in invoice_lines:
        invoice_line.description = line_texts.line_text_in(invoice.language, invoice_line)[:500]
    taxes = [
        InvoiceTax(
            invoice=invoice,
            label=tax.label,
            vat_category=tax.category,
            rate=tax.rate,
            base=tax.base,
            amount=tax.tax,
            exemption_reason_code=tax.exemption_reason_code,
            exemption_reason=tax.exemption_reason,
        )
        for tax in totals.taxes
    ]
    # Freeze what the document prints before anything is written: the progress statement
    # counts the earlier documents (read now that the number is taken, so every earlier one of
    # the series has committed) and these lines. The snapshot goes in with the invoice row,
    # which nothing writes again.
    invoice.snapshot = invoice_snapshot(
        invoice, exchange_rate=exchange_rate, taxes=taxes, lines=invoice_lines
    )
    # The e-invoice, from that frozen record and the rows about to be written (in the order
    # the invoice lists them), is validated on a validation thread while the rows are written:
    # a document that breaks a rule of EN 16931 or Peppol BIS 3.0 raises when the verdict is
    # awaited (``invoice_post``), and the whole posting, its number included, rolls back.
    einvoice = einvoice_started(invoice=invoice, lines=invoice_lines, taxes=taxes)
    invoice.save(force_insert=True)
    InvoiceLine.objects.bulk_create(invoice_lines)
    InvoiceTax.objects.bulk_create(taxes)
    einvoice.store()
    return invoice, invoice_lines, taxes, einvoice.checked
