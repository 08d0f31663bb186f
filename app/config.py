"""Settings, read from the environment so that the same code runs on embedded and production servers."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass
class Config:
    MONGODB_URI: str = field(
        default_factory=lambda: _env("MONGODB_URI", "mongodb://127.0.0.1:27017/doorstep?retryWrites=false")
    )
    # "1" (journaled on the primary) or "majority" (also survives a replica-set fail-over: production)
    MONGODB_WRITE_CONCERN: str = field(default_factory=lambda: _env("MONGODB_WRITE_CONCERN", "1"))
    S3_ENDPOINT_URL: str = field(default_factory=lambda: _env("S3_ENDPOINT_URL", "http://127.0.0.1:8333"))
    S3_BUCKET: str = field(default_factory=lambda: _env("S3_BUCKET", "doorstep"))
    S3_ACCESS_KEY: str = field(default_factory=lambda: _env("S3_ACCESS_KEY", ""))
    S3_SECRET_KEY: str = field(default_factory=lambda: _env("S3_SECRET_KEY", ""))
    S3_REGION: str = field(default_factory=lambda: _env("S3_REGION", "us-east-1"))
    REDIS_URL: str = field(default_factory=lambda: _env("REDIS_URL", "redis://127.0.0.1:6379/0"))
    SECRET_KEY: str = field(default_factory=lambda: _env("SECRET_KEY", "dev-only-change-me"))
    JOB_RETRY_INTERVALS: str = field(default_factory=lambda: _env("JOB_RETRY_INTERVALS", "5,30,120"))
    QUEUE_PREFIX: str = field(default_factory=lambda: _env("QUEUE_PREFIX", "doorstep"))
    TOKEN_TTL_SECONDS: int = field(default_factory=lambda: int(_env("TOKEN_TTL_SECONDS", "28800")))
    # lifetime of the signed /media links to photos and signatures
    PRESIGN_TTL_SECONDS: int = field(default_factory=lambda: int(_env("PRESIGN_TTL_SECONDS", "300")))
    MAX_UPLOAD_BYTES: int = field(
        default_factory=lambda: int(_env("MAX_UPLOAD_BYTES", str(15 * 1024 * 1024)))
    )
    MAX_IMAGE_PIXELS: int = field(default_factory=lambda: int(_env("MAX_IMAGE_PIXELS", str(40_000_000))))
    # the console's session cookie: "auto" marks it Secure when the browser talks HTTPS (also through a
    # proxy that sets X-Forwarded-Proto), "true" always, "false" never
    SESSION_COOKIE_SECURE: str = field(default_factory=lambda: _env("SESSION_COOKIE_SECURE", "auto"))
    LOGIN_MAX_FAILURES: int = field(default_factory=lambda: int(_env("LOGIN_MAX_FAILURES", "5")))
    # how long an API process trusts a user it read (revocation, role and area changes wait this long)
    USER_CACHE_SECONDS: float = field(default_factory=lambda: float(_env("USER_CACHE_SECONDS", "60")))
    LOGIN_LOCK_SECONDS: int = field(default_factory=lambda: int(_env("LOGIN_LOCK_SECONDS", "300")))
    # wrong passwords one address may send for any accounts within LOGIN_LOCK_SECONDS (username spraying)
    LOGIN_MAX_FAILURES_PER_ADDRESS: int = field(
        default_factory=lambda: int(_env("LOGIN_MAX_FAILURES_PER_ADDRESS", "100"))
    )
    # header a trusted reverse proxy sets to the client's address (e.g. X-Real-IP); empty: none trusted
    CLIENT_IP_HEADER: str = field(default_factory=lambda: _env("CLIENT_IP_HEADER", ""))
    PASSWORD_HASH_PROFILE: str = field(default_factory=lambda: _env("PASSWORD_HASH_PROFILE", "standard"))
    CHECK_TIME_TOLERANCE_MINUTES: int = field(
        default_factory=lambda: int(_env("CHECK_TIME_TOLERANCE_MINUTES", "60"))
    )
    CHECK_MAX_DISTANCE_M: float = field(default_factory=lambda: float(_env("CHECK_MAX_DISTANCE_M", "500")))
    # the default review chain (逐级签字把关) for areas without their own: levels in signing order, and
    # the share of approved visits a city re-checks
    REVIEW_LEVELS: str = field(default_factory=lambda: _env("REVIEW_LEVELS", "town,county"))
    REVIEW_RECHECK_PERCENT: float = field(default_factory=lambda: float(_env("REVIEW_RECHECK_PERCENT", "5")))
    SWEEP_STALE_MINUTES: int = field(default_factory=lambda: int(_env("SWEEP_STALE_MINUTES", "30")))
    # a ledger item opened outside a campaign's rectification phase is due this many months later
    RECTIFICATION_DEFAULT_MONTHS: int = field(
        default_factory=lambda: int(_env("RECTIFICATION_DEFAULT_MONTHS", "2"))
    )
    # exports of more visits than this run as a job (202 + status URL) instead of streaming at once
    EXPORT_SYNC_MAX_VISITS: int = field(default_factory=lambda: int(_env("EXPORT_SYNC_MAX_VISITS", "2000")))
    # how long a finished export's file is kept, and how long one download link works
    EXPORT_KEEP_HOURS: int = field(default_factory=lambda: int(_env("EXPORT_KEEP_HOURS", "24")))
    EXPORT_LINK_TTL_SECONDS: int = field(default_factory=lambda: int(_env("EXPORT_LINK_TTL_SECONDS", "600")))
    # where phones and browsers reach this app (https://host) when a proxy hides it: absolute links in
    # API answers and the Collect QR code (default: as the request reached us). PUBLIC_BASE_URL: old name.
    PUBLIC_URL: str = field(default_factory=lambda: _env("PUBLIC_URL", "") or _env("PUBLIC_BASE_URL", ""))
    FORMS_DIR: str = field(
        default_factory=lambda: _env("FORMS_DIR", os.path.join(os.path.dirname(__file__), "..", "forms"))
    )

    # flask-smorest / OpenAPI
    API_TITLE: str = "Doorstep 入户核查 API"
    API_VERSION: str = "v1"
    OPENAPI_VERSION: str = "3.0.3"
    OPENAPI_URL_PREFIX: str = "/"
    OPENAPI_JSON_PATH: str = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH: str = "/docs"
    OPENAPI_SWAGGER_UI_URL: str = "/docs-assets/"
    TESTING: bool = False

    def as_flask(self) -> dict:
        return {k: v for k, v in asdict(self).items()}
