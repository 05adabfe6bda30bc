"""Channel SKU aliases account-wide: upsert up to 1,000 (channel, alias) → product mappings in
one transaction of a constant number of statements."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from catalog.models import Product, SkuAlias
from catalog.services.products import DuplicateAlias

CREATED, UPDATED, UNCHANGED, ERROR = "created", "updated", "unchanged", "error"


@dataclass
class AliasRow:
    index: int
    channel: str
    alias: str
    product: Product


@dataclass
class AliasOutcome:
    index: int
    status: str  # created | updated | unchanged | error
    channel: str | None = None
    alias: str | None = None
    mapping: SkuAlias | None = None
    error: dict | None = field(default=None)


def aliases_bulk_upsert(*, account, rows: list[AliasRow]) -> list[AliasOutcome]:
    """Map each (channel, alias) to its row's product: a new alias is created, one mapped to
    another product is moved to this one (updated), one already mapped to it is unchanged. A
    pair repeated in the batch is an error for the later row."""
    outcomes, seen, unique = [], set(), []
    for row in rows:
        key = (row.channel, row.alias)
        if key in seen:
            outcomes.append(
                AliasOutcome(
                    row.index,
                    ERROR,
                    row.channel,
                    row.alias,
                    error={
                        "code": "duplicate_alias",
                        "message": "This channel and alias are repeated in this batch.",
                        "field": "alias",
                    },
                )
            )
            continue
        seen.add(key)
        unique.append(row)
    with transaction.atomic():
        existing = {
            (a.channel, a.alias): a
            for a in SkuAlias.objects.select_for_update()
            .filter(account=account, channel__in={r.channel for r in unique})
            .filter(alias__in={r.alias for r in unique})
            .order_by("pk")
        }
        new, moved = [], []
        for row in unique:
            mapping = existing.get((row.channel, row.alias))
            if mapping is None:
                mapping = SkuAlias(
                    account=account, product=row.product, channel=row.channel, alias=row.alias
                )
                new.append(mapping)
                status = CREATED
            elif mapping.product_id != row.product.pk:
                mapping.product = row.product
                moved.append(mapping)
                status = UPDATED
            else:
                mapping.product = row.product
                status = UNCHANGED
            outcomes.append(AliasOutcome(row.index, status, row.channel, row.alias, mapping))
        try:
            with transaction.atomic():
                SkuAlias.objects.bulk_create(new, batch_size=1000)
        except IntegrityError as exc:
            raise DuplicateAlias(
                "An alias of this batch was created by a concurrent request; send the batch again.",
                field="alias",
            ) from exc
        if moved:
            SkuAlias.objects.bulk_update(moved, ["product"], batch_size=1000)
    return sorted(outcomes, key=lambda o: o.index)
