"""Bulk actions of the lists: each chosen row goes through the service its own page uses, in
a transaction of its own, so one refusal never undoes or blocks the others; the result says,
row by row, what was done and why the rest was refused (the service's own words).

Proposals: submit, approve, post. Invoices: e-mail to the customer, mark sent (the PDF batch
of a selection is a background job: ``invoices.views.PdfBatchStartView``).

The rows' results are kept in the user's session under a token (``bulk_results_keep``) and
shown by a page of their own the action redirects to: refreshing that page shows them again
and runs nothing (Post/Redirect/Get)."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import astuple, dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from invoicing.invoices import posting
from invoicing.invoices.models import Invoice
from invoicing.proposals import workflow
from invoicing.proposals.models import InvoiceProposal
from invoicing.receivables import payments, sending

#: At most this many rows per request: a page of a list, with room to spare.
BULK_LIMIT = 200
#: The session keeps the results of this many bulk actions (the newest), for their page.
RESULTS_KEPT = 5
RESULTS_SESSION_KEY = "bulk_results"

PROPOSAL_ACTIONS = {
    "submit": "invoicing.change_invoiceproposal",
    "approve": "invoicing.approve_invoiceproposal",
    "post": "invoicing.change_invoiceproposal",
}
INVOICE_ACTIONS = {
    "send": "invoicing.add_invoicedispatch",
    # Marking sent is a receivables write, as on the invoice page.
    "mark_sent": "invoicing.change_invoiceproposal",
}


@dataclass(frozen=True)
class BulkRow:
    """One chosen row: what it is, where it is, whether the action was done, and the words."""

    label: str
    url: str
    is_done: bool
    message: str


@dataclass(frozen=True)
class BulkResult:
    """What one bulk action did: on which list (``kind``), which action, and each row."""

    kind: str
    action: str
    rows: list[BulkRow]

    @property
    def done_count(self) -> int:
        return sum(row.is_done for row in self.rows)

    @property
    def refused_count(self) -> int:
        return sum(not row.is_done for row in self.rows)


def bulk_results_keep(*, session: MutableMapping, result: BulkResult) -> str:
    """Keep ``result`` in ``session`` and return the token its page is found by. Only the
    newest ``RESULTS_KEPT`` results are kept, so the session stays small (a few kB a result)."""
    token = secrets.token_urlsafe(12)
    kept = list(session.get(RESULTS_SESSION_KEY, {}).items())[-(RESULTS_KEPT - 1) :]
    kept.append((token, [result.kind, result.action, [list(astuple(row)) for row in result.rows]]))
    session[RESULTS_SESSION_KEY] = dict(kept)
    return token


def bulk_results_of(*, session: MutableMapping, token: str) -> BulkResult | None:
    """The result kept under ``token`` in this session, or None (never kept, or dropped)."""
    kept = session.get(RESULTS_SESSION_KEY, {}).get(token)
    if kept is None:
        return None
    kind, action, rows = kept
    return BulkResult(kind, action, [BulkRow(*row) for row in rows])


def _refusal_text(refused: Exception) -> str:
    if isinstance(refused, ValidationError):
        return " ".join(str(message) for message in refused.messages)
    return str(refused)


def _run(label: str, url: str, step: Callable[[], str]) -> BulkRow:
    try:
        with transaction.atomic():
            done = step()
    except (ValidationError, PermissionDenied, payments.PaymentRefused) as refused:
        return BulkRow(label, url, False, _refusal_text(refused))
    return BulkRow(label, url, True, done)


def proposals_bulk(
    *,
    action: str,
    proposal_ids: Iterable[int],
    actor: AbstractBaseUser,
    invoice_date: datetime.date | None = None,
) -> list[BulkRow]:
    """Submit, approve or post each chosen proposal (in the list's order, by number)."""
    chosen = InvoiceProposal.objects.select_related("contract", "funding_source").filter(
        pk__in=list(proposal_ids)[:BULK_LIMIT]
    )
    rows = []
    for proposal in chosen.order_by("pk"):
        label = f"#{proposal.pk} {proposal.contract.code} · {proposal.funding_source.name}"

        def step(proposal=proposal) -> str:
            if action == "submit":
                workflow.proposal_submit(proposal=proposal, actor=actor)
                return _("Submitted for approval.")
            if action == "approve":
                workflow.proposal_approve(proposal=proposal, actor=actor)
                return _("Approved.")
            document = posting.invoice_post(
                proposal=proposal, actor=actor, invoice_date=invoice_date
            )
            if isinstance(document, Invoice):
                return _("Posted as %(number)s.") % {"number": document.number}
            return _("Posted as an internal charge.")

        rows.append(_run(label, proposal.get_absolute_url(), step))
    return rows


def invoices_bulk(
    *, action: str, invoice_ids: Iterable[int], actor: AbstractBaseUser
) -> list[BulkRow]:
    """E-mail each chosen invoice to its customer, or mark it sent (by number)."""
    chosen = Invoice.objects.select_related("customer").filter(
        pk__in=list(invoice_ids)[:BULK_LIMIT]
    )
    rows = []
    for invoice in chosen.order_by("legal_entity_id", "sequence_number"):

        def step(invoice=invoice) -> str:
            if action == "send":
                result = sending.invoices_send(invoices=[invoice], actor=actor)
                if result.refused:
                    raise sending.SendingRefused(result.refused[0][1])
                return _("The e-mail to %(to)s is queued.") % {"to": invoice.customer.email}
            payments.invoice_mark_sent(invoice=invoice, actor=actor)
            return _("Marked as sent.")

        rows.append(
            _run(f"{invoice.number} · {invoice.customer.name}", invoice.get_absolute_url(), step)
        )
    return rows
