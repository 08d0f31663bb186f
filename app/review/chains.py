"""The review chain as data: which levels sign a visit off, in which order, and who signs at each.

The documents require sign-off level by level (逐级签字把关): the town checks, the county checks, the
city re-checks a random share of what was approved. An area's chain is a `ReviewChain` document (set
through the API by an admin or a supervisor above it); the nearest one on a visit's area path wins,
and without one the default from configuration (`REVIEW_LEVELS`, `REVIEW_RECHECK_PERCENT`) applies.
A visit takes a snapshot of its chain when its checks finish, so a later change of configuration never
moves a visit that is half-way through its sign-offs.

Who signs: the town level is a verifier (role `verifier`) covering the visit, as before; the county
and city levels are supervisors (role `supervisor`, 县/市扶贫办) holding an area code of exactly that
level on the visit's path. No new role: a supervisor's level is already said by the area they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.area_codes import level_of
from app.areas.service import area_in_scope
from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.errors import Forbidden, NotFound, ValidationFailed
from app.review.models import ReviewChain


@dataclass(frozen=True)
class Level:
    key: str
    role: str
    label: str


LEVELS: dict[str, Level] = {
    "town": Level("town", "verifier", "镇级审核"),
    "county": Level("county", "supervisor", "县级审定"),
    "city": Level("city", "supervisor", "市级复核"),
}
ORDER = tuple(LEVELS)
RECHECK_LEVEL = "city"
DOCUMENTS_LEVELS = ("town", "county")  # the documents' chain, also REVIEW_LEVELS' default


@dataclass(frozen=True)
class Chain:
    levels: tuple[str, ...]
    recheck_percent: float = 0.0
    source: str = "default"  # "default", or the code of the area whose chain this is

    @property
    def first(self) -> str:
        return self.levels[0]

    def after(self, level: str) -> str | None:
        """The level that signs after `level`, or None when `level` is the last required one."""
        index = self.levels.index(level)
        return self.levels[index + 1] if index + 1 < len(self.levels) else None

    def snapshot(self) -> dict:
        return {"levels": list(self.levels), "recheck_percent": self.recheck_percent, "source": self.source}

    @classmethod
    def of_snapshot(cls, data: dict) -> Chain:
        return cls(tuple(data["levels"]), data.get("recheck_percent", 0.0), data.get("source", "default"))


def validate_chain(levels: list[str], recheck_percent: float) -> dict[str, list[str]]:
    """Problems with a chain: levels must be known, in order from town up, each once; the city re-checks
    only approvals it did not sign itself."""
    errors: dict[str, list[str]] = {}
    unknown = [level for level in levels if level not in LEVELS]
    if not levels or unknown:
        errors["levels"] = [f"审核层级须为 {', '.join(ORDER)} Levels must be among {', '.join(ORDER)}"]
    elif [ORDER.index(level) for level in levels] != sorted({ORDER.index(level) for level in levels}):
        errors["levels"] = ["审核层级须自下而上且不重复 Levels go upwards, each once"]
    if not 0 <= recheck_percent <= 100:
        errors["recheck_percent"] = ["抽查比例须在 0–100 之间 Between 0 and 100"]
    elif recheck_percent and RECHECK_LEVEL in levels:
        errors["recheck_percent"] = ["市级已逐件审核时不再抽查 No re-check when the city signs every visit"]
    return errors


def parse_levels(text: str) -> tuple[str, ...]:
    """ "town,county" -> ("town", "county"); for the REVIEW_LEVELS setting."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def default_chain(levels: str, recheck_percent: float) -> Chain:
    """The configured default chain; a bad setting stops start-up rather than review wrongly."""
    chain = Chain(parse_levels(levels), float(recheck_percent))
    problems = validate_chain(list(chain.levels), chain.recheck_percent)
    if problems:
        raise ValueError(f"REVIEW_LEVELS / REVIEW_RECHECK_PERCENT: {problems}")
    return chain


def chain_for(area_path: list[str], default: Chain) -> Chain:
    """The chain of the nearest area on `area_path` that has one, else `default`."""
    configured = ReviewChain.objects(area_code__in=list(area_path))
    nearest = max(configured, key=lambda c: len(c.area_path), default=None)
    if nearest is None:
        return default
    return Chain(tuple(nearest.levels), nearest.recheck_percent, nearest.area_code)


def chain_of(visit) -> Chain:
    """The chain a visit is signed along: its snapshot; for a visit checked before chains existed (and
    not yet migrated), its area's chain or the documents' town → county."""
    if visit.review_chain:
        return Chain.of_snapshot(visit.review_chain)
    return chain_for(visit.area_path, Chain(DOCUMENTS_LEVELS))


def entry_fields(area_path: list[str], default: Chain) -> dict:
    """What a visit records when its checks finish: its chain and the level that signs first."""
    chain = chain_for(area_path, default)
    return {"review_chain": chain.snapshot(), "review_level": chain.first}


def signing_levels(principal: Principal) -> list[str]:
    """The levels the caller signs at: town for verifiers, their areas' levels for supervisors."""
    if principal.role == "verifier":
        return ["town"]
    if principal.role == "supervisor":
        held = {level_of(code) for code in principal.area_codes}
        return [level for level in ORDER if level in held and LEVELS[level].role == "supervisor"]
    return []


def may_sign(principal: Principal, level: str, area_path: list[str]) -> bool:
    """True when the caller signs at `level` for an object filed under `area_path`."""
    spec = LEVELS[level]
    if principal.role != spec.role:
        return False
    if level == "town":
        return principal.covers(area_path)
    return any(code in area_path and level_of(code) == level for code in principal.area_codes)


def level_areas(principal: Principal, level: str) -> list[str]:
    """The caller's area codes a queue of `level` covers (all of them for the town level)."""
    if level == "town":
        return list(principal.area_codes)
    return [code for code in principal.area_codes if level_of(code) == level]


def effective_chain(principal: Principal, code: str, default: Chain) -> dict:
    """The chain that applies to visits in area `code`, and where it is set."""
    area = area_in_scope(principal, code)
    chain = chain_for(area.path, default)
    return {"area_code": area.code} | chain.snapshot()


def set_chain(
    principal: Principal, code: str, levels: list[str], recheck_percent: float, reason: str | None
) -> ReviewChain:
    """Set the chain of an area's subtree (admins, or supervisors above or at that area). A supervisor
    cannot take out the level they sign at themselves: whoever signs answers for it (谁签字谁负责)."""
    principal.require("review.configure")
    area = area_in_scope(principal, code)
    errors = validate_chain(levels, recheck_percent)
    if errors:
        raise ValidationFailed(errors=errors)
    own = [level for level in ORDER if may_sign(principal, level, area.path) and level not in levels]
    if own and not principal.is_admin:
        raise Forbidden("不能取消本级的审核签字 You cannot drop your own level's sign-off", levels=own)
    stamp = now()
    ReviewChain.objects(area_code=area.code).update_one(
        upsert=True,
        set__area_path=area.path,
        set__levels=levels,
        set__recheck_percent=recheck_percent,
        set__reason=reason,
        set__updated_by=principal.username,
        set__updated_by_id=principal.user_id,
        set__updated_at=stamp,
    )
    audit.record(
        principal,
        "review.chain.set",
        "area",
        area.code,
        area.path,
        levels=levels,
        recheck_percent=recheck_percent,
        reason=reason,
    )
    return ReviewChain.objects.get(area_code=area.code)


def remove_chain(principal: Principal, code: str) -> None:
    """Drop an area's own chain: its visits follow the next area up, or the default."""
    principal.require("review.configure")
    area = area_in_scope(principal, code)
    if not ReviewChain.objects(area_code=area.code).delete():
        raise NotFound(f"区划 {code} 未单独设置审核链 No chain of its own")
    audit.record(principal, "review.chain.remove", "area", area.code, area.path)


def require_signer(principal: Principal, level: str, area_path: list[str]) -> None:
    if not may_sign(principal, level, area_path):
        label = LEVELS[level].label
        raise Forbidden(f"该走访待{label}，您不在此层级 Waiting for the {level} level", level=level)
