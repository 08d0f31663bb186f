"""Chinese labels of the codes people read (visit states, household statuses, decisions, roles, checks,
ledger, area levels): one table per concept, for the web console and the dossier PDF alike."""

from __future__ import annotations

VISIT_STATES = {
    "receiving": "接收中",
    "submitted": "已提交",
    "checked": "自动核查通过，待审核",
    "has_issues": "自动核查有问题，待审核",
    "in_review": "下级已通过，待上级审核",
    "approved": "审核通过",
    "rejected": "审核不通过",
    "revisit_requested": "要求重新走访",
    "superseded": "已被修改后的版本替代",
}
HOUSEHOLD_STATES = {
    "registered": "已建档",
    "visit_submitted": "走访已提交",
    "checked": "待审核",
    "has_issues": "待审核（有问题）",
    "verified": "核查通过",
    "revisit_requested": "要求重新走访",
    "rejected": "核查不通过",
}
DECISIONS = {"approve": "通过", "reject": "不通过", "request_revisit": "要求重新走访"}
SEVERITIES = {"error": "阻断", "warning": "警告", "info": "信息"}
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
ROLES = {"cadre": "村干部", "verifier": "镇核查员", "supervisor": "督查", "admin": "管理员", "system": "系统"}
CHECKS = {
    "answers_valid": "表单答案校验",
    "evidence_complete": "四处照相、四方签字齐全",
    "photo_time": "拍摄时间",
    "photo_location": "拍摄地点",
    "visit_location": "走访定位",
    "household_location": "住户坐标",
    "photo_duplicate_in_visit": "同一走访内照片重复",
    "photo_reuse": "照片重复使用",
    "signature_distinct": "签名互不相同",
    "signature_reuse": "签名重复使用",
}
LEDGER_SOURCES = {"check": "自动核查", "review": "审核退回", "manual": "人工登记"}
LEDGER_STATUSES = {"open": "未销号", "closed": "已销号"}
LEVELS = {
    "province": "省",
    "city": "市",
    "county": "县",
    "town": "镇（乡、街道）",
    "village": "村",
    "hamlet": "屯",
}


def label(table: dict[str, str], code: str | None) -> str:
    """The Chinese label of `code`, or the code itself for one added since (a new check, a new state)."""
    if code is None:
        return ""
    return table.get(code, code)


TABLES = {
    "state": VISIT_STATES,
    "decision": DECISIONS,
    "role": ROLES,
    "household_status": HOUSEHOLD_STATES,
    "check": CHECKS,
    "severity": SEVERITIES,
    "ledger_source": LEDGER_SOURCES,
    "ledger_status": LEDGER_STATUSES,
    "level": LEVELS,
    "satisfaction": SATISFACTION,
}
