"""The certificate as a landscape A4 PDF (fpdf2), with a QR code to its verification page (segno).

Pure: no Flask, no database. It reads only the fonts bundled next to this module and fetches
nothing: names are printed as plain text with ``cell()`` (never interpreted as HTML or Markdown),
so a name such as ``<img src="file:///etc/passwd">`` is just characters on the page. DejaVu covers
Latin (accented), Greek and Cyrillic; Droid Sans Fallback covers Chinese, Japanese and Korean.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import segno
from fpdf import FPDF

FONTS = Path(__file__).parent / "fonts"
PAGE_WIDTH, PAGE_HEIGHT = 297.0, 210.0  # A4 landscape, mm
MARGIN = 14.0
INK = (33, 37, 41)
ACCENT = (13, 84, 140)
MUTED = (90, 98, 106)


@dataclass(frozen=True)
class CertificateDocument:
    """What the PDF shows (copied from the certificate row)."""

    public_id: str
    name: str
    course_title: str
    version_label: str
    completed_at: datetime
    issuer: str
    verify_url: str
    score: Decimal | None = None
    is_manual: bool = False
    is_revoked: bool = False


STATEMENT = (
    "This certifies completion of an educational course. It is not a professional "
    "qualification, licence or permission to practise."
)


def format_score(score: Decimal) -> str:
    """``87.50`` -> ``87.5``, ``90.00`` -> ``90``."""
    return f"{score:.2f}".rstrip("0").rstrip(".")


@cache
def _qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=10, border=2)
    return out.getvalue()


class _Certificate(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_auto_page_break(auto=False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_font("DejaVuSans", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVuSans", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.add_font("DejaVuSerif", "", FONTS / "DejaVuSerif.ttf")
        self.add_font("DejaVuSerif", "B", FONTS / "DejaVuSerif-Bold.ttf")
        self.add_font("Fallback", "", FONTS / "DroidSansFallback.ttf")
        self.set_fallback_fonts(["Fallback"], exact_match=False)

    def centred(self, text: str, *, font: str, style: str, size: float, height: float) -> None:
        self.set_font(font, style, size)
        # Long names and titles shrink to fit the line rather than overflow the border.
        while size > 10 and self.get_string_width(text) > PAGE_WIDTH - 4 * MARGIN:
            size -= 1
            self.set_font(font, style, size)
        self.set_x(MARGIN)
        self.cell(w=PAGE_WIDTH - 2 * MARGIN, h=height, text=text, align="C")
        self.ln(height)


def render(doc: CertificateDocument) -> bytes:
    """The certificate PDF for ``doc``."""
    pdf = _Certificate()
    pdf.set_title(f"Certificate: {doc.course_title}")
    pdf.set_author(doc.issuer)
    pdf.set_subject(f"Certificate {doc.public_id}")
    pdf.set_creator("LearnApp")
    pdf.set_creation_date(doc.completed_at)
    pdf.add_page()

    # Double border.
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_WIDTH - 16, PAGE_HEIGHT - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, PAGE_WIDTH - 22, PAGE_HEIGHT - 22)

    pdf.set_text_color(*ACCENT)
    pdf.set_y(34)
    pdf.centred(doc.issuer.upper(), font="DejaVuSans", style="B", size=12, height=8)
    pdf.centred("Certificate of Completion", font="DejaVuSerif", style="B", size=30, height=16)
    if doc.is_revoked:
        pdf.set_text_color(176, 0, 32)
        pdf.centred("REVOKED", font="DejaVuSans", style="B", size=16, height=9)
    pdf.set_text_color(*MUTED)
    pdf.ln(8)
    pdf.centred("This is to certify that", font="DejaVuSans", style="", size=12, height=8)
    pdf.set_text_color(*INK)
    pdf.centred(doc.name, font="DejaVuSerif", style="B", size=28, height=16)
    pdf.set_text_color(*MUTED)
    pdf.centred("has completed the course", font="DejaVuSans", style="", size=12, height=8)
    pdf.set_text_color(*INK)
    pdf.centred(doc.course_title, font="DejaVuSerif", style="B", size=20, height=12)

    details = [f"Completed {doc.completed_at:%-d %B %Y}", f"Version {doc.version_label}"]
    if doc.score is not None:
        details.append(f"Score {format_score(doc.score)}%")
    if doc.is_manual:
        details.append("Awarded by the issuer")
    pdf.set_text_color(*MUTED)
    pdf.centred("  ·  ".join(details), font="DejaVuSans", style="", size=11, height=8)

    # Statement, id and verification URL on the left; the QR code on the right.
    qr_size = 34.0
    bottom = PAGE_HEIGHT - 20
    pdf.image(
        io.BytesIO(_qr_png(doc.verify_url)),
        x=PAGE_WIDTH - 22 - qr_size,
        y=bottom - qr_size,
        w=qr_size,
        h=qr_size,
        alt_text="QR code to the verification page",
    )
    text_width = PAGE_WIDTH - 2 * 22 - qr_size - 8
    pdf.set_xy(22, bottom - 30)
    pdf.set_font("DejaVuSans", "", 9)
    pdf.multi_cell(w=text_width, h=5, text=STATEMENT)
    pdf.set_x(22)
    pdf.set_text_color(*INK)
    pdf.cell(w=text_width, h=6, text=f"Certificate id: {doc.public_id}")
    pdf.ln(6)
    pdf.set_x(22)
    pdf.set_text_color(*ACCENT)
    pdf.cell(w=text_width, h=6, text=f"Verify at {doc.verify_url}", link=doc.verify_url)
    return bytes(pdf.output())
