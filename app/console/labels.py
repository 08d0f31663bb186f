"""Chinese labels for the codes the console shows: visit states, decisions, roles, checks, statuses."""

from __future__ import annotations

STATES = {
    "receiving": "接收中",
    "submitted": "已提交",
    "checked": "核查通过·待审核",
    "has_issues": "有问题·待审核",
    "approved": "已通过",
    "rejected": "不通过",
    "revisit_requested": "要求复访",
}
DECISIONS = {"approve": "通过", "reject": "不通过", "request_revisit": "要求复访"}
ROLES = {"cadre": "村干部", "verifier": "镇核查员", "supervisor": "督查（县/市）", "admin": "管理员"}
HOUSEHOLD_STATUSES = {
    "registered": "已登记·未走访",
    "visit_submitted": "走访已提交",
    "checked": "待审核",
    "has_issues": "核查有问题",
    "verified": "已核实",
    "revisit_requested": "要求复访",
    "rejected": "不通过",
}
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
SEVERITIES = {"error": "问题", "warning": "提醒", "info": "通过"}
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
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


def label(table: dict[str, str], code: str | None) -> str:
    """The Chinese label of `code`, or the code itself for one added since (a new check, a new state)."""
    if code is None:
        return ""
    return table.get(code, code)


TABLES = {
    "state": STATES,
    "decision": DECISIONS,
    "role": ROLES,
    "household_status": HOUSEHOLD_STATUSES,
    "check": CHECKS,
    "severity": SEVERITIES,
    "ledger_source": LEDGER_SOURCES,
    "ledger_status": LEDGER_STATUSES,
    "level": LEVELS,
    "satisfaction": SATISFACTION,
}
