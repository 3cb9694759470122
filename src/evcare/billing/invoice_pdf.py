"""An invoice as a PDF (fpdf2: pure Python, maintained, no system libraries).

The built-in Helvetica covers Latin-1 only, so text outside it (a name in Devanagari, the
rupee sign) is shown as ``?`` rather than failing; amounts read ``INR 1,234.50``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from evcare.core.money import Money

if TYPE_CHECKING:
    from evcare.billing.invoices import InvoiceView


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _amount(amount_minor: int, currency: str) -> str:
    return f"{currency} {Money(amount_minor, currency).to_major():,}"


def _quantity(quantity_milli: int) -> str:
    return f"{Decimal(quantity_milli).scaleb(-3).normalize():f}"


def render_pdf(view: InvoiceView, *, seller: str) -> bytes:
    invoice = view.invoice
    currency = invoice.currency
    pdf = FPDF(format="A4")
    title = "Credit note" if view.is_credit_note else "Invoice"
    pdf.set_title(_latin1(f"{title} {invoice.number}"))
    pdf.set_author(_latin1(seller))
    pdf.set_creation_date(invoice.created_at)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(0, 10, _latin1(seller), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 11)
    facts = [
        (title, invoice.number),
        ("Date", invoice.created_at.date().isoformat()),
        ("Due", invoice.due_date.isoformat()),
        ("Status", view.status),
        ("Billed to", f"{view.user_name} <{view.user_email}>"),
    ]
    links = view.links
    if links.credited_invoice_number:
        facts.append(("Credits invoice", links.credited_invoice_number))
    if links.credit_note_number:
        facts.append(("Credited by", links.credit_note_number))
    if links.reason:
        facts.append(("Reason", links.reason[:90]))
    if invoice.station_name:
        facts.append(("Station", invoice.station_name))
    for label, value in facts:
        pdf.cell(35, 7, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.cell(0, 7, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    widths = (95, 20, 35, 40)
    pdf.set_font("helvetica", "B", 11)
    for width, title in zip(widths, ("Description", "Qty", "Rate", "Amount"), strict=True):
        pdf.cell(width, 8, title, border="B", align="L" if title == "Description" else "R")
    pdf.ln(8)
    pdf.set_font("helvetica", "", 10)
    for item in view.items:
        cells = (
            _latin1(item.description),
            _quantity(item.quantity_milli),
            _amount(item.rate_minor, currency),
            _amount(item.amount_minor, currency),
        )
        for n, (width, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(width, 7, text, align="L" if n == 0 else "R")
        pdf.ln(7)
    pdf.ln(2)
    pdf.set_font("helvetica", "", 11)
    gst = Decimal(invoice.tax_bp).scaleb(-2).normalize()
    totals = [
        ("Subtotal", invoice.subtotal_minor),
        (f"GST {gst:f} %", invoice.tax_minor),
        ("Total", invoice.total_minor),
    ]
    for label, amount in totals:
        if label == "Total":
            pdf.set_font("helvetica", "B", 12)
        pdf.cell(widths[0] + widths[1] + widths[2], 8, label, align="R")
        pdf.cell(
            widths[3], 8, _amount(amount, currency), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    return bytes(pdf.output())
