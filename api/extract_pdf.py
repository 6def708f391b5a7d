"""A signed extract as a printable PDF: what the applicant or another office keeps on paper.

The page says who issued it, about whom (the subject as the extract shows it), every value
with where it came from and as of when, which materials it replaces, when it was issued,
its id, the signature's fingerprint, and a QR code that opens the exchange's public
verification page (`api.extract_seal`). It renders exactly what was signed: a masked value
stays masked and is marked so, and nothing outside the signed extract is printed but the
seal and the signature's fingerprint.

ReportLab draws it: its CID font STSong-Light is one of the standard Chinese fonts every PDF
reader carries, so Chinese renders without a font file in the project, and its QR widget
draws the code as vector shapes. No web imports: the API and the command line share it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from collections.abc import Mapping
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from api.extract_seal import Seal

FONT: Final = "STSong-Light"
MEDIA_TYPE: Final = "application/pdf"
QR_SIZE: Final = 42 * mm
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, wordWrap="CJK")
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10.5, textColor=colors.grey)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=18, leading=24, alignment=1)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12, leading=18, spaceBefore=8)
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4ecf5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)
MASKED_MARK: Final = "（已脱敏 masked）"
SUBJECT_KINDS: Final = {"person": "自然人", "organisation": "法人"}


def filename(extract: Mapping[str, Any]) -> str:
    return f"extract-{extract.get('extract_id', 'unsealed')}.pdf"


def signature_fingerprint(document: Mapping[str, Any]) -> str:
    """The first 128 bits of the SHA-256 of the signature, in groups a person can compare."""
    value = str(document["signature"]["value"])
    digest = hashlib.sha256(base64.b64decode(value)).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def _p(text: Any, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape("—" if text is None or text == "" else str(text)), style)


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0],
    )
    drawing.add(widget)
    return drawing


def _when(value: Any) -> str:
    """An instant as a person reads it: to the second, with its UTC offset when it has one."""
    if value in (None, ""):
        return ""
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    shown = at.strftime("%Y-%m-%d %H:%M:%S")
    return f"{shown} (UTC{at.strftime('%z')[:3]}:{at.strftime('%z')[3:]})" if at.tzinfo else shown


def _shown(value: Any, masked: bool) -> str:
    text = "—" if value is None else str(value)
    return f"{text}{MASKED_MARK}" if masked else text


def _source(provenance: Mapping[str, Any]) -> Paragraph:
    return _p(
        f"{provenance.get('department_name') or provenance.get('department')} · "
        f"{provenance.get('resource_name')}（{provenance.get('resource_code')}）"
        f" 批次 {str(provenance.get('batch', ''))[:12]}"
    )


def _values(extract: Mapping[str, Any]) -> list[list[Any]]:
    """One row per value: (what, value, source, certified at)."""
    rows: list[list[Any]] = [
        [_p("项目 Item"), _p("值 Value"), _p("来源 Source"), _p("认证时间 Certified at")]
    ]
    for field in extract.get("fields") or []:
        provenance = field.get("provenance") or {}
        rows.append(
            [
                _p(field.get("field")),
                _p(_shown(field.get("value"), bool(field.get("masked")))),
                _source(provenance),
                _p(_when(provenance.get("certified_at"))),
            ]
        )
    for resource in extract.get("resources") or []:
        for record in resource.get("records") or []:
            provenance = record.get("provenance") or {}
            for item, value in sorted((record.get("items") or {}).items()):
                rows.append(
                    [
                        _p(f"{resource.get('resource_name')} · {item}"),
                        _p(_shown(value.get("value"), bool(value.get("masked")))),
                        _source(provenance),
                        _p(_when(provenance.get("certified_at"))),
                    ]
                )
    return rows


def _facts(extract: Mapping[str, Any]) -> list[list[Paragraph]]:
    issued_to = extract.get("issued_to") or {}
    kind = SUBJECT_KINDS.get(str(extract.get("subject_kind")), extract.get("subject_kind"))
    return [
        [_p("签发机构 Issuer"), _p(extract.get("issuer"))],
        [_p("申请人 Subject"), _p(f"{extract.get('subject')}（{kind}）")],
        [
            _p("服务事项 Service item"),
            _p(f"{extract.get('service_item')} {extract.get('service_item_name', '')}"),
        ],
        [_p("办件编号 Case number"), _p(extract.get("case_no"))],
        [
            _p("经办 Issued to"),
            _p(f"{issued_to.get('user', '')} · {issued_to.get('department', '')}"),
        ],
        [_p("签发时间 Issued at"), _p(_when(extract.get("issued_at")))],
        [_p("证明编号 Extract id"), _p(extract.get("extract_id"))],
    ]


def render(document: Mapping[str, Any], seal: Seal, verify_url: str) -> bytes:
    """The PDF of a signed `document`, whose QR code opens `verify_url` (the seal's page)."""
    extract = document["extract"]
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"数据核验证明 {extract.get('extract_id', '')}",
        author=str(extract.get("issuer", "")),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    width = pdf.width
    facts = Table(_facts(extract), colWidths=[32 * mm, width - 32 * mm], style=_GRID)
    values = Table(
        _values(extract),
        colWidths=[34 * mm, 40 * mm, width - 34 * mm - 40 * mm - 42 * mm, 42 * mm],
        style=_GRID,
        repeatRows=1,
    )
    story: list[Flowable] = [
        _p("数据核验证明", _TITLE),
        _p("Certified extract of shared government data", _SMALL),
        Spacer(1, 4 * mm),
        facts,
        _p("核验数据 Certified values", _HEADING),
        values,
    ]
    replaced = [m for m in extract.get("materials") or [] if m.get("no_longer_needed")]
    if replaced:
        story.append(_p("免提交材料 Materials no longer needed", _HEADING))
        story += [_p(f"· {m.get('material')}：{m.get('reason')}") for m in replaced]
    verification = Table(
        [
            [
                _qr(verify_url),
                [
                    _p("扫码核验 Scan to verify", _HEADING),
                    _p(
                        "扫描二维码打开政务数据共享平台的公开核验页面：只显示本证明是否有效及"
                        "签发机构，不显示任何个人信息。"
                    ),
                    _p(verify_url, _SMALL),
                    Spacer(1, 2 * mm),
                    _p(f"签名算法 Signature: {document['signature']['alg']}"),
                    _p(f"密钥编号 Key id: {extract.get('key_id')}"),
                    _p(f"签名指纹 Signature fingerprint: {signature_fingerprint(document)}"),
                    _p(f"内容摘要 Digest (SHA-256): {seal.digest}", _SMALL),
                ],
            ]
        ],
        colWidths=[QR_SIZE + 6 * mm, width - QR_SIZE - 6 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
    )
    story += [Spacer(1, 6 * mm), verification]
    pdf.build(story)
    return out.getvalue()
