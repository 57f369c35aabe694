"""On PostgreSQL, posted invoices, their lines and VAT can never be changed or deleted: a trigger
refuses it, whatever the code does. Only the payment state of an invoice may change."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION invoicing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Posted invoices are final: % cannot be %.', TG_TABLE_NAME, lower(TG_OP)
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoicing_invoice_only_payment_changes() RETURNS trigger AS $$
BEGIN
    IF (NEW.legal_entity_id, NEW.sequence_number, NEW.number, NEW.document_type, NEW.proposal_id,
        NEW.contract_id, NEW.funding_source_id, NEW.customer_id, NEW.language, NEW.currency,
        NEW.invoice_date, NEW.due_date, NEW.customer_reference, NEW.net_total, NEW.retention_total,
        NEW.vat_total, NEW.gross_total, NEW.credited_invoice_id, NEW.credit_reason, NEW.posted_by_id,
        NEW.posted_at)
       IS DISTINCT FROM
       (OLD.legal_entity_id, OLD.sequence_number, OLD.number, OLD.document_type, OLD.proposal_id,
        OLD.contract_id, OLD.funding_source_id, OLD.customer_id, OLD.language, OLD.currency,
        OLD.invoice_date, OLD.due_date, OLD.customer_reference, OLD.net_total, OLD.retention_total,
        OLD.vat_total, OLD.gross_total, OLD.credited_invoice_id, OLD.credit_reason, OLD.posted_by_id,
        OLD.posted_at) THEN
        RAISE EXCEPTION 'Posted invoice % is final: only its payment state can change.', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_invoice_final BEFORE UPDATE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_only_payment_changes();
CREATE TRIGGER invoicing_invoice_not_deleted BEFORE DELETE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();
CREATE TRIGGER invoicing_invoiceline_final BEFORE UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();
CREATE TRIGGER invoicing_invoicetax_final BEFORE UPDATE OR DELETE ON invoicing_invoicetax
    FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS invoicing_invoice_final ON invoicing_invoice;
DROP TRIGGER IF EXISTS invoicing_invoice_not_deleted ON invoicing_invoice;
DROP TRIGGER IF EXISTS invoicing_invoiceline_final ON invoicing_invoiceline;
DROP TRIGGER IF EXISTS invoicing_invoicetax_final ON invoicing_invoicetax;
DROP FUNCTION IF EXISTS invoicing_invoice_only_payment_changes();
DROP FUNCTION IF EXISTS invoicing_refuse_change();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0004_invoices")]

    operations = [migrations.RunPython(create, drop)]
