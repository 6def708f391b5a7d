"""Interface text and the Chinese way of writing dates and numbers.

The console is written in Chinese, since its users are Chinese civil servants; `ENGLISH`
translates the interface text (not the data) for the English toggle. A phrase missing from
it is shown in Chinese rather than failing.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from directory.departments import departments
from directory.labels import LABELS
from directory.workdays import CHINA

LANGUAGES = ("zh", "en")

ENGLISH: dict[str, str] = {
    "一网通享 · 政务数据共享控制台": "onceonly · data-sharing console",
    "跳到正文": "Skip to content",
    "登录": "Sign in",
    "退出": "Sign out",
    "令牌": "Token",
    "请输入管理员发放的令牌": "Enter the token an administrator issued to you",
    "令牌无效或已撤销": "The token is invalid or revoked",
    "资源目录": "Catalogue",
    "共享申请": "Share requests",
    "质量概览": "Quality overview",
    "数据冲突": "Conflicts",
    "每个资源的质量得分、待处理问题数据、未处理的数据冲突，以及是否按更新周期报送（迟报在前）。": (
        "Per resource: quality score, open quarantine, unsettled conflicts, and whether it is "
        "delivered as often as its update cycle promises (late ones first)."
    ),
    "最近认证": "Last certified",
    "报送": "Delivery",
    "迟报": "Late",
    "应于": "due",
    "尚无": "None yet",
    "迟报资源": "Late deliveries",
    "本部门数据与权威来源不一致之处（一数一源）：核实后在源头更正，或说明差异原因。": (
        "Where your department's data disagrees with the item's authoritative source: have it "
        "corrected at the source, or explain why the values differ."
    ),
    "待处理": "Waiting",
    "没有待处理的冲突": "No conflicts waiting",
    "权威值": "Authoritative value",
    "本部门值": "Your department's value",
    "批次": "batch",
    "发现时间": "Found",
    "说明差异原因": "Explained",
    "处理人": "Settled by",
    "提出共享申请": "Request data",
    "只能申请本部门办理的服务事项所需的数据项（最小必要原则）；超出的数据项在提交时即被拒绝。": (
        "Ask only for the items a service item your department handles needs (minimum "
        "necessary); any other item is refused when the request is filed."
    ),
    "资源编码": "Resource code",
    "服务事项编码": "Service item code",
    "用途说明": "Purpose",
    "数据项以空格或逗号分隔；留空即申请整个资源。": (
        "Separate items with spaces or commas; leave empty for the whole resource."
    ),
    "提交申请": "File the request",
    "已提交，等待提供部门审批": "Filed; the providing department decides",
    "已提交，无条件共享数据已授权": "Filed; unconditional data is granted",
    "问题数据": "Quarantine",
    "数据异议": "Objections",
    "表单预填": "Form prefill",
    "办件统计": "Case statistics",
    "需求预测": "Forecasts",
    "查询工作台": "SQL workbench",
    "审计日志": "Audit log",
    "搜索": "Search",
    "关键词": "Keywords",
    "编码": "Code",
    "名称": "Name",
    "提供部门": "Provider",
    "共享类型": "Sharing type",
    "状态": "Status",
    "更新周期": "Update cycle",
    "版本": "Version",
    "编辑": "Edit",
    "保存": "Save",
    "取消": "Cancel",
    "修改说明": "Reason for the change",
    "版本历史": "Version history",
    "恢复此版本": "Restore this version",
    "字段": "Field",
    "修改前": "Before",
    "修改后": "After",
    "数据项": "Data items",
    "标签": "Label",
    "类型": "Type",
    "分级": "Classification",
    "数据合约": "Data contract",
    "质量规则检查（最近一批）": "Quality rules (last batch)",
    "规则": "Rule",
    "结果": "Result",
    "通过": "Passed",
    "未通过": "Failed",
    "实时质量": "Live quality",
    "新鲜度": "Freshness",
    "质量得分": "Quality score",
    "最近认证批次": "Last certified batch",
    "认证时间": "Certified at",
    "已认证记录": "Certified rows",
    "隔离记录": "Quarantined rows",
    "质量得分趋势": "Quality score over time",
    "关联事项": "Linked service items",
    "事项": "Service item",
    "部门": "Department",
    "申请部门": "Requesting department",
    "申请时间": "Requested",
    "已过工作日": "Working days elapsed",
    "答复期限": "Answer due",
    "已超期": "Overdue",
    "同意": "Approve",
    "拒绝": "Reject",
    "有效期至": "Valid until",
    "每日限额": "Daily quota",
    "备注": "Note",
    "理由": "Reason",
    "待审批": "Waiting for a decision",
    "最近处理": "Recently decided",
    "没有待审批的申请": "No request is waiting",
    "资源": "Resource",
    "条数": "Rows",
    "导出退回文件": "Export to send back",
    "行号": "Row",
    "原文件": "File",
    "问题说明": "Reasons",
    "原始数据": "As delivered",
    "处理": "Resolve",
    "已在源头更正": "Corrected at source",
    "驳回": "Rejected",
    "异议值": "Claimed value",
    "当前值": "Current value",
    "提交时间": "Filed",
    "没有待处理的异议": "No open objection",
    "服务事项": "Service item",
    "身份证号或统一社会信用代码": "ID number or credit code",
    "办件编号": "Case number",
    "预填": "Prefill",
    "表单字段": "Form field",
    "值": "Value",
    "来源": "Source",
    "认证截至": "Certified as of",
    "提出异议": "Object",
    "免提交材料": "Materials no longer needed",
    "仍需提交材料": "Materials still needed",
    "材料": "Material",
    "原因": "Why",
    "异议已提交": "Objection filed",
    "提交异议": "File the objection",
    "正确的值": "The correct value",
    "说明": "Note",
    "受理": "Received",
    "办结": "Completed",
    "办结率": "Completion rate",
    "按时率": "On-time rate",
    "在办": "Open",
    "红牌": "Red",
    "黄牌": "Yellow",
    "绿牌": "Green",
    "预警": "Warnings",
    "剩余工作日": "Working days left",
    "截止日期": "Deadline",
    "月度统计": "Monthly statistics",
    "期间": "Period",
    "平均办理工作日": "Average working days",
    "序列": "Series",
    "模型": "Model",
    "较季节朴素提升": "Better than seasonal naive",
    "预测图": "Forecast chart",
    "预测起始日": "Forecast starts on",
    "已过去的预测日": "Forecast days already past",
    "已过去": "past",
    "可查询视图": "Views you can query",
    "执行查询": "Run the query",
    "方言": "Dialect",
    "下载 CSV": "Download CSV",
    "行": "rows",
    "耗时": "Took",
    "结果已截断": "Result truncated",
    "用户": "User",
    "角色": "Role",
    "操作": "Action",
    "结果筛选": "Outcome",
    "起": "From",
    "止": "Until",
    "时间": "Time",
    "筛选": "Filter",
    "审计链校验": "Audit chain verification",
    "链完整": "The chain is intact",
    "链已被篡改": "The chain was tampered with",
    "下一页": "Next page",
    "上一页": "Previous page",
    "无权访问此页面": "You may not open this page",
    "出错了": "Something went wrong",
    "返回": "Back",
    "当前用户": "Signed in as",
    "总数": "Total",
    "已保存": "Saved",
    "已同意": "Approved",
    "已拒绝": "Rejected",
    "已恢复": "Restored",
    "已处理": "Resolved",
    "按时": "On time",
    "预测值": "Forecast",
    "日期": "Date",
    "全部": "All",
    "仅在编辑前版本基础上保存": "Saved only over the version you loaded",
    "窗口排班": "Window staffing",
    "按预测与办理时长（Erlang C）计算每个半天应开窗口数": (
        "Windows to open per half-day, from the forecast and handling times (Erlang C)"
    ),
    "周": "Week",
    "服务水平": "Service level",
    "等候不超过（分钟）": "Wait at most (minutes)",
    "计算": "Calculate",
    "导出 Excel": "Export to Excel",
    "目标": "Target",
    "的申请人在": "of applicants called within",
    "分钟内被叫号": "minutes",
    "上午": "Morning",
    "下午": "Afternoon",
    "高峰日按预测上限": "peak days on the forecast's upper bound",
    "回测": "Backtest",
    "个留出日达标": "held-out days met the target",
    "每日上午、下午窗口数": "Windows per morning and afternoon",
    "按此排班": "Planned for",
    "平均办理（分钟）": "Handling (minutes)",
    "上午窗口": "Morning windows",
    "下午窗口": "Afternoon windows",
    "全天窗口": "Windows for the day",
    "预计服务水平": "Expected service level",
    "高峰": "Peak",
    "共": "",
    "件": "cases",
    "颜色": "Colour",
    "预警筛选": "Warning filters",
    "预警分页": "Warning pages",
    "统计筛选": "Statistics filters",
    "统计分页": "Statistics pages",
    "第": "Page",
    "页": "",
    "周期": "Period",
    "全部期间": "Whole period",
    "月": "Month",
    "日": "Day",
    "维度": "By",
    "部门或事项编码": "Department or item code",
    "全中心": "Whole centre",
    "窗口": "Service windows",
    "概况": "Overview",
    "本页仅对以下角色开放": "This page is open to",
    "摘要": "Abstract",
    "共享条件": "Sharing condition",
    "法律依据": "Legal basis",
    "共享方式": "Sharing methods",
    "向社会开放": "Open to the public",
    "开放条件": "Opening condition",
    "发布日期": "Publish date",
    "数据管理员": "Data steward",
    "合约": "Contract",
    "审批意见": "Decision",
    "回查日期（可选，复核往期办件时填写）": "As of (optional, to review a past case)",
    "数据截至": "Data as of",
    "该序列历史太短，暂不预测": "Too little history to forecast this series yet",
    "该序列近期没有办件，暂不预测": "No recent cases in this series: nothing to forecast",
}

ROLE_NAMES = {
    "clerk": "窗口审批员",
    "steward": "数据管理员",
    "analyst": "分析员",
    "auditor": "审计员",
    "admin": "系统管理员",
}
OUTCOME_NAMES = {"served": "已提供", "partial": "部分提供", "refused": "已拒绝"}
COLOUR_NAMES = {"red": "红牌", "yellow": "黄牌", "green": "绿牌"}
MATERIAL_REASONS = {
    "replaced": "已由认证数据替代",
    "applicant_brings": "无共享数据可替代，由申请人提交",
    "quarantined": "数据在隔离中，待提供部门更正",
    "not_in_pool": "资源池中没有该申请人的认证数据",
    "no_grant": "本部门未获共享授权",
    "not_shared": "该资源不予共享",
    "not_in_catalogue": "该资源未编目或未发布",
    "role_may_not_read": "当前角色无权读取",
    "not_needed_for_service_item": "非本事项所需",
}
FORECAST_STATUS_NAMES = {
    "history_too_short": "该序列历史太短，暂不预测",
    "no_demand": "该序列近期没有办件，暂不预测",
}
REQUEST_STATUS_NAMES = {
    "pending": "待审批",
    "granted": "已同意",
    "rejected": "已拒绝",
    "revoked": "已撤销",
    "expired": "已过期",
}


def translate(text: str, lang: str) -> str:
    return ENGLISH.get(text, text) if lang == "en" else text


def vocabulary(enum: type[StrEnum], code: str | None, lang: str) -> str:
    """A catalogue code (conditional) as its Chinese label (有条件共享), or as is in English."""
    if code is None:
        return ""
    return code if lang == "en" else LABELS.get(enum, {}).get(code, code)


def _instant(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        at = value
    else:
        at = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    # Naive instants from the pool are the centre's local time already.
    return at.astimezone(CHINA) if at.tzinfo else at


def chinese_datetime(value: Any, lang: str = "zh") -> str:
    """2026年11月21日 15:54, in China's time, however the API wrote the instant."""
    at = _instant(value)
    if at is None:
        return ""
    if lang == "en":
        return at.strftime("%Y-%m-%d %H:%M")
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def chinese_date(value: Any, lang: str = "zh") -> str:
    if value in (None, ""):
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return day.isoformat() if lang == "en" else f"{day.year}年{day.month}月{day.day}日"


def number(value: Any) -> str:
    """Thousands grouped by commas, as Chinese government statistics print them."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def percent(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"


def shown(value: Any) -> str:
    """A catalogue value as a steward reads it: lists joined, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{k}：{shown(v)}" for k, v in value.items())
    return str(value)


def department_name(code: str | None) -> str:
    """公安局 for ps; an unknown code as it is."""
    if not code:
        return ""
    known = departments().get(code)
    return known.name if known else code


ENTRY_FIELDS = {
    "code": "资源代码",
    "name": "资源名称",
    "classification": "资源分类",
    "provider_department": "提供方代码",
    "provider_name": "资源提供方",
    "abstract": "资源摘要",
    "format": "资源格式",
    "data_items": "信息项",
    "sharing_type": "共享类型",
    "sharing_condition": "共享条件",
    "legal_basis": "法律依据",
    "sharing_methods": "共享方式",
    "open_to_public": "是否向社会开放",
    "open_condition": "开放条件",
    "update_cycle": "更新周期",
    "publish_date": "发布日期",
    "related_codes": "关联资源代码",
    "status": "状态",
    "replaced_by": "替代资源",
    "steward": "数据管理员",
    "contract_id": "数据合约",
    "contract_version": "合约版本",
}


def entry_field(path: str, lang: str = "zh") -> str:
    """资源摘要 for abstract, 信息项 for data_items[address]: the cataloguing guide's words
    (the path itself is shown beside it)."""
    label = ENTRY_FIELDS.get(path.split(".")[0].split("[")[0])
    return "" if lang == "en" or label is None else label
