"""The certificate as a landscape A4 PDF (fpdf2), with a QR code to its verification page (segno).

Pure: no Flask, no database. It reads only the fonts bundled next to this module and fetches
nothing: names are printed as plain text with ``cell()`` (never interpreted as HTML or Markdown),
so a name such as ``<img src="file:///etc/passwd">`` is just characters on the page.

The wording and the date are in the recipient's language (``CertificateDocument.locale``), read
from the interface's catalogs whoever downloads it: it is their document. The name and the
course title are printed as written.

Names in every script: DejaVu covers Latin (accented), Greek and Cyrillic; Noto covers Arabic,
Hebrew, Devanagari and Thai; Droid Sans Fallback covers Chinese, Japanese and Korean. fpdf2 picks
the first font with a glyph for each character and shapes the text with HarfBuzz (joined Arabic
letters, Devanagari conjuncts, Thai marks), laying right-to-left runs out from the right. A
character no bundled font has is printed as U+FFFD with a line saying so, never as a blank.

Text extraction from these PDFs (copying the name, search) returns the characters in order, but
an extractor may return Arabic presentation forms (NFKC gives the letters back) and puts the
letters of a ligature (lam-alef, "Allah") in the order it applies to the rest of the right-to-left
run, that is reversed.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import segno
from babel.dates import format_date
from babel.numbers import format_percent
from fontTools.ttLib import TTFont
from fpdf import FPDF

from learnapp.translation import N_, translator

FONTS = Path(__file__).parent / "fonts"
PAGE_WIDTH, PAGE_HEIGHT = 297.0, 210.0  # A4 landscape, mm
MARGIN = 14.0
INK = (33, 37, 41)
ACCENT = (13, 84, 140)
MUTED = (90, 98, 106)
#: For characters the line's own font lacks, in order: the other DejaVu family, then fonts for
#: scripts DejaVu does not cover. The Noto fonts are the Bold (what names and titles are printed
#: in) of the serif designs, to match DejaVu Serif; Naskh is Noto's serif style for Arabic.
FALLBACK_FONTS = {
    "DejaVuSerif": "DejaVuSerif-Bold.ttf",
    "DejaVuSans": "DejaVuSans-Bold.ttf",
    "NotoNaskhArabic": "NotoNaskhArabic-Bold.ttf",
    "NotoSerifHebrew": "NotoSerifHebrew-Bold.ttf",
    "NotoSerifDevanagari": "NotoSerifDevanagari-Bold.ttf",
    "NotoSerifThai": "NotoSerifThai-Bold.ttf",
    "DroidSansFallback": "DroidSansFallback.ttf",  # Chinese, Japanese, Korean
}
#: What a character no bundled font has is printed as.
MISSING = "\ufffd"
MISSING_NOTE = N_(
    "Characters shown as \ufffd cannot be printed here; the verification page shows them."
)


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
    #: The recipient's interface language (``es``): the PDF's wording and date format.
    locale: str = "en"


STATEMENT = N_(
    "This certifies completion of an educational course. It is not a professional "
    "qualification, licence or permission to practise."
)


def format_score(score: Decimal) -> str:
    """``87.50`` -> ``87.5``, ``90.00`` -> ``90``."""
    return f"{score:.2f}".rstrip("0").rstrip(".")


@cache
def _covered() -> frozenset[int]:
    """Every code point some bundled font has a glyph for."""
    covered: set[int] = set()
    for path in FONTS.glob("*.ttf"):
        with TTFont(path, lazy=True) as font:
            covered.update(font.getBestCmap())
    return frozenset(covered)


def _needs_no_glyph(char: str) -> bool:
    """Spaces, joiners, direction marks and variation selectors: shaping consumes them."""
    return char.isspace() or unicodedata.category(char) == "Cf" or "\ufe00" <= char <= "\ufe0f"


def printable(text: str) -> str:
    """``text`` with each character no bundled font has replaced by :data:`MISSING`."""
    covered = _covered()
    return "".join(
        char if ord(char) in covered or _needs_no_glyph(char) else MISSING for char in text
    )


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
        for family, file in FALLBACK_FONTS.items():
            if not family.startswith("DejaVu"):
                style = "" if family == "DroidSansFallback" else "B"
                self.add_font(family, style, FONTS / file)
        # A regular line may fall back to a bold font: better than no glyph at all.
        self.set_fallback_fonts(list(FALLBACK_FONTS), exact_match=False)
        self.set_text_shaping(True)

    def centred(self, text: str, *, font: str, style: str, size: float, height: float) -> None:
        self.set_font(font, style, size)
        # Long names and titles shrink to fit the line rather than overflow the border.
        while size > 10 and self.get_string_width(text) > PAGE_WIDTH - 4 * MARGIN:
            size -= 1
            self.set_font(font, style, size)
        self.set_x(MARGIN)
        self.cell(w=PAGE_WIDTH - 2 * MARGIN, h=height, text=text, align="C")
        self.ln(height)


def format_percent_score(score: Decimal, locale: str) -> str:
    """``87.5%`` (en), ``87,5 %`` (es): the score as :func:`format_score` writes it."""
    amount = Decimal(format_score(score)) / 100
    return format_percent(amount, locale=locale, decimal_quantization=False)


def render(doc: CertificateDocument) -> bytes:
    """The certificate PDF for ``doc``, worded in ``doc.locale``."""
    _ = translator(doc.locale)
    pdf = _Certificate()
    pdf.set_title(_("Certificate: %(title)s", title=doc.course_title))
    pdf.set_author(doc.issuer)
    pdf.set_subject(_("Certificate %(id)s", id=doc.public_id))
    pdf.set_creator("LearnApp")
    pdf.set_creation_date(doc.completed_at)
    pdf.add_page()

    # Double border.
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_WIDTH - 16, PAGE_HEIGHT - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, PAGE_WIDTH - 22, PAGE_HEIGHT - 22)

    issuer, name, course_title = (
        printable(doc.issuer.upper()),
        printable(doc.name),
        printable(doc.course_title),
    )
    pdf.set_text_color(*ACCENT)
    pdf.set_y(34)
    pdf.centred(issuer, font="DejaVuSans", style="B", size=12, height=8)
    pdf.centred(_("Certificate of Completion"), font="DejaVuSerif", style="B", size=30, height=16)
    if doc.is_revoked:
        pdf.set_text_color(176, 0, 32)
        pdf.centred(_("REVOKED"), font="DejaVuSans", style="B", size=16, height=9)
    pdf.set_text_color(*MUTED)
    pdf.ln(8)
    pdf.centred(_("This is to certify that"), font="DejaVuSans", style="", size=12, height=8)
    pdf.set_text_color(*INK)
    pdf.centred(name, font="DejaVuSerif", style="B", size=28, height=16)
    pdf.set_text_color(*MUTED)
    pdf.centred(_("has completed the course"), font="DejaVuSans", style="", size=12, height=8)
    pdf.set_text_color(*INK)
    pdf.centred(course_title, font="DejaVuSerif", style="B", size=20, height=12)

    day = format_date(doc.completed_at, "long", locale=doc.locale)
    details = [_("Completed %(day)s", day=day), _("Version %(version)s", version=doc.version_label)]
    if doc.score is not None:
        details.append(_("Score %(score)s", score=format_percent_score(doc.score, doc.locale)))
    if doc.is_manual:
        details.append(_("Awarded by the issuer"))
    pdf.set_text_color(*MUTED)
    details_line = printable("  ·  ".join(details))
    pdf.centred(details_line, font="DejaVuSans", style="", size=11, height=8)
    if MISSING in issuer + name + course_title + details_line:
        pdf.centred(_(MISSING_NOTE), font="DejaVuSans", style="", size=9, height=6)

    # Statement, id and verification URL on the left; the QR code on the right.
    qr_size = 34.0
    bottom = PAGE_HEIGHT - 20
    pdf.image(
        io.BytesIO(_qr_png(doc.verify_url)),
        x=PAGE_WIDTH - 22 - qr_size,
        y=bottom - qr_size,
        w=qr_size,
        h=qr_size,
        alt_text=_("QR code to the verification page"),
    )
    text_width = PAGE_WIDTH - 2 * 22 - qr_size - 8
    pdf.set_xy(22, bottom - 30)
    pdf.set_font("DejaVuSans", "", 9)
    pdf.multi_cell(w=text_width, h=5, text=_(STATEMENT))
    pdf.set_x(22)
    pdf.set_text_color(*INK)
    pdf.cell(w=text_width, h=6, text=_("Certificate id: %(id)s", id=doc.public_id))
    pdf.ln(6)
    pdf.set_x(22)
    pdf.set_text_color(*ACCENT)
    pdf.cell(
        w=text_width, h=6, text=_("Verify at %(url)s", url=doc.verify_url), link=doc.verify_url
    )
    return bytes(pdf.output())
