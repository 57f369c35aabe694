"""Management commands run from cron: `notify_overdue_invoices` tells finance once per invoice."""

import datetime
import io
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.management import call_command

from collaboration.models import Notification
from collaboration.texts import notification_text
from invoicing.invoices import posting
from invoicing.receivables import payments
from invoicing.receivables.notification_kinds import INVOICE_OVERDUE
from tests.factories import UserFactory
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
APRIL_1 = datetime.date(2026, 4, 1)  # E1 posted on this day is due on 2026-05-01 (30 days net)


@pytest.fixture
def finance(people):
    """Two clerks (the finance team) and an approver, who is not told of overdue invoices."""
    return {**people, "second_clerk": UserFactory(username="nils", role="finance_clerk")}


def posted_e1(people, *, prefix: str, invoice_date=APRIL_1):
    """E1 (27,500.00 gross) posted on ``invoice_date`` with invoice number ``<prefix>1``."""
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = prefix
    entity.save()
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=invoice_date)


def run_command(today: datetime.date, capture_on_commit) -> str:
    """Run the command as cron would on ``today``; e-mails go out when the transaction commits."""
    out = io.StringIO()
    with (
        patch("invoicing.receivables.selectors.timezone.localdate", return_value=today),
        capture_on_commit(execute=True),
    ):
        call_command("notify_overdue_invoices", stdout=out)
    return out.getvalue()


def overdue_notices():
    return Notification.objects.filter(kind=INVOICE_OVERDUE).order_by("recipient__username")


def test_an_overdue_invoice_is_reported_to_finance_once(
    finance, django_capture_on_commit_callbacks
):
    invoice = posted_e1(finance, prefix="OD-")
    payments.payment_record(
        customer=invoice.customer,
        currency=invoice.currency,
        amount=D("7500"),
        paid_on=APRIL_1,
        allocations=[(invoice, None)],
        actor=finance["clerk"],
    )
    mail.outbox.clear()

    # The day after it was due: reported to each clerk, with what is still open
    run_command(datetime.date(2026, 5, 2), django_capture_on_commit_callbacks)
    notices = list(overdue_notices())
    assert [notice.recipient.username for notice in notices] == ["karin", "nils"]
    assert {notice.url for notice in notices} == {f"/billing/invoices/{invoice.pk}/"}
    text = notification_text(notices[0].kind, notices[0].params)
    assert text.title == "Invoice OD-1 is overdue"
    assert text.body.startswith("Invoice OD-1 to Customer ")
    assert text.body.endswith(", 20,000.00 SEK open, was due on 2026-05-01.")
    assert sorted(message.to[0] for message in mail.outbox) == [
        "karin@example.com",
        "nils@example.com",
    ]
    assert {message.subject for message in mail.outbox} == {"Invoice OD-1 is overdue"}
    assert not overdue_notices().filter(recipient=finance["approver"]).exists()

    # The next day's run tells nobody anything new
    output = run_command(datetime.date(2026, 5, 3), django_capture_on_commit_callbacks)
    assert output == "0 newly overdue invoices reported.\n"
    assert overdue_notices().count() == 2
    assert len(mail.outbox) == 2


def test_paid_due_today_and_not_yet_due_invoices_are_not_reported(
    finance, django_capture_on_commit_callbacks
):
    paid = posted_e1(finance, prefix="PAID-", invoice_date=datetime.date(2026, 1, 2))
    payments.payment_record(
        customer=paid.customer,
        currency=paid.currency,
        amount=D("27500"),
        paid_on=APRIL_1,
        allocations=[(paid, None)],
        actor=finance["clerk"],
    )
    due_today = posted_e1(finance, prefix="TODAY-", invoice_date=APRIL_1)
    not_yet_due = posted_e1(finance, prefix="LATER-", invoice_date=datetime.date(2026, 4, 20))
    assert (due_today.due_date, not_yet_due.due_date) == (
        datetime.date(2026, 5, 1),
        datetime.date(2026, 5, 20),
    )
    mail.outbox.clear()

    output = run_command(datetime.date(2026, 5, 1), django_capture_on_commit_callbacks)

    assert output == "0 newly overdue invoices reported.\n"
    assert not overdue_notices().exists()
    assert mail.outbox == []


def test_the_output_counts_the_invoices_newly_reported(finance, django_capture_on_commit_callbacks):
    posted_e1(finance, prefix="A-")
    posted_e1(finance, prefix="B-")
    output = run_command(datetime.date(2026, 6, 1), django_capture_on_commit_callbacks)
    assert output == "2 newly overdue invoices reported.\n"
    assert sorted(notice.params["invoice"] for notice in overdue_notices()) == [
        "A-1",
        "A-1",
        "B-1",
        "B-1",
    ]  # each invoice to each of the two clerks

    posted_e1(finance, prefix="C-")
    run_command(datetime.date(2026, 6, 2), django_capture_on_commit_callbacks)
    assert overdue_notices().count() == 6  # only C-1 is new
    assert overdue_notices().filter(params__invoice="C-1").count() == 2


def test_one_invoice_is_reported_in_the_singular(finance, django_capture_on_commit_callbacks):
    posted_e1(finance, prefix="ONE-")
    output = run_command(datetime.date(2026, 6, 1), django_capture_on_commit_callbacks)
    assert output == "1 newly overdue invoice reported.\n"
