"""The certificate PDF: the record, a QR code to the verification URL, no file or URL access."""

from __future__ import annotations

import io
import sys
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from learnapp.certificates import pdf

URL = "https://learn.example/certificates/Zq3k9vX2bYp0LmN4sT7wQa"


def document(**changes) -> pdf.CertificateDocument:
    values = {
        "public_id": "Zq3k9vX2bYp0LmN4sT7wQa",
        "name": "Zoë Ångström",
        "course_title": "Neuromuscular Therapy: Principles, Techniques and History",
        "version_label": "1.0",
        "completed_at": datetime(2026, 12, 1, tzinfo=UTC),
        "issuer": "LearnApp",
        "verify_url": URL,
        "score": Decimal("87.50"),
    } | changes
    return pdf.CertificateDocument(**values)


def text_of(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    return page.extract_text()


def test_the_pdf_shows_the_record_and_the_statement():
    text = text_of(pdf.render(document()))
    for expected in (
        "Certificate of Completion",
        "Zoë Ångström",
        "Neuromuscular Therapy: Principles, Techniques and History",
        "Completed December 1, 2026",
        "Version 1.0",
        "Score 87.5%",
        "Zq3k9vX2bYp0LmN4sT7wQa",
        URL,
        "not a professional",
    ):
        assert expected in text


def test_a_spanish_recipient_gets_the_spanish_wording_and_date():
    text = text_of(pdf.render(document(locale="es", is_manual=True)))
    for expected in (
        "Certificado de finalización",
        "Se certifica que",
        "ha completado el curso",
        "Completado el 1 de diciembre de 2026",
        "Versión 1.0",
        "Puntuación 87,5\u00a0%",
        "Concedido por el emisor",
        "Identificador del certificado: Zq3k9vX2bYp0LmN4sT7wQa",
        "No es una titulación profesional",
        # Name and course title stay as written.
        "Zoë Ångström",
        "Neuromuscular Therapy: Principles, Techniques and History",
    ):
        assert expected in text, expected
    for english in ("Certificate of Completion", "has completed", "December", "Score"):
        assert english not in text


def test_a_spanish_revoked_certificate_says_so_in_spanish():
    assert "REVOCADO" in text_of(pdf.render(document(locale="es", is_revoked=True)))


def test_a_locale_without_a_catalog_prints_english():
    text = text_of(pdf.render(document(locale="en")))
    assert "Certificate of Completion" in text
    assert "Completed December 1, 2026" in text


def test_the_qr_code_holds_the_verification_url():
    reader = pypdf.PdfReader(io.BytesIO(pdf.render(document())))
    images = reader.pages[0].images
    assert len(images) == 1
    picture = Image.open(io.BytesIO(images[0].data))
    decoded = zxingcpp.read_barcodes(picture)
    assert [code.text for code in decoded] == [URL]


NAMES = {
    "Latin with accents": "Zoë Ångström-Núñez",
    "Vietnamese": "Nguyễn Thị Minh Khai",
    "Greek": "Ελένη Παπαδοπούλου",
    "Cyrillic": "Пётр Ильич Чайковский",
    "Chinese": "王小明",
    "Japanese": "山田 はなこ",
    "Korean": "김민준",
    "Arabic": "سارة محمد",
    "Persian (with a zero-width non-joiner)": "محمد\u200cرضا",  # noqa: RUF001
    "Hebrew": "דוד כהן",
    "Devanagari": "अनुष्का शर्मा",
    "Thai": "สมชาย ใจดี",
}
RIGHT_TO_LEFT = {"Arabic", "Persian (with a zero-width non-joiner)", "Hebrew"}


def comparable(text: str) -> str:
    """Extractors may return Arabic presentation forms (NFKC maps them back to the letters) and
    drop invisible characters such as the zero-width non-joiner (format characters, "Cf")."""
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n"))
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def logical_text(data: bytes) -> str:
    """The page's text in reading order: PDFium runs the Unicode bidi algorithm over what it
    extracts, so a right-to-left name laid out the wrong way round comes back reversed.
    (pypdf returns right-to-left words in the order they stand on the page.)"""
    document = pypdfium2.PdfDocument(data)
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def picture(data: bytes) -> bytes:
    """The page as 30 dpi greyscale pixels."""
    document = pypdfium2.PdfDocument(data)
    try:
        bitmap = document[0].render(scale=30 / 72, grayscale=True)
        return bytes(bitmap.to_pil().tobytes())
    finally:
        document.close()


@cache
def without_a_name() -> bytes:
    return picture(pdf.render(document(name="")))


@pytest.mark.parametrize("script", list(NAMES))
def test_names_in_every_script_print_in_reading_order(script):
    name = NAMES[script]
    data = pdf.render(document(name=name))
    text = logical_text(data) if script in RIGHT_TO_LEFT else text_of(data)
    assert comparable(name) in comparable(text)
    assert picture(data) != without_a_name()  # glyphs, not a blank


def test_right_to_left_words_stand_right_to_left():
    data = pdf.render(document(name="דוד כהן"))
    document_ = pypdfium2.PdfDocument(data)
    try:
        page = document_[0].get_textpage()
        boxes = {page.get_text_range(i, 1): page.get_charbox(i) for i in range(page.count_chars())}
    finally:
        document_.close()
    # The first word's first letter (ד of דוד) is right of the second word's (כ of כהן).
    assert boxes["ד"][0] > boxes["כ"][0]


def test_a_character_no_font_has_prints_as_a_visible_replacement():
    """Adlam (a West African script) is in none of the bundled fonts: rather than an empty
    space where the name should be, the certificate prints U+FFFD for each missing letter and
    says why; the verification page, in the reader's browser, shows the name itself."""
    name = "Ada \U0001e900\U0001e923\U0001e922 Lovelace"
    data = pdf.render(document(name=name))
    text = text_of(data)
    assert "Ada \ufffd\ufffd\ufffd Lovelace" in text
    assert "cannot be printed here" in text
    assert picture(data) != picture(pdf.render(document(name="Ada  Lovelace")))
    assert "cannot be printed here" not in text_of(pdf.render(document(name="Ada Lovelace")))


def test_a_name_all_in_a_missing_script_is_not_blank():
    data = pdf.render(document(name="\U0001e900\U0001e923\U0001e922\U0001e925"))
    assert "\ufffd" * 4 in text_of(data)
    assert picture(data) != without_a_name()


@pytest.mark.parametrize("char", ["\u200d", "\u200c", "\u200f", "\ufe0f", " "])
def test_joiners_marks_and_spaces_are_no_missing_characters(char):
    assert pdf.printable(f"a{char}b") == f"a{char}b"


def test_markup_in_a_name_prints_as_text_and_reads_no_file():
    name = '<img src="file:///etc/passwd"> <link href="http://169.254.169.254/latest/meta-data">'
    opened: list[str] = []
    connected: list[object] = []

    def audit(event: str, args: tuple) -> None:
        if watching and event == "open" and isinstance(args[0], str | bytes | Path):
            opened.append(str(args[0]))
        elif watching and event == "socket.connect":
            connected.append(args)

    watching = False
    sys.addaudithook(audit)
    watching = True
    try:
        data = pdf.render(document(name=name, verify_url=URL + "x"))
    finally:
        watching = False
    text = text_of(data)
    assert '<img src="file:///etc/passwd">' in text
    assert "root:" not in text
    assert not connected
    fonts = str(pdf.FONTS)
    assert opened, "the audit hook saw no file open (fonts are read from disk)"
    assert all(path.startswith(fonts) for path in opened), opened


def test_a_long_name_shrinks_to_fit_the_page():
    name = "Maximilian Alexander Konstantin von Hohenzollern-Sigmaringen und Württemberg"
    assert name in text_of(pdf.render(document(name=name)))


def test_a_revoked_certificate_says_so():
    assert "REVOKED" in text_of(pdf.render(document(is_revoked=True)))


@pytest.mark.parametrize(
    ("score", "shown"), [("90.00", "90"), ("87.50", "87.5"), ("66.67", "66.67")]
)
def test_scores_lose_trailing_zeros(score, shown):
    assert pdf.format_score(Decimal(score)) == shown
