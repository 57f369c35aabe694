"""The top bar's search matches names by trigram similarity on PostgreSQL: install pg_trgm
when the server offers it (``pg_available_extensions``). Elsewhere, or without it, the search
falls back to plain substring matching (``invoicing/search.py``), so this does nothing."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class TrigramExtensionIfAvailable(TrigramExtension):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            if cursor.fetchone() is None:
                return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # Other databases' objects may use the extension: leave it installed.
        return


class Migration(migrations.Migration):
    dependencies = [("contracts", "0016_customer_facturx")]

    operations = [TrigramExtensionIfAvailable()]
