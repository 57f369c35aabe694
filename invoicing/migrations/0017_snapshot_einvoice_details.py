"""Document snapshots, version 2 (issue 14, item 1): what an e-invoice needs of the parties and
the contract is frozen at posting too (``invoicing/invoices/snapshots.py``): the seller's
F-tax, registered office, plusgiro and FIK creditor number; the buyer's Peppol endpoint and
default buyer reference; the contract's effective buyer reference (BT-10: the contract's own,
else the invoiced customer's) and order reference (BT-13).

Invoices posted before this migration have a version 1 snapshot. Like 0009's backfill, this
one adds the new keys from the records as they are now (**the best available copy, not
necessarily what was agreed at posting**), written with the historical models and mirroring
``snapshots.py`` at the time of writing. On PostgreSQL the guard refuses the UPDATEs, so the
``invoicing_invoice_final`` trigger is disabled and enabled again inside this migration's
transaction, as 0009 does (the ACCESS EXCLUSIVE lock keeps every other session out meanwhile).

Reversing leaves the snapshots as they are: version 1 readers ignore the extra keys."""

from django.db import migrations

SELLER_EINVOICE_DETAILS = ("f_skatt", "registered_office", "plusgiro", "fik_creditor_number")
BUYER_EINVOICE_DETAILS = ("peppol_scheme", "peppol_identifier", "buyer_reference")


def snapshot_upgraded(snapshot, invoice):
    """A version 1 snapshot with the keys of version 2, from the records as they are now."""
    entity, customer, contract = invoice.legal_entity, invoice.customer, invoice.contract
    return {
        **snapshot,
        "version": 2,
        "seller": {
            **snapshot["seller"],
            **{field: getattr(entity, field) for field in SELLER_EINVOICE_DETAILS},
        },
        "buyer": {
            **snapshot["buyer"],
            **{field: getattr(customer, field) for field in BUYER_EINVOICE_DETAILS},
        },
        "contract": {
            **snapshot["contract"],
            "buyer_reference": contract.buyer_reference or customer.buyer_reference,
            "order_reference": contract.order_reference,
        },
    }


def upgrade(apps, schema_editor):
    Invoice = apps.get_model("invoicing", "Invoice")
    invoices = (
        Invoice.objects.filter(snapshot__version=1)
        .select_related("legal_entity", "customer", "contract")
        .order_by("pk")
    )
    if not invoices.exists():
        return
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE invoicing_invoice DISABLE TRIGGER invoicing_invoice_final", params=None
        )
    for invoice in invoices.iterator(chunk_size=500):
        Invoice.objects.filter(pk=invoice.pk).update(
            snapshot=snapshot_upgraded(invoice.snapshot, invoice)
        )
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE invoicing_invoice ENABLE TRIGGER invoicing_invoice_final", params=None
        )


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0016_closed_transaction_lines_may_lose_their_share"),
        ("contracts", "0013_einvoice_master_data_constraints"),
    ]

    operations = [migrations.RunPython(upgrade, migrations.RunPython.noop)]
