"""Migration 0012 turns each invoice's running ``paid_amount`` into a payment record and lets
the credit notes posted before settle the invoices they correct."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from invoicing.invoices.models import Invoice, InvoiceStatus
from invoicing.receivables import selectors
from invoicing.receivables.models import CreditApplication, Payment
from tests.invoicing.receivables.test_payments import credit_note, post
from tests.markers import landed_migration_round_trip

D = Decimal


@landed_migration_round_trip
@pytest.mark.django_db(transaction=True)
def test_paid_amounts_become_payments_and_credit_notes_settle(people):
    credited = post(people)
    note = credit_note(credited, people)  # -4,512.50, posted 2026-04-15
    paid = post(people, customer=credited.customer, legal_entity=credited.legal_entity)
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("invoicing", "0011_job_heartbeats")])
    with connection.cursor() as cursor:  # the payment state as it was kept before
        cursor.execute(
            "UPDATE invoicing_invoice SET paid_amount = %s, paid_at = %s WHERE id = %s",
            [D("22987.50"), datetime.date(2026, 4, 20), credited.pk],
        )
        cursor.execute(
            "UPDATE invoicing_invoice SET paid_amount = %s, status = 'paid' WHERE id = %s",
            [D("27500.00"), paid.pk],
        )
    MigrationExecutor(connection).migrate(leaves)

    payments = {payment.allocations.get().invoice_id: payment for payment in Payment.objects.all()}
    assert (payments[credited.pk].amount, payments[credited.pk].paid_on) == (
        D("22987.50"),
        datetime.date(2026, 4, 20),
    )
    assert (payments[paid.pk].amount, payments[paid.pk].paid_on) == (
        D("27500.00"),
        paid.invoice_date,
    )
    [application] = CreditApplication.objects.all()
    assert (application.invoice_id, application.credit_note_id, application.amount) == (
        credited.pk,
        note.pk,
        D("4512.50"),
    )
    for invoice in (credited, paid):
        assert selectors.invoice_open_amount(invoice) == 0
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert selectors.customer_balance(credited.customer, "SEK") == 0
