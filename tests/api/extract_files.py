"""Reading a printed extract as a person or a phone would: its text, and its QR code decoded
from the page as rendered (PDFium draws it, zxing-cpp reads it), not from the drawing code."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def qr_url(pdf: bytes) -> str:
    """The QR code's text, read from the first page as rendered at 200 dpi."""
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil()
    (code,) = zxingcpp.read_barcodes(page)
    return str(code.text)
