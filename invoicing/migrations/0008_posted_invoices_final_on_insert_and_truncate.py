"""On PostgreSQL, the "posted is final" guard of 0005 now covers every statement: INSERT, UPDATE,
DELETE and TRUNCATE on the lines (``invoicing_invoiceline``) and VAT (``invoicing_invoicetax``) of
posted invoices, and UPDATE beyond the payment state, DELETE and TRUNCATE on the invoices.

Posting itself inserts the invoice, then its lines and VAT, in one transaction
(``invoicing/invoices/posting.py``), so lines and VAT may be inserted only **while the invoice
row was inserted by the current transaction**. The rule is kept like this:

- an AFTER INSERT trigger on ``invoicing_invoice`` adds the new invoice's id to a
  transaction-local setting (``set_config('invoicing.invoices_being_posted', ..., true)``);
- a BEFORE INSERT OR UPDATE OR DELETE trigger on the lines and VAT lets an INSERT through only
  when its ``invoice_id`` is in that setting, and refuses every UPDATE and DELETE (as 0005 did).

Why this is correct, also under concurrent posting: the setting belongs to one database session
and, being local, disappears when the transaction commits or rolls back (a rolled-back savepoint
takes its part with it), so it can never outlive the posting, leak to the next transaction of a
pooled connection, or be seen by another session. An invoice becomes visible to others only when
its posting commits, and by then the setting is gone: from that moment, no session can add a
line or VAT row to it. Eight threads posting at once each see only their own invoices; the
triggers take no locks and read no shared rows, so they add no waits and no deadlocks.

Rejected alternatives: comparing the invoice row's ``xmin`` with ``txid_current()`` fails when
posting runs in a savepoint (a nested ``atomic``, as in the demo data and the tests: the row's
xmin is then the subtransaction's id), and would let a line in after any payment-state UPDATE of
an old invoice (the UPDATE gives the row a new xmin); a deferred constraint trigger acts only at
COMMIT, so it would need state of its own to know what to check; a "sealed" column needs a
schema change, one more UPDATE per posting and its own guard, and an invoice inserted unsealed
by hand would stay open. What none of them, nor this, stops is a session that sets the setting
by hand or drops the triggers: the guard protects posted documents from code and from everyday
SQL, not from the database's owner.

The invoice itself: any column outside the payment state (``INVOICE_MUTABLE_FIELDS``: status,
sent_at, paid_amount, paid_at, reminded_at) is compared as JSON of the whole row, so a column
added later (the party snapshot, say) is final without touching this trigger.

TRUNCATE fires no row triggers: a statement-level BEFORE TRUNCATE trigger on the three tables
refuses it while any posted invoice exists. ``manage.py flush`` is refused then too; the test
suite empties those tables with the triggers disabled (``tests/conftest.py``).

SQLite has no such guard; there the services and the read-only admin refuse the changes.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION invoicing_invoice_being_posted() RETURNS trigger AS $$
BEGIN
    PERFORM set_config(
        'invoicing.invoices_being_posted',
        coalesce(nullif(current_setting('invoicing.invoices_being_posted', true), ''), ',')
            || NEW.id || ',',
        true
    );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoicing_posted_invoice_part_final() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND position(
        ',' || NEW.invoice_id || ',' IN
        coalesce(current_setting('invoicing.invoices_being_posted', true), '')
    ) > 0 THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Posted invoices are final: rows of % cannot be %.', TG_TABLE_NAME,
        CASE TG_OP WHEN 'INSERT' THEN 'inserted' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

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

CREATE OR REPLACE FUNCTION invoicing_refuse_truncate_posted() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM invoicing_invoice) THEN
        RAISE EXCEPTION 'Posted invoices are final: % cannot be truncated.', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_invoice_being_posted AFTER INSERT ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_being_posted();

DROP TRIGGER invoicing_invoiceline_final ON invoicing_invoiceline;
CREATE TRIGGER invoicing_invoiceline_final BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoicing_posted_invoice_part_final();
DROP TRIGGER invoicing_invoicetax_final ON invoicing_invoicetax;
CREATE TRIGGER invoicing_invoicetax_final BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoicetax
    FOR EACH ROW EXECUTE FUNCTION invoicing_posted_invoice_part_final();

CREATE TRIGGER invoicing_invoice_not_truncated BEFORE TRUNCATE ON invoicing_invoice
    FOR EACH STATEMENT EXECUTE FUNCTION invoicing_refuse_truncate_posted();
CREATE TRIGGER invoicing_invoiceline_not_truncated BEFORE TRUNCATE ON invoicing_invoiceline
    FOR EACH STATEMENT EXECUTE FUNCTION invoicing_refuse_truncate_posted();
CREATE TRIGGER invoicing_invoicetax_not_truncated BEFORE TRUNCATE ON invoicing_invoicetax
    FOR EACH STATEMENT EXECUTE FUNCTION invoicing_refuse_truncate_posted();
"""

# Back to 0005: UPDATE and DELETE refused, the invoice's final columns listed one by one.
REVERSE = """
DROP TRIGGER IF EXISTS invoicing_invoice_not_truncated ON invoicing_invoice;
DROP TRIGGER IF EXISTS invoicing_invoiceline_not_truncated ON invoicing_invoiceline;
DROP TRIGGER IF EXISTS invoicing_invoicetax_not_truncated ON invoicing_invoicetax;
DROP TRIGGER IF EXISTS invoicing_invoice_being_posted ON invoicing_invoice;

DROP TRIGGER invoicing_invoiceline_final ON invoicing_invoiceline;
CREATE TRIGGER invoicing_invoiceline_final BEFORE UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();
DROP TRIGGER invoicing_invoicetax_final ON invoicing_invoicetax;
CREATE TRIGGER invoicing_invoicetax_final BEFORE UPDATE OR DELETE ON invoicing_invoicetax
    FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();

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

DROP FUNCTION IF EXISTS invoicing_refuse_truncate_posted();
DROP FUNCTION IF EXISTS invoicing_posted_invoice_part_final();
DROP FUNCTION IF EXISTS invoicing_invoice_being_posted();
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that does nothing on other databases (SQLite has no triggers of this kind)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0007_pdf_batches")]

    # One string each, sent whole (not split by sqlparse), as 0005 does.
    operations = [PostgreSQLOnly([FORWARD], reverse_sql=[REVERSE])]
