"""Pick lists and packing checks: which units to take from which bin for a set of orders, and
a package checked unit by unit (a scan names a SKU or a barcode) before it ships.

Reads only; shipping itself is `orders.services.package_ship`.
"""

import io
from collections import defaultdict
from dataclasses import dataclass, field

from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from catalog.models import Product
from catalog.selectors import stock_parts
from inventory.models import Reservation
from orders.models import Package


@dataclass
class PickRow:
    warehouse: str
    bin: str
    sku: str
    name: str
    barcode: str
    quantity: int
    orders: list[str] = field(default_factory=list)  # the orders' channel:external_id


def pick_rows(order_ids) -> list[PickRow]:
    """What the orders hold in stock (their active reservations), one row per warehouse, bin and
    SKU, in walking order: warehouse, then bin, then SKU. Kits appear as their components,
    which is what is on the shelves. Two queries, whatever the number of orders and lines."""
    reservations = (
        Reservation.objects.filter(order_line__order_id__in=list(order_ids), status="active")
        .select_related("product", "warehouse", "stock_level__location", "order_line__order")
        .order_by("id")
    )
    rows: dict[tuple[str, str, str], PickRow] = {}
    for r in reservations:
        key = (r.warehouse.code, r.stock_level.location.code, r.product.sku)
        row = rows.get(key)
        if row is None:
            row = rows[key] = PickRow(
                warehouse=key[0],
                bin=key[1],
                sku=key[2],
                name=r.product.name,
                barcode=r.product.barcode,
                quantity=0,
            )
        row.quantity += r.quantity
        order = r.order_line.order
        label = f"{order.channel}:{order.external_id}"
        if label not in row.orders:
            row.orders.append(label)
    return [rows[k] for k in sorted(rows)]


def render_pick_list(rows: list[PickRow], title: str) -> bytes:
    """A letter-size PDF: one line per bin and SKU with a Code 128 barcode of what to scan."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, pageCompression=0)
    pdf.setTitle(title)
    height = letter[1]

    def header() -> float:
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(0.6 * inch, height - 0.7 * inch, title)
        pdf.setFont("Helvetica-Bold", 9)
        y = height - inch
        for x, text in ((0.6, "Bin"), (1.6, "Qty"), (2.1, "SKU / name"), (5.0, "Scan")):
            pdf.drawString(x * inch, y, text)
        pdf.setFont("Helvetica", 9)
        return y - 0.45 * inch

    y = header()
    warehouse = None
    for row in rows:
        if y < 0.8 * inch:
            pdf.showPage()
            y = header()
        if row.warehouse != warehouse:
            warehouse = row.warehouse
            pdf.setFont("Helvetica-Bold", 10)
            pdf.drawString(0.6 * inch, y + 0.12 * inch, f"Warehouse {warehouse}")
            pdf.setFont("Helvetica", 9)
            y -= 0.3 * inch
        pdf.drawString(0.6 * inch, y, row.bin)
        pdf.drawString(1.6 * inch, y, str(row.quantity))
        pdf.drawString(2.1 * inch, y, row.sku)
        pdf.drawString(2.1 * inch, y - 11, row.name[:48])
        orders = ", ".join(row.orders)
        pdf.setFont("Helvetica", 7)
        pdf.drawString(2.1 * inch, y - 21, orders[:80])
        pdf.setFont("Helvetica", 9)
        code128.Code128(row.barcode or row.sku, barHeight=0.3 * inch, barWidth=0.9).drawOn(
            pdf, 4.9 * inch, y - 12
        )
        y -= 0.55 * inch
    if not rows:
        pdf.drawString(0.6 * inch, y, "Nothing to pick: no stock is held for these orders.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- packing ------------------------------------------------------------------------------------
@dataclass
class Expected:
    product: Product
    units: int
    scanned: int = 0

    @property
    def done(self) -> bool:
        return self.scanned >= self.units


class ScanRefused(Exception):
    pass


def expected_units(package: Package) -> dict[int, Expected]:
    """product id → the units of it the package holds (kit lines as their components)."""
    lines = list(package.lines.select_related("order_line__product"))
    parts = stock_parts([pl.order_line.product for pl in lines])
    units: dict[int, int] = defaultdict(int)
    for pl in lines:
        for product_id, per in parts[pl.order_line.product_id]:
            units[product_id] += pl.quantity * per
    products = Product.objects.in_bulk(list(units))
    return {pid: Expected(products[pid], n) for pid, n in sorted(units.items())}


def apply_scans(expected: dict[int, Expected], scanned: dict) -> dict[int, Expected]:
    for pid, item in expected.items():
        item.scanned = min(int(scanned.get(str(pid), 0)), item.units)
    return expected


def scan(expected: dict[int, Expected], code: str) -> Expected:
    """Count one unit for the product `code` names (its SKU, any case, or its barcode).
    ScanRefused, with the reason, for a product not in the package or already complete."""
    code = code.strip()
    if not code:
        raise ScanRefused("Scan or type a SKU or barcode.")
    for item in expected.values():
        product = item.product
        if code.upper() == product.sku.upper() or (product.barcode and code == product.barcode):
            if item.done:
                raise ScanRefused(
                    f"All {item.units} unit(s) of {product.sku} are scanned already: put that "
                    "one back."
                )
            item.scanned += 1
            return item
    raise ScanRefused(f"{code} is not in this package: put it back.")


def all_scanned(expected: dict[int, Expected]) -> bool:
    return bool(expected) and all(item.done for item in expected.values())
