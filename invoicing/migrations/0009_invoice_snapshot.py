"""The document snapshot (issue 12, item 6): what a posted invoice prints about its parties, its
contract's terms and the progress statement, frozen on the invoice (``Invoice.snapshot``, built by
``invoicing/invoices/snapshots.py`` inside the posting transaction).

Three steps, in this migration's one transaction:

1. The column is added, ``{}`` for the rows already there.
2. On PostgreSQL, the invoice guard of 0008 (``invoicing_invoice_only_payment_changes``) still
   compares the whole row, so the snapshot is final like every other column, with one opening:
   the transaction that inserted the invoice (its id is in the transaction-local
   ``invoicing.invoices_being_posted``, as for its lines and VAT) may write the snapshot once,
   while it is still ``{}``. Posting needs it: the progress statement counts the invoice's own
   lines, which can only be inserted after the invoice. Every other column stays as 0008 keeps
   it, and once the posting commits nobody can write the snapshot again.
3. Invoices posted before this migration get their snapshot from the records as they are now
   (legal entity, customer, contract, funding source, the posted lines). **For those invoices it
   is the best available copy, not necessarily what was printed**: a customer renamed since
   posting is frozen with its new name. The backfill is written here with the historical models
   (it does not call the application's code, which will change), and mirrors ``snapshots.py``
   at the time of writing. The guard would refuse these UPDATEs, so on PostgreSQL the backfill
   disables the ``invoicing_invoice_final`` trigger, writes the snapshots and enables it again,
   all inside this migration's transaction: ``ALTER TABLE ... DISABLE TRIGGER`` holds an ACCESS
   EXCLUSIVE lock on the table until the commit, so no other session can read or write invoices
   while the guard is off, and a failure rolls the disabling back with everything else.

Reversing drops the column and puts 0008's guard back.
"""

from collections import defaultdict
from decimal import Decimal

from django.db import migrations, models
from django.utils import translation

GUARD = """
CREATE OR REPLACE FUNCTION invoicing_invoice_only_payment_changes() RETURNS trigger AS $$
DECLARE
    payment_state CONSTANT text[] := ARRAY['status', 'sent_at', 'paid_amount', 'paid_at',
                                           'reminded_at'];
    exempt text[] := payment_state;
BEGIN
    -- The posting transaction writes the snapshot of the invoice it has just inserted, once.
    IF OLD.snapshot = '{}'::jsonb AND position(
        ',' || OLD.id || ',' IN
        coalesce(current_setting('invoicing.invoices_being_posted', true), '')
    ) > 0 THEN
        exempt := exempt || ARRAY['snapshot'];
    END IF;
    IF (to_jsonb(NEW) - exempt) IS DISTINCT FROM (to_jsonb(OLD) - exempt) THEN
        RAISE EXCEPTION 'Posted invoice % is final: only its payment state can change.', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# 0008's guard: the whole row less the payment state.
GUARD_0008 = """
CREATE OR REPLACE FUNCTION invoicing_invoice_only_payment_changes() RETURNS trigger AS $$
DECLARE
    payment_state CONSTANT text[] := ARRAY['status', 'sent_at', 'paid_amount', 'paid_at',
                                           'reminded_at'];
BEGIN
    IF (to_jsonb(NEW) - payment_state) IS DISTINCT FROM (to_jsonb(OLD) - payment_state) THEN
        RAISE EXCEPTION 'Posted invoice % is final: only its payment state can change.', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

RETENTION_MOVEMENTS = ("retention", "retention_release")


def guard_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def guard_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_0008, params=None)


def _party(record, language, *fields):
    from django_countries import countries

    code = str(getattr(record.country, "code", record.country))
    with translation.override(language):
        country_name = str(countries.name(code))
    return {
        "code": record.code,
        "name": record.name,
        "street": record.street,
        "postal_code": record.postal_code,
        "city": record.city,
        "country": code,
        "country_name": country_name,
        "vat_number": record.vat_number,
        **{field: getattr(record, field) for field in fields},
    }


def _progress(invoice, lines):
    """``snapshots.progress_statement``: billing to date (no retention movements), prepaid
    on account, and the retention ledger's outstanding, up to this invoice."""
    billed = prepaid = Decimal("0")
    ledger = defaultdict(Decimal)
    for line in lines:
        credited_type = line.credited_line.line_type if line.credited_line_id else None
        movement = line.line_type in RETENTION_MOVEMENTS or (
            line.line_type == "credit" and credited_type in RETENTION_MOVEMENTS
        )
        if not movement:
            billed += line.amount
        record = line.transaction
        if line.kind == "on_account" and (
            record is None or (record.billing_rule_id is None and record.milestone_id is None)
        ):
            prepaid += line.amount
        if line.line_type == "retention":
            ledger["withheld"] += -line.amount
        elif line.line_type == "retention_release":
            ledger["released"] += line.amount
        elif line.line_type == "credit" and credited_type == "retention":
            ledger["given_back"] += line.amount
        elif line.line_type == "credit" and credited_type == "retention_release":
            ledger["released"] += line.amount
    value = invoice.contract.contract_value
    figures = {
        "contract_value": value,
        "billed_to_date": billed,
        "retained": ledger["withheld"] - ledger["released"] - ledger["given_back"],
        "prepaid": prepaid,
        "remaining": value - billed,
    }
    return {name: str(Decimal(amount).quantize(Decimal("0.01"))) for name, amount in figures.items()}


def snapshot_of(apps, invoice):
    """The snapshot of one posted invoice, from the records as they are now."""
    Invoice = apps.get_model("invoicing", "Invoice")
    InvoiceLine = apps.get_model("invoicing", "InvoiceLine")
    earlier = Invoice.objects.filter(
        contract_id=invoice.contract_id, funding_source_id=invoice.funding_source_id
    ).filter(models.Q(sequence_number__lte=invoice.sequence_number) | models.Q(pk=invoice.pk))
    lines = InvoiceLine.objects.filter(invoice__in=earlier).select_related(
        "credited_line", "transaction"
    )
    contract = invoice.contract
    source = invoice.funding_source
    credited = invoice.credited_invoice
    terms = contract.payment_terms
    return {
        "version": 1,
        "seller": _party(
            invoice.legal_entity, invoice.language,
            "organization_number", "email", "phone", "bank_name", "iban", "bic", "bankgiro",
        ),  # fmt: skip
        "buyer": _party(invoice.customer, invoice.language, "language", "email"),
        "contract": {
            "code": contract.code,
            "name": contract.name,
            "currency": contract.currency,
            "retention_percent": str(contract.retention_percent),
            "customer_reference": contract.customer_reference,
            "payment_terms": {"code": terms.code, "name": terms.name, "net_days": terms.net_days},
        },
        "funder": {"name": source.name, "invoices_a_customer": source.customer_id is not None},
        "credited_invoice": None
        if credited is None
        else {"number": credited.number, "invoice_date": credited.invoice_date.isoformat()},
        "progress": _progress(invoice, lines),
    }


def backfill(apps, schema_editor):
    Invoice = apps.get_model("invoicing", "Invoice")
    invoices = (
        Invoice.objects.filter(snapshot={})
        .select_related(
            "legal_entity", "customer", "contract__payment_terms", "funding_source",
            "credited_invoice",
        )  # fmt: skip
        .order_by("pk")
    )
    postgresql = schema_editor.connection.vendor == "postgresql"
    if not invoices.exists():
        return
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE invoicing_invoice DISABLE TRIGGER invoicing_invoice_final", params=None
        )
    for invoice in invoices.iterator(chunk_size=500):
        Invoice.objects.filter(pk=invoice.pk).update(snapshot=snapshot_of(apps, invoice))
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE invoicing_invoice ENABLE TRIGGER invoicing_invoice_final", params=None
        )




class Migration(migrations.Migration):
    dependencies = [("invoicing", "0008_posted_invoices_final_on_insert_and_truncate")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="snapshot",
            field=models.JSONField(default=dict, editable=False, verbose_name="document snapshot"),
        ),
        migrations.RunPython(guard_forwards, guard_backwards),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
