"""Trigram indexes of the columns the top bar's search reads (``invoicing/search.py``), so it
finds a name among a million rows without reading them all: GIN ``gin_trgm_ops`` on
``UPPER(column)``, the expression both ``icontains`` (``UPPER(col) LIKE UPPER(...)``) and the
search's ``%>`` similarity test use. Only on PostgreSQL with pg_trgm installed (``contracts``
``0017_search_trigram`` installs it where the server offers it); elsewhere the search falls
back to substring matching and this does nothing. The indexes are not in the models' Meta:
SQLite cannot build them. The search also finds an invoice by its net or gross total: plain
indexes of those two (in ``Invoice.Meta``, on every database) let PostgreSQL answer the whole
``OR`` from indexes instead of reading every invoice."""

from django.db import migrations, models

#: (table, column): the codes and names ``search.search`` matches.
SEARCHED_COLUMNS = [
    ("invoicing_invoice", "number"),
    ("contracts_customer", "code"),
    ("contracts_customer", "name"),
    ("contracts_projectcontract", "code"),
    ("contracts_projectcontract", "name"),
    ("contracts_projectcontract", "customer_reference"),
    ("contracts_projectcontract", "order_reference"),
    ("contracts_project", "code"),
    ("contracts_project", "name"),
]


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"


FORWARD = [
    f"CREATE INDEX IF NOT EXISTS {index_name(table, column)} ON {table} "
    f"USING gin (UPPER({column}) gin_trgm_ops)"
    for table, column in SEARCHED_COLUMNS
]
REVERSE = [
    f"DROP INDEX IF EXISTS {index_name(table, column)}" for table, column in SEARCHED_COLUMNS
]


class PostgreSQLWithTrigramsOnly(migrations.RunSQL):
    """RunSQL that does nothing but on PostgreSQL with pg_trgm installed (as 0008 for the
    vendor, as ``contracts`` 0017 for the extension)."""

    def _applies(self, schema_editor) -> bool:
        if schema_editor.connection.vendor != "postgresql":
            return False
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            return cursor.fetchone() is not None

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0029_proposal_line_originals"),
        ("contracts", "0017_search_trigram"),
    ]

    operations = [
        PostgreSQLWithTrigramsOnly(FORWARD, reverse_sql=REVERSE),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["gross_total"], name="invoice_gross_total_idx"),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["net_total"], name="invoice_net_total_idx"),
        ),
    ]
