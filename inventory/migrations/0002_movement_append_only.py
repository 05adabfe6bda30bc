"""The movement ledger is append-only: the database refuses UPDATE and DELETE of its rows.

(TRUNCATE, used by test database flushes on PostgreSQL, is not a row operation and still works.)
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION inventory_movement_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inventory_stockmovement is append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_movement_append_only
    BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION inventory_movement_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS inventory_movement_append_only ON inventory_stockmovement;
DROP FUNCTION IF EXISTS inventory_movement_append_only();
"""
# SQLite test databases are flushed with DELETE, so only UPDATE is refused there.
SQLITE_UP = """
CREATE TRIGGER inventory_movement_append_only
BEFORE UPDATE ON inventory_stockmovement
BEGIN
    SELECT RAISE(ABORT, 'inventory_stockmovement is append-only (UPDATE refused)');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS inventory_movement_append_only;"


def _run(schema_editor, statements: dict[str, str]) -> None:
    sql = statements.get(schema_editor.connection.vendor)
    if sql:
        # No parameters: the PL/pgSQL `%` placeholder must reach the server as written.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_UP, "sqlite": SQLITE_UP})


def backwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
