"""Text encodings of delivered CSV files.

Departments export from systems configured years ago: GBK is common, UTF-8 with or without a
byte-order mark too, and the contract's declared encoding is often wrong after a system
upgrade. So the file itself is sniffed, and DuckDB (which reads only UTF-8 without extensions
that a closed network cannot download) is given a UTF-8 copy when needed.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from pipelines.landing.errors import LandingError

SNIFF_BYTES = 1 << 20
TRANSCODE_CHUNK = 16 << 20


def sniff_encoding(path: Path) -> str:
    """'utf-8', 'utf-8-sig' or 'gb18030' (the superset of GBK and GB 2312) for `path`."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise LandingError(path, "the file is empty", "Ask the department to deliver it again")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    raise LandingError(
        path,
        "the text is neither UTF-8 nor GBK",
        "Ask the department to export the file again as UTF-8 or GBK",
    )


def _decodes(head: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(head, final=False)  # a multibyte character may be cut at the end
    except UnicodeDecodeError:
        return False
    return True


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Stream `source` into a UTF-8 copy at `target` without holding the file in memory."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(TRANSCODE_CHUNK):
            try:
                writer.write(decoder.decode(chunk).encode("utf-8"))
            except UnicodeDecodeError as error:
                raise LandingError(
                    source,
                    f"byte {offset + error.start} is not valid {encoding.upper()} text "
                    "(the file mixes encodings or is damaged)",
                    "Ask the department to export the whole file again in one encoding",
                ) from error
            offset += len(chunk)
        writer.write(decoder.decode(b"", final=True).encode("utf-8"))
