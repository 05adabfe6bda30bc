"""Model building blocks shared by every app."""

import re
from functools import partial

from django.db import models

from vectis.ids import new_public_id


class PublicIdField(models.CharField):
    """A prefixed, non-sequential, URL-safe id (`wh_…`) generated on creation."""

    def __init__(self, prefix: str = "", *args, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        if prefix:
            kwargs["default"] = partial(new_public_id, prefix)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("default", None)
        kwargs["prefix"] = self.prefix
        if not self._unique:  # __init__ defaults to unique; a unique constraint may stand in
            kwargs["unique"] = False
        return name, path, args, kwargs


class EncryptedTextField(models.TextField):
    """Text encrypted at rest (vectis.crypto); reads give the plaintext back. Not for lookups:
    encryption is randomised, so an exact filter never matches. `dumpdata` writes plaintext."""

    def from_db_value(self, value, expression, connection):
        from vectis import crypto

        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value):
        from vectis import crypto

        value = super().get_prep_value(value)
        if not value or crypto.is_encrypted(value):
            return value
        return crypto.encrypt(value)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


# Below this many rows one multi-row INSERT is fewer statements than nextval + COPY.
COPY_MIN_ROWS = 100


def bulk_insert(model, objs: list, columns: list[str], row) -> list:
    """Insert new `objs` of `model` and set their primary keys, in as few statements as the
    backend allows: on PostgreSQL, from COPY_MIN_ROWS rows, one `nextval` call reserves the ids
    and one COPY writes the rows (`row(obj)` gives the values of `columns` in order, JSON
    columns as JSON text, auto_now fields set by the caller); otherwise `bulk_create`. Sends
    no signals, like bulk_create."""
    from django.db import connections, router

    if not objs:
        return objs
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        return model.objects.using(alias).bulk_create(objs, batch_size=500)
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in ["id", *columns])
    sql = f"COPY {table} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(objs)],
        )
        ids = sorted(r[0] for r in cursor.fetchall())

        def copy_rows(sql, params, many, context):
            with cursor.cursor.copy(sql) as copy:
                for obj, pk in zip(objs, ids, strict=True):
                    copy.write_row((pk, *row(obj)))

        # Through the connection's execute wrappers, as any statement: they see the COPY.
        run = copy_rows
        for wrapper in reversed(connection.execute_wrappers):
            run = partial(wrapper, run)
        run(sql, None, False, {"connection": connection, "cursor": cursor})
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, alias
    return objs


def update_rows(model, rows: list[dict], *, match: tuple[str, ...], also: dict | None = None):
    """Update rows of `model`, each to its own values: `rows` are dicts of column (attname)
    to value, `match` names the columns that pick the row (a row whose match no longer holds
    is left alone), `also` sets the same value on every row. On PostgreSQL one
    `UPDATE … FROM (VALUES …)`; elsewhere one UPDATE per row. Returns the rows updated."""
    from django.db import connections, router

    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    also = also or {}
    names = list(rows[0])
    setting = [name for name in names if name not in match]
    if connection.vendor != "postgresql":
        updated = 0
        for row in rows:
            updated += model.objects.filter(**{name: row[name] for name in match}).update(
                **{name: row[name] for name in setting}, **also
            )
        return updated
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    casts = [re.sub(r"\(.*\)", "", field.db_type(connection)) for field in fields]
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    params = [
        field.get_db_prep_save(row[field.attname], connection) for row in rows for field in fields
    ]
    also_sql, also_params = [], []
    for name, value in also.items():
        field = model._meta.get_field(name)
        also_sql.append(f"{quote(field.column)} = %s")
        also_params.append(field.get_db_prep_save(value, connection))
    assignments = ", ".join(
        [f"{quote(model._meta.get_field(n).column)} = v.{quote(n)}" for n in setting] + also_sql
    )
    condition = " AND ".join(
        f"t.{quote(model._meta.get_field(n).column)} = v.{quote(n)}" for n in match
    )
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments}"  # noqa: S608 (the model's own names; values bound)
        f" FROM (VALUES {', '.join([row_sql] * len(rows))})"
        f" AS v({', '.join(quote(n) for n in names)}) WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, also_params + params)
        return cursor.rowcount
