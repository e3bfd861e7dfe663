"""The certificate PDF: the record, a QR code to the verification URL, no file or URL access."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pypdf
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
        "Completed 1 December 2026",
        "Version 1.0",
        "Score 87.5%",
        "Zq3k9vX2bYp0LmN4sT7wQa",
        URL,
        "not a professional",
    ):
        assert expected in text


def test_the_qr_code_holds_the_verification_url():
    reader = pypdf.PdfReader(io.BytesIO(pdf.render(document())))
    images = reader.pages[0].images
    assert len(images) == 1
    picture = Image.open(io.BytesIO(images[0].data))
    decoded = zxingcpp.read_barcodes(picture)
    assert [code.text for code in decoded] == [URL]


@pytest.mark.parametrize(
    "name",
    ["王小明", "Ελένη Παπαδοπούλου", "Пётр Ильич", "Nguyễn Thị Minh Khai", "José María Núñez"],
)
def test_non_latin_names_print_legibly(name):
    assert name in text_of(pdf.render(document(name=name)))


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
