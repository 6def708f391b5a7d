"""Templates with the console's filters, navigation and security headers."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.console import text
from api.console.session import Console
from directory.model import Classification, SharingMethod, SharingType, Status, UpdateCycle

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters.update(
    department=text.department_name, number=text.number, percent=text.percent, shown=text.shown
)
VOCABULARIES: dict[str, type[StrEnum]] = {
    "sharing_type": SharingType,
    "status": Status,
    "update_cycle": UpdateCycle,
    "sharing_methods": SharingMethod,
    "data_grade": Classification,
}
TEMPLATES.env.globals.update(
    ROLE_NAMES=text.ROLE_NAMES,
    OUTCOME_NAMES=text.OUTCOME_NAMES,
    FRESHNESS_NAMES=text.FRESHNESS_NAMES,
    COLOUR_NAMES=text.COLOUR_NAMES,
    REQUEST_STATUS_NAMES=text.REQUEST_STATUS_NAMES,
    INBOX_KIND_NAMES=text.INBOX_KIND_NAMES,
    DELIVERY_STATUS_NAMES=text.DELIVERY_STATUS_NAMES,
    FORECAST_STATUS_NAMES=text.FORECAST_STATUS_NAMES,
    MATERIAL_REASONS=text.MATERIAL_REASONS,
    VOCABULARIES=VOCABULARIES,
)

# Pages per role, in the order the navigation shows them.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "steward": [
        ("/console/catalogue", "资源目录"),
        ("/console/share-requests", "共享申请"),
        ("/console/quarantine", "问题数据"),
        ("/console/objections", "数据异议"),
        ("/console/conflicts", "数据冲突"),
        ("/console/quality", "质量概览"),
        ("/console/webhook", "事件推送"),
    ],
    "admin": [("/console/catalogue", "资源目录"), ("/console/quality", "质量概览")],
    "clerk": [
        ("/console/prefill", "表单预填"),
        ("/console/prefill/bulk", "批量预填"),
        ("/console/prefill/changes", "数据变更提醒"),
    ],
    "analyst": [
        ("/console/analytics", "办件统计"),
        ("/console/forecasts", "需求预测"),
        ("/console/staffing", "窗口排班"),
        ("/console/workbench", "查询工作台"),
    ],
    "auditor": [("/console/audit", "审计日志")],
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def home_of(role: str) -> str:
    pages = NAVIGATION.get(role)
    return pages[0][0] if pages else "/console/sign-in"


def page(
    request: Any,
    template: str,
    *,
    lang: str,
    console: Console | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page in the user's language, with their navigation and the form token."""

    def translate(phrase: str) -> str:
        return text.translate(phrase, lang)

    def label(kind: str, code: str | None) -> str:
        return text.vocabulary(VOCABULARIES[kind], code, lang)

    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "_": translate,
            "label": label,
            "when": lambda value: text.chinese_datetime(value, lang),
            "day": lambda value: text.chinese_date(value, lang),
            "field_name": lambda path: text.entry_field(path, lang),
            "lang": lang,
            "console": console,
            "user": console.user if console else None,
            "csrf": console.csrf if console else "",
            "navigation": NAVIGATION.get(console.role, []) if console else [],
            "here": request.url.path,
            **context,
        },
        status_code=status_code,
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def view(console: Console, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return page(
        console.request,
        template,
        lang=console.lang,
        console=console,
        status_code=status_code,
        **context,
    )
