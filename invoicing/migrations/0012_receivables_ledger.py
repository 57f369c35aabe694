"""The receivables ledger: payments, their allocations, credit applications and refunds
replace ``Invoice.paid_amount`` and ``paid_at`` (DOMAIN.md section 11).

Each invoice's ``paid_amount`` becomes one payment (dated ``paid_at``, or the invoice date when
unknown) allocated to it; each credit note then settles the invoice it corrects for as much as
is still open there (the rest is customer credit), and invoices with nothing open are marked
paid. On PostgreSQL a trigger refuses UPDATE and DELETE on the four ledger tables: a payment is
corrected by a reversing payment, never edited or deleted (the pattern of migration 0008).
"""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FORWARD = """
CREATE OR REPLACE FUNCTION invoicing_receivables_final() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The receivables ledger is final: rows of % cannot be %; record a reversal.',
        TG_TABLE_NAME, CASE TG_OP WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_payment_final BEFORE UPDATE OR DELETE ON invoicing_payment
    FOR EACH ROW EXECUTE FUNCTION invoicing_receivables_final();
CREATE TRIGGER invoicing_paymentallocation_final BEFORE UPDATE OR DELETE
    ON invoicing_paymentallocation FOR EACH ROW EXECUTE FUNCTION invoicing_receivables_final();
CREATE TRIGGER invoicing_creditapplication_final BEFORE UPDATE OR DELETE
    ON invoicing_creditapplication FOR EACH ROW EXECUTE FUNCTION invoicing_receivables_final();
CREATE TRIGGER invoicing_customerrefund_final BEFORE UPDATE OR DELETE ON invoicing_customerrefund
    FOR EACH ROW EXECUTE FUNCTION invoicing_receivables_final();
"""

REVERSE = """
DROP TRIGGER IF EXISTS invoicing_payment_final ON invoicing_payment;
DROP TRIGGER IF EXISTS invoicing_paymentallocation_final ON invoicing_paymentallocation;
DROP TRIGGER IF EXISTS invoicing_creditapplication_final ON invoicing_creditapplication;
DROP TRIGGER IF EXISTS invoicing_customerrefund_final ON invoicing_customerrefund;
DROP FUNCTION IF EXISTS invoicing_receivables_final();
"""


def payments_from_paid_amounts(apps, schema_editor):
    Invoice = apps.get_model("invoicing", "Invoice")
    Payment = apps.get_model("invoicing", "Payment")
    PaymentAllocation = apps.get_model("invoicing", "PaymentAllocation")
    CreditApplication = apps.get_model("invoicing", "CreditApplication")
    settled: dict[int, Decimal] = {}
    for invoice in Invoice.objects.filter(document_type="invoice", paid_amount__gt=0).order_by(
        "pk"
    ):
        payment = Payment.objects.create(
            customer_id=invoice.customer_id,
            currency=invoice.currency,
            paid_on=invoice.paid_at or invoice.invoice_date,
            amount=invoice.paid_amount,
            note="Recorded before payments were kept one by one.",
            recorded_by_id=invoice.posted_by_id,
        )
        PaymentAllocation.objects.create(
            payment=payment, invoice=invoice, amount=invoice.paid_amount
        )
        settled[invoice.pk] = invoice.paid_amount
    credit_notes = (
        Invoice.objects.filter(document_type="credit_note", credited_invoice__isnull=False)
        .select_related("credited_invoice")
        .order_by("invoice_date", "pk")
    )
    for credit_note in credit_notes:
        invoice = credit_note.credited_invoice
        if (
            invoice.customer_id != credit_note.customer_id
            or invoice.currency != credit_note.currency
        ):
            continue
        open_amount = invoice.gross_total - settled.get(invoice.pk, Decimal("0"))
        amount = min(-credit_note.gross_total, open_amount)
        if amount > 0:
            CreditApplication.objects.create(
                customer_id=credit_note.customer_id,
                currency=credit_note.currency,
                invoice=invoice,
                credit_note=credit_note,
                applied_on=credit_note.invoice_date,
                amount=amount,
                recorded_by_id=credit_note.posted_by_id,
            )
            settled[invoice.pk] = settled.get(invoice.pk, Decimal("0")) + amount
    for invoice in Invoice.objects.filter(pk__in=list(settled), document_type="invoice"):
        if invoice.gross_total - settled[invoice.pk] <= 0 and invoice.status != "paid":
            Invoice.objects.filter(pk=invoice.pk).update(status="paid")


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that does nothing on other databases (as in 0008)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0009_collaboration_moves_out"),
        ("invoicing", "0011_job_heartbeats"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Payment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3, verbose_name="currency")),
                ("paid_on", models.DateField(verbose_name="payment date")),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount"),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("bank_transfer", "Bank transfer"),
                            ("bankgiro", "Bankgiro"),
                            ("plusgiro", "Plusgiro"),
                            ("card", "Card"),
                            ("cash", "Cash"),
                            ("other", "Other"),
                        ],
                        default="bank_transfer",
                        max_length=20,
                        verbose_name="method",
                    ),
                ),
                (
                    "reference",
                    models.CharField(blank=True, max_length=100, verbose_name="reference"),
                ),
                ("payer", models.CharField(blank=True, max_length=200, verbose_name="payer")),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded")),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="contracts.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "reverses",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reversal",
                        to="invoicing.payment",
                        verbose_name="reverses",
                    ),
                ),
            ],
            options={
                "verbose_name": "payment",
                "verbose_name_plural": "payments",
                "ordering": ["-paid_on", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="PaymentAllocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount"),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payment_allocations",
                        to="invoicing.invoice",
                        verbose_name="invoice",
                    ),
                ),
                (
                    "payment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocations",
                        to="invoicing.payment",
                        verbose_name="payment",
                    ),
                ),
            ],
            options={
                "verbose_name": "payment allocation",
                "verbose_name_plural": "payment allocations",
                "ordering": ["payment", "pk"],
            },
        ),
        migrations.CreateModel(
            name="CreditApplication",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3, verbose_name="currency")),
                ("applied_on", models.DateField(verbose_name="date")),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount"),
                ),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded")),
                (
                    "credit_note",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_settlements",
                        to="invoicing.invoice",
                        verbose_name="credit note",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_applications",
                        to="contracts.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_applications",
                        to="invoicing.invoice",
                        verbose_name="invoice",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "credit application",
                "verbose_name_plural": "credit applications",
                "ordering": ["-applied_on", "-pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("amount__gt", 0)), name="credit_application_positive"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="CustomerRefund",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3, verbose_name="currency")),
                ("refunded_on", models.DateField(verbose_name="refund date")),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount"),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("bank_transfer", "Bank transfer"),
                            ("bankgiro", "Bankgiro"),
                            ("plusgiro", "Plusgiro"),
                            ("card", "Card"),
                            ("cash", "Cash"),
                            ("other", "Other"),
                        ],
                        default="bank_transfer",
                        max_length=20,
                        verbose_name="method",
                    ),
                ),
                (
                    "reference",
                    models.CharField(blank=True, max_length=100, verbose_name="reference"),
                ),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded")),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="refunds",
                        to="contracts.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "refund",
                "verbose_name_plural": "refunds",
                "ordering": ["-refunded_on", "-pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("amount__gt", 0)), name="customer_refund_positive"
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("amount__gt", 0), ("reverses__isnull", True)),
                    models.Q(("amount__lt", 0), ("reverses__isnull", False)),
                    _connector="OR",
                ),
                name="payment_sign_matches_reversal",
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentallocation",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount", 0), _negated=True), name="payment_allocation_not_zero"
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentallocation",
            constraint=models.UniqueConstraint(
                fields=("payment", "invoice"), name="payment_allocation_once_per_invoice"
            ),
        ),
        migrations.RunPython(payments_from_paid_amounts, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="invoice",
            name="paid_amount",
        ),
        migrations.RemoveField(
            model_name="invoice",
            name="paid_at",
        ),
        PostgreSQLOnly([FORWARD], reverse_sql=[REVERSE]),
    ]
