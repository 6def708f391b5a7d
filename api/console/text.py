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
    "批量预填": "Bulk prefill",
    "数据变更提醒": "Changed since prefill",
    "名单为 CSV 或 Excel，表头含证件号码（或统一社会信用代码）和办件编号，每行一位申请人。": (
        "A CSV or Excel list, its header naming 证件号码 (or 统一社会信用代码) and 办件编号, "
        "one applicant a row."
    ),
    "每一行都按单件预填的规则核验，并记入审计日志。": (
        "Each row is checked and audited as a single prefill is."
    ),
    "申请人名单": "List of applicants",
    "上传并预填": "Upload and prefill",
    "正在预填……页面每秒刷新": "Prefilling… this page reloads every second",
    "已完成": "Done",
    "已中止": "Stopped",
    "已填": "Served",
    "部分": "Partly",
    "未予预填": "Refused",
    "快照版本": "Snapshot",
    "下载结果工作簿": "Download the workbook",
    "上传另一份名单": "Upload another list",
    "本部门在办件中预填后又被数据源更正的值，请核对并更新表单（重新预填后提醒消失）。": (
        "Values in your department's open cases that a source corrected after they were "
        "prefilled: check and update the form (prefilling it again clears the notice)."
    ),
    "在办件的预填值均未变更。": "No prefilled value of an open case has changed.",
    "申请人": "Applicant",
    "原值": "Was",
    "新值": "Now",
    "更正批次": "Correcting batch",
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
    "已脱敏": "Masked",
    "打印核验证明（PDF）": "Print certified extract (PDF)",
    "敏感信息：本部门的共享授权未列明此项，按规定脱敏显示；如需完整值，请按项申请授权": (
        "Sensitive item: your department's grant does not name it, so it is shown masked; "
        "request the item by name to see it in full"
    ),
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
    "待办事项": "Inbox",
    "等待自": "Waiting since",
    "编号或批次": "Number or batch",
    "数量": "Count",
    "去处理": "Handle",
    "没有待办事项": "Nothing waits on your department",
    "尚未发布数据：数据冲突、质量闸门与问题数据暂不显示": (
        "Nothing is published yet: conflicts, gate failures and quarantine are not shown"
    ),
    "事件推送": "Webhook",
    (
        "待办事项出现时以 JSON 推送到登记的地址，"
        "按 Standard Webhooks 签名（HMAC-SHA256）；失败按指数退避重试。"
    ): (
        "New inbox items are POSTed as JSON to the registered address, signed as Standard "
        "Webhooks specify (HMAC-SHA256); failed attempts are retried with exponential backoff."
    ),
    "接收地址": "Receiver URL",
    "登记": "Register",
    "尚未登记推送地址": "No webhook registered",
    "密钥（只显示这一次，请交给接收方保存）": (
        "Secret (shown this once: give it to the receiver to keep)"
    ),
    "投递记录": "Delivery log",
    "事件": "Event",
    "尝试次数": "Attempts",
    "下次重试": "Next try",
    "最近错误": "Last error",
    "已停用": "Disabled",
    "登记人": "Registered by",
    "质量闸门未通过": "Gate failed",
    "问题数据待退回": "Quarantine to return",
    "待投递": "Pending",
    "已投递": "Delivered",
    "投递失败": "Failed",
    "登记前已有，未推送": "There before registration: not sent",
    "导入完成：目录已按文件更新。": "Imported: the catalogue now follows the file.",
    "开放类型": "Open to the public",
    "不向社会开放": "Not open to the public",
    "清除条件": "Clear filters",
    "导出 CSV": "Export CSV",
    "导出当前筛选结果，格式与批量导入相同。": (
        "Exports the filtered view, in the format the bulk import reads."
    ),
    "数据分级": "Data grade",
    "开放": "Open",
    "是": "Yes",
    "否": "No",
    "没有符合条件的资源": "No resource matches",
    "批量导入": "Bulk import",
    "上传导出后修改的文件：先试运行，列出将新增、修改和被拒绝的条目及原因，确认后才写入。": (
        "Upload an Excel or CSV file made by the export and edited: a dry run first lists"
        " what would be added, changed and refused, and why; nothing is written until you"
        " confirm."
    ),
    "目录文件": "Catalogue file",
    "导入原因": "Reason for the import",
    "试运行": "Dry run",
    "批量导入试运行": "Bulk import: dry run",
    "新增": "Added",
    "修改": "Changed",
    "不变": "Unchanged",
    "被拒绝的单元格": "Refused cells",
    "文件中有错误，整份文件都不会写入。请修改后重新上传。": (
        "The file has errors, so none of it will be written. Correct them and upload it again."
    ),
    "列": "Column",
    "将要写入的变更": "Changes to be written",
    "没有变更：文件与目录一致。": "No changes: the file matches the catalogue.",
    "文件行号": "row",
    "确认导入": "Confirm the import",
    "返回资源目录": "Back to the catalogue",
    "质量趋势": "Quality over time",
    "每批数据的质量得分，以及该批到达时在用数据已有多久（按更新周期判定是否及时）。": (
        "Per resource, each batch's quality score, and how old the data in use was when "
        "it arrived (against the update cycle: on time, late, stale)."
    ),
    "尚无已发布的批次": "No published batches yet",
    "当前": "now",
    "文件": "File",
    "认证行数": "Rows certified",
    "到达时数据已有（小时）": "Data age on arrival (hours)",
    "及时性": "Freshness",
    "及时": "On time",
    "尚无批次": "No batches yet",
    "质量得分与及时性": "Quality score and freshness",
    "过期": "Stale",
    "未知": "Unknown",
    "请选择要导入的目录文件": "Choose the catalogue file to import",
    "文件内容已损坏，请重新上传": "The file came back damaged; upload it again",
    "可转为": "May become",
    "无（已撤销为最终状态）": "nothing (withdrawn is final)",
    "替代资源代码": "Replaced by (resource code)",
}

ROLE_NAMES = {
    "clerk": "窗口审批员",
    "steward": "数据管理员",
    "analyst": "分析员",
    "auditor": "审计员",
    "admin": "系统管理员",
}
FRESHNESS_NAMES = {"fresh": "及时", "late": "迟报", "stale": "过期", "unknown": "未知"}
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
INBOX_KIND_NAMES = {
    "share_request": "共享申请",
    "objection": "数据异议",
    "conflict": "数据冲突",
    "gate_failure": "质量闸门未通过",
    "quarantine": "问题数据待退回",
}
DELIVERY_STATUS_NAMES = {
    "pending": "待投递",
    "delivered": "已投递",
    "failed": "投递失败",
    "skipped": "登记前已有，未推送",
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
