"""On PostgreSQL, posted invoices are final whatever SQL is sent: triggers refuse INSERT, UPDATE,
DELETE and TRUNCATE on their lines and VAT, and anything but the payment state on the invoice
(migration 0008). Posting itself, which inserts them in one transaction, still works."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from invoicing.invoices import posting
from invoicing.invoices.models import INVOICE_MUTABLE_FIELDS, Invoice, InvoiceLine, InvoiceTax
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL"
    ),
]
D = Decimal

# Committed posting: the INSERTs below come in a later transaction, as they would in real life
# (inside one test transaction, the posting transaction would still be open).
committed = pytest.mark.django_db(transaction=True)


def refused(sql: str, params=()) -> str:
    """Run ``sql`` in its own transaction and return the database's refusal."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(refusal.value)


def line_insert(invoice) -> tuple[str, tuple]:
    return (
        "INSERT INTO invoicing_invoiceline (invoice_id, line_type, kind, description, quantity, "
        "amount, tax_rate, tax_label) VALUES (%s, 'fee', 'fee', 'Slipped in', 1, 1000, 25, 'SE 25')",
        (invoice.pk,),
    )


@committed
def test_a_line_cannot_be_inserted_into_a_posted_invoice(people):
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    assert "invoicing_invoiceline cannot be inserted" in refused(*line_insert(invoice))
    with pytest.raises(DatabaseError), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=invoice, line_type="fee", description="Slipped in", amount=D("1000"),
            tax_rate=D("25"), tax_label="SE 25",
        )  # fmt: skip
    assert invoice.lines.count() == 2


@committed
def test_vat_cannot_be_inserted_into_a_posted_invoice(people):
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    message = refused(
        "INSERT INTO invoicing_invoicetax (invoice_id, label, rate, base, amount) "
        "VALUES (%s, 'SE 12', 12, 1000, 120)",
        (invoice.pk,),
    )
    assert "invoicing_invoicetax cannot be inserted" in message
    assert invoice.taxes.count() == 1


@committed
def test_tables_of_posted_invoices_cannot_be_truncated(people):
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    assert "cannot be truncated" in refused("TRUNCATE invoicing_invoicetax")
    assert "cannot be truncated" in refused("TRUNCATE invoicing_invoiceline CASCADE")
    assert "cannot be truncated" in refused("TRUNCATE invoicing_invoice CASCADE")
    assert (invoice.lines.count(), invoice.taxes.count(), Invoice.objects.count()) == (2, 1, 1)


@committed
def test_posting_after_posting_still_inserts_lines_and_vat(people):
    """Each posting may write its own invoice's lines, and only while it runs."""
    first = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    second = posting.invoice_post(
        proposal=approved_e1(people, legal_entity=first.legal_entity), actor=people["clerk"]
    )
    assert (second.sequence_number, second.lines.count(), second.taxes.count()) == (2, 2, 1)
    refused(*line_insert(first))
    refused(*line_insert(second))


def test_postings_in_one_outer_transaction_each_write_their_lines(people):
    """Nested atomic blocks (savepoints), as the demo data posts: each invoice gets its lines."""
    with transaction.atomic():
        first = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
        second = posting.invoice_post(
            proposal=approved_e1(people, legal_entity=first.legal_entity), actor=people["clerk"]
        )
    assert [invoice.lines.count() for invoice in (first, second)] == [2, 2]


def test_lines_and_vat_still_cannot_be_updated_or_deleted(people):
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    for sql in (
        "UPDATE invoicing_invoiceline SET amount = 1 WHERE invoice_id = %s",
        "DELETE FROM invoicing_invoiceline WHERE invoice_id = %s",
        "UPDATE invoicing_invoicetax SET amount = 1 WHERE invoice_id = %s",
        "DELETE FROM invoicing_invoicetax WHERE invoice_id = %s",
        "UPDATE invoicing_invoice SET customer_reference = 'changed' WHERE id = %s",
        "UPDATE invoicing_invoice SET gross_total = 1 WHERE id = %s",
        "DELETE FROM invoicing_invoice WHERE id = %s",
    ):
        assert "final" in refused(sql, (invoice.pk,)), sql
    for model in (InvoiceLine, InvoiceTax):
        with pytest.raises(DatabaseError), transaction.atomic():
            model.objects.filter(invoice=invoice).update(amount=D("1"))


def test_a_column_added_to_the_invoice_later_is_final_too(people):
    """The invoice row is compared whole, less the payment state: a new column (a snapshot of
    the parties, say) needs no change to the trigger."""
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks
        cursor.execute("ALTER TABLE invoicing_invoice ADD COLUMN customer_name text")
    assert "final" in refused(
        "UPDATE invoicing_invoice SET customer_name = 'Renamed AB' WHERE id = %s", (invoice.pk,)
    )


def test_the_payment_state_may_still_change(people):
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    changes = {
        "status": "paid",
        "sent_at": "2026-04-02T10:00:00Z",
        "reminded_at": "2026-04-15T10:00:00Z",
    }
    assert set(changes) == set(INVOICE_MUTABLE_FIELDS)
    for field, value in changes.items():
        Invoice.objects.filter(pk=invoice.pk).update(**{field: value})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.reminded_at.day) == ("paid", 15)
