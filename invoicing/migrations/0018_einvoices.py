"""E-invoices (issue 14): the validated UBL bytes of each posted invoice and credit note, and
the outbox's pick-ups.

On PostgreSQL an e-invoice is final like the invoice's lines (0008): the same trigger function
lets an INSERT through only while its invoice is being posted by the current transaction, and
refuses every UPDATE and DELETE; TRUNCATE is refused while any posted invoice exists. A pick-up
(acknowledgement) is only ever inserted: UPDATE and DELETE are refused.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


GUARD_SQL = """
CREATE TRIGGER invoicing_einvoice_final BEFORE INSERT OR UPDATE OR DELETE ON invoicing_einvoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_posted_invoice_part_final();
CREATE TRIGGER invoicing_einvoice_not_truncated BEFORE TRUNCATE ON invoicing_einvoice
    FOR EACH STATEMENT EXECUTE FUNCTION invoicing_refuse_truncate_posted();
CREATE TRIGGER invoicing_einvoiceacknowledgement_final
    BEFORE UPDATE OR DELETE ON invoicing_einvoiceacknowledgement
    FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();
"""

UNGUARD_SQL = """
DROP TRIGGER IF EXISTS invoicing_einvoice_final ON invoicing_einvoice;
DROP TRIGGER IF EXISTS invoicing_einvoice_not_truncated ON invoicing_einvoice;
DROP TRIGGER IF EXISTS invoicing_einvoiceacknowledgement_final
    ON invoicing_einvoiceacknowledgement;
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0017_vat_breakdown_by_category"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EInvoice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "syntax",
                    models.CharField(
                        choices=[("peppol-bis-3-ubl", "Peppol BIS Billing 3.0 (UBL)")],
                        max_length=20,
                        verbose_name="syntax",
                    ),
                ),
                ("xml", models.TextField(verbose_name="XML")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "invoice",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="einvoice",
                        to="invoicing.invoice",
                        verbose_name="invoice",
                    ),
                ),
            ],
            options={
                "verbose_name": "e-invoice",
                "verbose_name_plural": "e-invoices",
                "ordering": ["-pk"],
            },
        ),
        migrations.CreateModel(
            name="EInvoiceAcknowledgement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "acknowledged_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="picked up"),
                ),
                (
                    "message_reference",
                    models.CharField(
                        blank=True,
                        help_text="The access point's id of the message that carried the e-invoice.",
                        max_length=200,
                        verbose_name="message reference",
                    ),
                ),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="picked up by",
                    ),
                ),
                (
                    "einvoice",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="acknowledgement",
                        to="invoicing.einvoice",
                        verbose_name="e-invoice",
                    ),
                ),
            ],
            options={
                "verbose_name": "e-invoice pick-up",
                "verbose_name_plural": "e-invoice pick-ups",
                "ordering": ["-acknowledged_at"],
            },
        ),
        migrations.AddConstraint(
            model_name="einvoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("sha256__regex", "^[0-9a-f]{64}$")), name="einvoice_sha256_hex"
            ),
        ),
        migrations.RunPython(guard, unguard),
    ]
