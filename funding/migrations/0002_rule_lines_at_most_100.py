"""On PostgreSQL, a deferred constraint trigger refuses a rule whose lines add up to more
than 100 %. (SQLite relies on the service check; a CHECK constraint cannot sum rows.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION funding_rule_lines_at_most_100() RETURNS trigger AS $$
DECLARE
    total numeric;
BEGIN
    SELECT COALESCE(SUM(percentage), 0) INTO total
      FROM funding_fundingruleline WHERE rule_id = NEW.rule_id;
    IF total > 100 THEN
        RAISE EXCEPTION 'The allocation lines of funding rule % add up to % %%, more than 100 %%.',
            NEW.rule_id, total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER funding_rule_lines_at_most_100
    AFTER INSERT OR UPDATE ON funding_fundingruleline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION funding_rule_lines_at_most_100();
"""

DROP = """
DROP TRIGGER IF EXISTS funding_rule_lines_at_most_100 ON funding_fundingruleline;
DROP FUNCTION IF EXISTS funding_rule_lines_at_most_100();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("funding", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
