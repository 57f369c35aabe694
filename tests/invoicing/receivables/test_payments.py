"""The receivables ledger: payments and their refusals, reversals, credit notes settling the
invoice they correct, customer credit applied or refunded, reminders only for what is open."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from funding.models import FundingSource
from invoicing.dashboard import dashboard
from invoicing.invoices import credits, posting
from invoicing.invoices.models import InvoiceStatus
from invoicing.receivables import payments, reminders, selectors
from invoicing.receivables.models import CreditApplication, Payment, PaymentAllocation
from tests.factories import ExchangeRateFactory
from tests.invoicing.invoices.test_credits import approve_and_post
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
JAN_1 = datetime.date(2026, 1, 1)
FEB_1 = datetime.date(2026, 2, 1)


def post(people, *, on=JAN_1, customer=None, **contract_fields):
    """Another E1 invoice (27,500.00), of ``customer`` when given."""
    if customer is not None:
        contract_fields["customer"] = customer
    proposal = approved_e1(people, **contract_fields)
    if customer is not None:
        FundingSource.objects.filter(pk=proposal.funding_source_id).update(customer=customer)
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=on)


@pytest.fixture
def invoice(people):
    """E1: 27,500.00 gross (22,000 net, 25 % VAT), dated 2026-01-01, due 2026-01-31."""
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = "INV-"
    entity.save()
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=JAN_1)


def pay(invoice, people, amount, *, on=FEB_1, allocations=None, **extra):
    return payments.payment_record(
        customer=invoice.customer,
        currency=invoice.currency,
        amount=D(amount),
        paid_on=on,
        allocations=[(invoice, None)] if allocations is None else allocations,
        method="bankgiro",
        reference="OCR 1234",
        actor=people["clerk"],
        **extra,
    )


def state(invoice):
    annotated = selectors.invoice_with_payment_state(invoice)
    return annotated.status, annotated.payment_state, annotated.open_amount


def credit_note(invoice, people, net="3610"):
    """A credit note of part of the hours line: -3,610 net, -4,512.50 gross."""
    hours_line = invoice.lines.get(line_type="transaction")
    proposal = credits.credit_proposal_create(
        invoice=invoice,
        amounts={hours_line.pk: D(net)},
        reason="Warranty work",
        rebill=False,
        actor=people["clerk"],
    )
    return approve_and_post(proposal, people)


def test_posted_sent_partly_paid_then_paid(invoice, people):
    clerk = people["clerk"]
    invoice = payments.invoice_mark_sent(invoice=invoice, actor=clerk)
    assert invoice.status == InvoiceStatus.SENT and invoice.sent_at
    payment = pay(invoice, people, "7500")
    assert (payment.paid_on, payment.method, payment.reference) == (FEB_1, "bankgiro", "OCR 1234")
    assert state(invoice) == (InvoiceStatus.SENT, "partly_paid", D("20000.00"))
    assert selectors.invoice_open_amount(invoice) == D("20000.00")
    pay(invoice, people, "20000", on=datetime.date(2026, 2, 5))
    assert state(invoice) == (InvoiceStatus.PAID, "paid", D("0.00"))
    assert list(selectors.receivables()) == []


@pytest.mark.parametrize(
    ("amount", "on", "message"),
    [
        ("0", FEB_1, "more than zero"),
        ("-5", FEB_1, "more than zero"),
        ("27500.01", FEB_1, "more than the 27,500.00 still open; keep the surplus"),
        ("100", datetime.date(2025, 12, 31), "before the date of invoice INV-1"),
        ("100", datetime.date(2099, 1, 1), "cannot be dated in the future"),
    ],
)
def test_bad_payments_are_refused_and_leave_nothing(invoice, people, amount, on, message):
    with pytest.raises(payments.PaymentRefused, match=message):
        pay(invoice, people, amount, on=on)
    assert not Payment.objects.exists()
    assert selectors.invoice_open_amount(invoice) == D("27500.00")


def test_payment_for_another_customer_or_currency_or_a_credit_note_is_refused(invoice, people):
    other = post(people)
    with pytest.raises(payments.PaymentRefused, match="is not this customer's"):
        pay(invoice, people, "100", allocations=[(invoice, None), (other, D("10"))])
    ExchangeRateFactory(currency="EUR", quote_currency="SEK", rate_date=JAN_1)  # posting needs it
    euro = post(people, customer=invoice.customer, currency="EUR")
    with pytest.raises(payments.PaymentRefused, match="is in EUR, not SEK"):
        pay(invoice, people, "100", allocations=[(euro, None)])
    note = credit_note(invoice, people)
    with pytest.raises(payments.PaymentRefused, match="not on credit notes"):
        pay(invoice, people, "100", allocations=[(note, None)], on=datetime.date(2026, 4, 20))
    with pytest.raises(payments.PaymentRefused, match="more than the 22,987.50 still open on it"):
        pay(invoice, people, "30000", allocations=[(invoice, D("23000"))])
    assert not Payment.objects.exists()


def test_one_payment_for_two_invoices_and_the_surplus_kept_as_credit(invoice, people):
    second = post(people, customer=invoice.customer, legal_entity=invoice.legal_entity)
    payment = pay(
        invoice,
        people,
        "30000",
        allocations=[(invoice, None), (second, D("2000"))],
        keep_surplus_as_credit=True,
    )
    assert sorted(payment.allocations.values_list("amount", flat=True)) == [
        D("2000.00"),
        D("27500.00"),
    ]
    assert state(invoice)[1:] == ("paid", D("0.00"))
    assert state(second)[1:] == ("partly_paid", D("25500.00"))
    customer = invoice.customer
    assert selectors.customer_credit_available(customer, "SEK") == D("500.00")
    assert selectors.customer_balance(customer, "SEK") == D("25000.00")  # 25,500 - 500


def test_without_allocations_the_invoice_due_first_is_paid_first(invoice, people):
    later = post(
        people,
        customer=invoice.customer,
        legal_entity=invoice.legal_entity,
        on=datetime.date(2026, 1, 10),
    )
    payments.payment_record(
        customer=invoice.customer,
        currency="SEK",
        amount=D("30000"),
        paid_on=FEB_1,
        allocations=None,
        method="bank_transfer",
        reference="",
        actor=people["clerk"],
    )
    assert (state(invoice)[2], state(later)[2]) == (D("0.00"), D("25000.00"))


def test_reversal_restores_the_open_amount_and_is_a_record(invoice, people):
    invoice = payments.invoice_mark_sent(invoice=invoice, actor=people["clerk"])
    payment = pay(invoice, people, "27500")
    assert state(invoice)[:2] == (InvoiceStatus.PAID, "paid")
    with pytest.raises(payments.PaymentRefused, match="reason"):
        payments.payment_reverse(payment=payment, reason=" ", actor=people["clerk"])
    reversal = payments.payment_reverse(
        payment=payment, reason="Bank returned it", actor=people["clerk"]
    )
    assert (reversal.amount, reversal.reverses, reversal.note) == (
        D("-27500.00"),
        payment,
        "Bank returned it",
    )
    assert state(invoice) == (InvoiceStatus.SENT, "open", D("27500.00"))
    payment.refresh_from_db()
    assert payment.amount == D("27500.00")  # the payment itself is never changed
    with pytest.raises(payments.PaymentRefused, match="already reversed"):
        payments.payment_reverse(payment=payment, reason="Again", actor=people["clerk"])
    with pytest.raises(payments.PaymentRefused, match="cannot itself be reversed"):
        payments.payment_reverse(payment=reversal, reason="Undo", actor=people["clerk"])


def test_a_surplus_already_spent_cannot_be_reversed(invoice, people):
    payment = pay(invoice, people, "28000", keep_surplus_as_credit=True)
    payments.customer_credit_refund(
        customer=invoice.customer, currency="SEK", amount=D("300"), actor=people["clerk"]
    )
    with pytest.raises(payments.PaymentRefused, match="only 200.00 of that credit is left"):
        payments.payment_reverse(payment=payment, reason="Wrong", actor=people["clerk"])


def test_credit_note_settles_the_invoice_it_corrects(invoice, people):
    """The reported case: 27,500 invoice, credit note -4,512.50, the customer pays the net."""
    note = credit_note(invoice, people)
    assert note.gross_total == D("-4512.50")
    [application] = CreditApplication.objects.all()
    assert (application.invoice, application.credit_note, application.amount) == (
        invoice,
        note,
        D("4512.50"),
    )
    assert state(invoice)[1:] == ("partly_paid", D("22987.50"))
    pay(invoice, people, "22987.50", on=datetime.date(2026, 4, 20))
    assert state(invoice) == (InvoiceStatus.PAID, "paid", D("0.00"))
    assert state(note)[1:] == ("settled", D("0.00"))
    assert list(selectors.overdue()) == []
    assert dashboard(user=people["clerk"])["receivables"] == []
    assert selectors.customer_balance(invoice.customer, "SEK") == D("0.00")
    assert selectors.customer_credit_available(invoice.customer, "SEK") == D("0.00")


def test_credit_on_a_paid_invoice_becomes_customer_credit_then_applied_and_refunded(
    invoice, people
):
    pay(invoice, people, "27500")
    note = credit_note(invoice, people)
    assert not CreditApplication.objects.exists()
    customer, clerk = invoice.customer, people["clerk"]
    assert selectors.customer_credit_available(customer, "SEK") == D("4512.50")
    assert selectors.customer_balance(customer, "SEK") == D("-4512.50")
    second = post(people, customer=customer, legal_entity=invoice.legal_entity)
    with pytest.raises(payments.PaymentRefused, match="4,512.50 SEK of credit; 5,000.00 is more"):
        payments.customer_credit_apply(
            customer=customer, currency="SEK", invoice=second, amount=D("5000"), actor=clerk
        )
    payments.customer_credit_apply(
        customer=customer, currency="SEK", invoice=second, amount=D("4000"), actor=clerk
    )
    assert state(second)[1:] == ("partly_paid", D("23500.00"))
    with pytest.raises(payments.PaymentRefused, match="512.50 SEK of credit"):
        payments.customer_credit_refund(
            customer=customer, currency="SEK", amount=D("600"), actor=clerk
        )
    payments.customer_credit_refund(
        customer=customer, currency="SEK", amount=D("512.50"), actor=clerk, reference="Refund 1"
    )
    assert selectors.customer_credit_available(customer, "SEK") == D("0.00")
    assert selectors.customer_balance(customer, "SEK") == D("23500.00")
    with pytest.raises(payments.PaymentRefused, match="has nothing open"):
        payments.customer_credit_apply(
            customer=customer, currency="SEK", invoice=invoice, actor=clerk
        )
    assert note.credit_settlements.count() == 0


def test_reminders_only_for_what_is_open(
    invoice, people, client, django_capture_on_commit_callbacks
):
    customer = invoice.customer
    customer.email = "ap@customer.example"
    customer.save()
    assert selectors.invoice_with_payment_state(invoice).is_overdue  # due 2026-01-31
    assert list(selectors.overdue()) == [invoice]
    with django_capture_on_commit_callbacks(execute=True):  # reminders go through a task
        sent, problems = reminders.overdue_reminders_send(actor=people["clerk"])
    assert (sent, problems) == (1, [])
    assert "INV-1" in mail.outbox[0].subject
    assert "27 500,00" in mail.outbox[0].body.replace("\xa0", " ")  # Swedish customer
    client.force_login(people["clerk"])
    html = client.get(reverse("invoicing:receivables") + "?overdue=1").content.decode()
    assert "INV-1" in html and "Overdue" in html
    credit_note(invoice, people)
    pay(invoice, people, "20000", on=datetime.date(2026, 4, 20))
    [reminded] = selectors.overdue()
    assert reminded.open_amount == D("2987.50")
    with django_capture_on_commit_callbacks(execute=True):
        reminders.invoice_reminder_send(invoice=invoice, actor=people["clerk"])
    assert "2 987,50" in mail.outbox[-1].body.replace("\xa0", " ")
    pay(invoice, people, "2987.50", on=datetime.date(2026, 4, 21))
    assert list(selectors.overdue()) == []
    with pytest.raises(payments.PaymentRefused, match="not overdue"):
        reminders.invoice_reminder_send(invoice=invoice, actor=people["clerk"])


def test_reminder_needs_an_email_address(invoice, people):
    with pytest.raises(payments.PaymentRefused, match="no invoice e-mail"):
        reminders.invoice_reminder_send(invoice=invoice, actor=people["clerk"])


def test_payment_and_reversal_from_the_invoice_page(client, invoice, people):
    client.force_login(people["clerk"])
    url = reverse("invoicing:invoice_payment", args=[invoice.pk])
    client.post(
        url,
        {
            "operation": "payment",
            "amount": "1,000.50",
            "paid_on": "2026-02-01",
            "method": "plusgiro",
            "reference": "FIK 77",
        },
    )
    [payment] = Payment.objects.all()
    assert (payment.amount, payment.method, payment.reference) == (
        D("1000.50"),
        "plusgiro",
        "FIK 77",
    )
    response = client.post(
        url, {"operation": "payment", "amount": "abc", "paid_on": "2026-02-01"}, follow=True
    )
    assert "Enter the amount paid as a number, for example 1,234.50" in response.content.decode()
    response = client.post(
        url,
        {"operation": "payment", "amount": "30000", "paid_on": "2026-02-01", "method": "cash"},
        follow=True,
    )
    assert "keep the surplus as customer credit" in response.content.decode()
    page = client.get(invoice.get_absolute_url()).content.decode()
    assert "FIK 77" in page and "Reverse" in page and "26,499.50" in page
    client.post(
        reverse("invoicing:payment_reverse", args=[payment.pk]),
        {"reason": "Wrong customer", "next": invoice.get_absolute_url()},
    )
    assert selectors.invoice_open_amount(invoice) == D("27500.00")
    assert Payment.objects.get(reverses=payment).note == "Wrong customer"


def test_read_only_cannot_record_payments(client, invoice, user_with_role):
    client.force_login(user_with_role("read_only"))
    response = client.post(
        reverse("invoicing:invoice_payment", args=[invoice.pk]), {"operation": "sent"}
    )
    assert response.status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL")
def test_the_ledger_cannot_be_edited_or_deleted_in_the_database(invoice, people):
    payment = pay(invoice, people, "1000")
    for statement in (
        "UPDATE invoicing_payment SET amount = 1 WHERE id = %s",
        "DELETE FROM invoicing_payment WHERE id = %s",
        "UPDATE invoicing_paymentallocation SET amount = 1 WHERE payment_id = %s",
        "DELETE FROM invoicing_paymentallocation WHERE payment_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="ledger is final"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, (payment.pk,))
    assert PaymentAllocation.objects.get(payment=payment).amount == D("1000.00")


def test_a_reversed_payment_lets_the_credit_note_settle_its_invoice_again(invoice, people):
    """Paid in full, then a credit note of -4,512.50: the invoice had nothing open, so the
    credit became customer credit. The payment is then reversed (it bounced): the invoice is
    open again and its own credit note settles it, so it shows 22,987.50 open, not 27,500.00
    with 4,512.50 of credit lying beside it (found by the billing-cycle state machine)."""
    payment = pay(invoice, people, "27500")
    credit_note(invoice, people)
    assert selectors.customer_credit_available(invoice.customer, "SEK") == D("4512.50")

    payments.payment_reverse(payment=payment, reason="Bounced", actor=people["clerk"])

    assert selectors.invoice_open_amount(invoice) == D("22987.50")
    assert selectors.customer_credit_available(invoice.customer, "SEK") == D("0.00")
    assert selectors.customer_balance(invoice.customer, "SEK") == D("22987.50")
    assert state(invoice)[1] == "partly_paid"


def test_receivables_and_proposals_export_as_workbooks(client, invoice, people):
    import io

    import openpyxl

    client.force_login(people["clerk"])
    response = client.get(reverse("invoicing:receivables_export"), {"format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "Number" and rows[0][-1] == "Open"
    assert rows[1][0] == invoice.number and rows[1][-1] == float(invoice.gross_total)
    response = client.get(reverse("invoicing:proposal_export"), {"format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][-1] == "Net amount" and len(rows) >= 2
