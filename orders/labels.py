"""4x6 inch shipping labels (PDF, ZPL II, PNG) and packing slips, drawn from one layout.

The Code 128 barcode is drawn bar by bar from reportlab's encoder, so every format carries the
same symbol.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from orders.models import Label, Package
from vectis.errors import NotFound

PAGE = (4 * inch, 6 * inch)  # 288 x 432 points
DPI = 203  # the usual thermal printer: 812 x 1218 dots


@dataclass
class LabelContent:
    package_id: str
    order_ref: str
    ship_from: list[str]
    ship_to: list[str]
    service: str
    weight: str
    tracking_number: str
    lines: list[str]


def address_lines(address: dict) -> list[str]:
    """An address as printed: name, company, street lines, city/state/postcode, country."""
    city = ", ".join(p for p in (address.get("city"), address.get("state")) if p)
    return [
        line
        for line in (
            address.get("name", ""),
            address.get("company", ""),
            address.get("address1", ""),
            address.get("address2", ""),
            f"{city} {address.get('postal_code', '')}".strip(),
            address.get("country", ""),
        )
        if line
    ]


def content_for(package: Package, label: Label) -> LabelContent:
    order, warehouse = package.order, package.warehouse
    ship_from = address_lines({"name": warehouse.name, **warehouse.address})
    weight = f"{package.weight.normalize():f} {package.weight_unit}" if package.weight else "—"
    return LabelContent(
        package_id=package.public_id,
        order_ref=f"{order.channel} {order.external_id}",
        ship_from=ship_from,
        ship_to=address_lines(order.ship_to),
        service=" ".join(p for p in (label.carrier.upper(), label.service) if p),
        weight=weight,
        tracking_number=label.tracking_number,
        lines=[
            f"{pl.quantity} x {pl.order_line.sku}"
            for pl in package.lines.select_related("order_line").order_by("id")
        ],
    )


def bar_pattern(value: str) -> list[tuple[bool, int]]:
    """Code 128 as (is_bar, width in modules), quiet zones excluded."""
    symbol = code128.Code128(value)
    symbol.validate()
    symbol.encode()
    return [(ch.isupper(), ord(ch.upper()) - ord("A") + 1) for ch in symbol.decompose()]


# --- PDF -----------------------------------------------------------------------------------------
def _draw_pdf_label(pdf: canvas.Canvas, content: LabelContent) -> None:
    width, height = PAGE
    margin = 0.15 * inch
    y = height - margin - 8
    pdf.setFont("Helvetica", 7)
    pdf.drawString(margin, y, "FROM:")
    for line in content.ship_from:
        y -= 9
        pdf.drawString(margin, y, line)
    y -= 18
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(margin, y, "SHIP TO:")
    pdf.setFont("Helvetica-Bold", 12)
    for line in content.ship_to:
        y -= 15
        pdf.drawString(margin + 10, y, line)
    y -= 12
    pdf.line(margin, y, width - margin, y)
    y -= 16
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(margin, y, content.service or "SHIPMENT")
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(width - margin, y, f"Weight: {content.weight}")
    # barcode, centred, 0.9 inch tall
    pattern = bar_pattern(content.tracking_number)
    modules = sum(w for _, w in pattern)
    module = min(1.2, (width - 2 * margin) / modules)
    x = (width - modules * module) / 2
    bar_bottom = y - 12 - 0.9 * inch
    for is_bar, w in pattern:
        if is_bar:
            pdf.rect(x, bar_bottom, w * module, 0.9 * inch, stroke=0, fill=1)
        x += w * module
    y = bar_bottom - 14
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawCentredString(width / 2, y, content.tracking_number)
    y -= 12
    pdf.line(margin, y, width - margin, y)
    y -= 12
    pdf.setFont("Helvetica", 8)
    pdf.drawString(margin, y, f"Order: {content.order_ref}   Package: {content.package_id}")
    for line in content.lines[:12]:
        y -= 10
        pdf.drawString(margin, y, line)
    if len(content.lines) > 12:
        pdf.drawString(margin, y - 10, f"… and {len(content.lines) - 12} more lines")


def render_pdf(contents: list[LabelContent]) -> bytes:
    """One 4x6 page per label."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE, pageCompression=0)
    pdf.setTitle("Shipping labels")
    for content in contents:
        _draw_pdf_label(pdf, content)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- ZPL -----------------------------------------------------------------------------------------
def _zpl_text(value: str) -> str:
    # ^ and ~ are ZPL command prefixes; ^FH lets _XX hex escapes stand for them
    return value.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def render_zpl(content: LabelContent) -> str:
    """ZPL II for a 4x6 label at 203 dpi."""
    out = ["^XA", "^CI28", "^PW812", "^LL1218", "^LH0,0"]
    y = 30

    def text(x: int, size: int, value: str) -> None:
        nonlocal y
        out.append(f"^FO{x},{y}^A0N,{size},{size}^FH^FD{_zpl_text(value)}^FS")
        y += size + 6

    text(30, 22, "FROM:")
    for line in content.ship_from:
        text(30, 22, line)
    y += 20
    text(30, 28, "SHIP TO:")
    for line in content.ship_to:
        text(50, 36, line)
    y += 10
    out.append(f"^FO30,{y}^GB752,3,3^FS")
    y += 20
    text(30, 40, content.service or "SHIPMENT")
    text(30, 24, f"Weight: {content.weight}")
    modules = sum(w for _, w in bar_pattern(content.tracking_number))
    module = max(1, min(3, 752 // modules))
    x = (812 - modules * module) // 2
    out.append(f"^FO{x},{y}^BY{module}^BCN,180,Y,N,N^FH^FD{_zpl_text(content.tracking_number)}^FS")
    y += 240
    out.append(f"^FO30,{y}^GB752,3,3^FS")
    y += 20
    text(30, 24, f"Order: {content.order_ref}  Package: {content.package_id}")
    for line in content.lines[:12]:
        text(30, 24, line)
    if len(content.lines) > 12:
        text(30, 24, f"... and {len(content.lines) - 12} more lines")
    out.append("^XZ")
    return "\n".join(out) + "\n"


# --- PNG -----------------------------------------------------------------------------------------
def render_png(content: LabelContent) -> bytes:
    """A 812 x 1218 (4x6 at 203 dpi) black-and-white image."""
    image = Image.new("1", (4 * DPI, 6 * DPI), 1)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=22)
    big = ImageFont.load_default(size=34)
    y = 30
    for value, face in (
        ("FROM:", font),
        *((line, font) for line in content.ship_from),
        ("", font),
        ("SHIP TO:", big),
        *((line, big) for line in content.ship_to),
        ("", font),
        (content.service or "SHIPMENT", big),
        (f"Weight: {content.weight}", font),
    ):
        draw.text((30, y), value, fill=0, font=face)
        y += face.size + 8
    pattern = bar_pattern(content.tracking_number)
    modules = sum(w for _, w in pattern)
    module = max(1, min(4, (4 * DPI - 60) // modules))
    x = (4 * DPI - modules * module) // 2
    for is_bar, w in pattern:
        if is_bar:
            draw.rectangle([x, y + 10, x + w * module - 1, y + 190], fill=0)
        x += w * module
    y += 200
    draw.text((30, y), content.tracking_number, fill=0, font=big)
    y += 50
    draw.text((30, y), f"Order: {content.order_ref}  Package: {content.package_id}", 0, font)
    for line in content.lines[:12]:
        y += 30
        draw.text((30, y), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


# --- packing slip --------------------------------------------------------------------------------
def render_packing_slip(order, packages: list[Package]) -> bytes:
    """A letter-size PDF: the order, then each package with its lines."""
    return render_packing_slips([(order, packages)])


def render_packing_slips(slips) -> bytes:
    """One PDF, a page (or more) per (order, packages) in `slips`."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, pageCompression=0)
    for order, packages in slips:
        _draw_packing_slip(pdf, order, packages)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_packing_slip(pdf: canvas.Canvas, order, packages: list[Package]) -> None:
    height = letter[1]
    y = height - inch
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(inch, y, f"Packing slip — {order.channel} {order.external_id}")
    pdf.setFont("Helvetica", 10)
    y -= 20
    pdf.drawString(inch, y, f"Order {order.public_id}")
    for line in address_lines(order.ship_to):
        y -= 14
        pdf.drawString(inch, y, line)
    for package in packages:
        y -= 28
        if y < inch:
            pdf.showPage()
            y = height - inch
        pdf.setFont("Helvetica-Bold", 11)
        status = f"{package.status}" + (
            f", tracking {package.tracking_number}" if package.tracking_number else ""
        )
        pdf.drawString(
            inch, y, f"Package {package.public_id} from {package.warehouse.code} ({status})"
        )
        pdf.setFont("Helvetica", 10)
        for pl in package.lines.select_related("order_line__product").order_by("id"):
            y -= 14
            if y < inch:
                pdf.showPage()
                y = height - inch
            name = pl.order_line.product.name
            pdf.drawString(inch + 12, y, f"{pl.quantity} x {pl.order_line.sku}  {name}")


# --- documents for the API ---------------------------------------------------------------------
class LabelNotFound(NotFound):
    code = "label_not_found"
    default_message = "This package has no label (not shipped yet, voided, or shipped manually)."


@dataclass
class Document:
    body: bytes
    content_type: str
    filename: str


def current_label(package: Package) -> Label | None:
    return package.labels.filter(voided_at__isnull=True).order_by("-id").first()


def label_document(package: Package, fmt: str) -> Document:
    """The package's current label as pdf, zpl or png."""
    label = current_label(package)
    if label is None or package.status not in (
        Package.SHIPPED,
        Package.IN_TRANSIT,
        Package.DELIVERED,
    ):
        raise LabelNotFound(field="id")
    if not label.rendered:
        if label.document and fmt == "pdf" and label.content_type == "application/pdf":
            return Document(bytes(label.document), label.content_type, f"{package.public_id}.pdf")
        raise LabelNotFound(
            f"The {label.carrier} label exists only as the carrier issued it.", field="format"
        )
    content = content_for(package, label)
    if fmt == "zpl":
        body = render_zpl(content).encode()
        return Document(body, "text/plain; charset=utf-8", f"{package.public_id}.zpl")
    if fmt == "png":
        return Document(render_png(content), "image/png", f"{package.public_id}.png")
    return Document(render_pdf([content]), "application/pdf", f"{package.public_id}.pdf")


def return_label_content(ret) -> LabelContent:
    """A return label: from the customer back to the receiving warehouse."""
    warehouse = ret.warehouse
    return LabelContent(
        package_id=ret.rma_number,
        order_ref=f"{ret.order.channel} {ret.order.external_id}",
        ship_from=address_lines(ret.order.ship_to),
        ship_to=address_lines({"name": f"{warehouse.name} - Returns", **warehouse.address}),
        service=f"{ret.label_carrier.upper()} RETURN",
        weight="—",
        tracking_number=ret.label_tracking_number,
        lines=[
            f"{line.quantity} x {line.order_line.sku}"
            for line in ret.lines.select_related("order_line").order_by("id")
        ],
    )
