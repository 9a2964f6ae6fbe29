"""Settings read once from the environment (JIEBANG_*)."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"JIEBANG_{name}", default)


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{ROOT / 'var' / 'jiebang.sqlite3'}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app reads from its environment."""

    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", _default_database_url()))
    # Sessions are signed server-side ids; the key only needs to be stable across workers.
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))
    var_dir: Path = field(default_factory=lambda: Path(_env("VAR_DIR", str(ROOT / "var"))))
    # Attachments: per file and per proposal, in bytes.
    max_attachment_bytes: int = field(default_factory=lambda: int(_env("MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024))))
    max_attachments_per_proposal: int = field(default_factory=lambda: int(_env("MAX_ATTACHMENTS", "10")))
    notice_days: int = field(default_factory=lambda: int(_env("NOTICE_DAYS", "5")))
    # Days for which a 不合格 grade bars the project's lead organisation from claiming, counted in Beijing days from
    # the day of the grading: it may claim again from the start of that day plus this many (market/services/_bars.py).
    fail_bar_days: int = field(default_factory=lambda: int(_env("FAIL_BAR_DAYS", "365")))
    # Deadline transitions are also applied by `jiebang tick`; 0 turns the in-process ticker off.
    tick_seconds: int = field(default_factory=lambda: int(_env("TICK_SECONDS", "60")))
    session_max_age: int = field(default_factory=lambda: int(_env("SESSION_MAX_AGE", str(8 * 3600))))
    # A session also ends this long after sign-in, however active (the idle limit above is `session_max_age`).
    session_lifetime: int = field(default_factory=lambda: int(_env("SESSION_LIFETIME", str(12 * 3600))))
    # Served over HTTPS (directly or behind a TLS proxy): cookies become `__Host-`-prefixed and Secure, and every
    # answer carries Strict-Transport-Security.
    secure_cookies: bool = field(default_factory=lambda: _env("SECURE_COOKIES", "0") == "1")
    debug: bool = field(default_factory=lambda: _env("DEBUG", "0") == "1")
    demo_password: str = field(default_factory=lambda: _env("DEMO_PASSWORD", "jiebang-demo"))
    # Sign-in attempts (market/throttle.py): per client address a minute, generous because a training room shares
    # one address; per account name in a window, the real limit (a correct password clears it).
    login_rate_per_minute: int = field(default_factory=lambda: int(_env("LOGIN_RATE_PER_MINUTE", "60")))
    login_attempts_per_account: int = field(default_factory=lambda: int(_env("LOGIN_ATTEMPTS_PER_ACCOUNT", "10")))
    login_account_window: int = field(default_factory=lambda: int(_env("LOGIN_ACCOUNT_WINDOW", "900")))
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated). None by default: the
    # client is the socket's peer, whatever a request claims.
    trusted_proxies: str = field(default_factory=lambda: _env("TRUSTED_PROXIES", ""))
    # One JSON line per request on standard output (market/serving.py); 0 turns it off.
    access_log: bool = field(default_factory=lambda: _env("ACCESS_LOG", "1") != "0")
    # Participation points (积分制): days an approved entry stays in public notice (公示) before it counts; the
    # secret that keys a points statement's verification code (like the audit key, never in the database; unset, a
    # key kept in var/points_key); and a partner's published rule shown on statements as theirs, not the platform's.
    points_notice_days: int = field(default_factory=lambda: int(_env("POINTS_NOTICE_DAYS", "5")))
    points_key: str = field(default_factory=lambda: _env("POINTS_KEY", ""))
    points_partner_rule: str = field(
        default_factory=lambda: _env(
            "POINTS_PARTNER_RULE",
            "某农商银行“积分贷”公布的规则：积分每增加100分，贷款利率下调0.1个百分点，以银行审批为准。",
        )
    )
    # Where the public reaches the site (https://jiebang.example.cn): links meant to leave the page (a resident's
    # sign-up link, the one sent by SMS) are built from it. Unset, pages use the request's own address, and no
    # SMS is sent (a link built from a request's Host header must not go out to a phone).
    public_base_url: str = field(default_factory=lambda: _env("PUBLIC_BASE_URL", "").rstrip("/"))
    # A generic HTTP SMS gateway: POST {"to": number, "text": message} as JSON, with `Authorization: Bearer <token>`
    # when a token is set. Unset, residents who lost their link ask the organiser instead.
    sms_gateway_url: str = field(default_factory=lambda: _env("SMS_GATEWAY_URL", ""))
    sms_gateway_token: str = field(default_factory=lambda: _env("SMS_GATEWAY_TOKEN", ""))
    # Requests to send a lost link, per mobile number and per client address, in one hour.
    sms_per_number_per_hour: int = field(default_factory=lambda: int(_env("SMS_PER_NUMBER_PER_HOUR", "3")))
    sms_per_address_per_hour: int = field(default_factory=lambda: int(_env("SMS_PER_ADDRESS_PER_HOUR", "10")))
    # The audit chain's HMAC key. It must live outside the database (an environment secret), so that someone who
    # can write the database still cannot re-hash the chain after editing it. Unset: a key kept in var/audit_key.
    audit_key: str = field(default_factory=lambda: _env("AUDIT_KEY", ""))
    # Where `jiebang audit anchor` appends the chain's head, one JSON line each (default var/anchors/audit.jsonl).
    audit_anchor_file: str = field(default_factory=lambda: _env("AUDIT_ANCHOR_FILE", ""))
    # Residents' mobile numbers are sealed and hashed with keys derived from this secret (market/privacy.py); like
    # the audit key it never enters the database. Unset: a key kept in var/phone_key (development only).
    phone_key: str = field(default_factory=lambda: _env("PHONE_KEY", ""))
    # Secrets used before a rotation, comma-separated: numbers sealed under them still open until re-sealed.
    phone_previous_keys: str = field(default_factory=lambda: _env("PHONE_PREVIOUS_KEYS", ""))
    # Days after a class starts at which its residents' numbers are erased by the tick.
    phone_retention_days: int = field(default_factory=lambda: int(_env("PHONE_RETENTION_DAYS", "90")))
    # Open data (OCDS, market/services/_ocds): every task's ocid is this prefix, "-" and the task's id. Register a
    # prefix with the Open Contracting Partnership (ocds-xxxxxx) and set it before publishing: ocids must never change
    # afterwards. The default is deliberately not of the registered form, so unregistered data cannot pass for it.
    ocid_prefix: str = field(default_factory=lambda: _env("OCID_PREFIX", "jiebang"))
    # Who publishes the packages and runs the procedure (the procuring entity): the park's committee.
    ocds_publisher: str = field(default_factory=lambda: _env("OCDS_PUBLISHER", "综合党委"))

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def sms_enabled(self) -> bool:
        """Whether lost sign-up links may be sent by SMS: a gateway and the public address are both configured."""
        return bool(self.sms_gateway_url and self.public_base_url)

    @property
    def attachments_dir(self) -> Path:
        """Where proposal attachments are stored."""
        return self.var_dir / "attachments"

    def effective_secret(self) -> str:
        """The configured secret, or one kept in var/ so that every worker on this machine signs alike."""
        return self.secret_key or _stored_secret(self.var_dir / "secret_key")

    def effective_audit_key(self) -> bytes:
        """The audit chain's HMAC key: the configured one, or one generated once and kept in var/audit_key."""
        return (self.audit_key or _stored_secret(self.var_dir / "audit_key")).encode()

    def effective_phone_key(self) -> str:
        """The secret residents' numbers are sealed with: the configured one, or one kept in var/phone_key."""
        return self.phone_key or _stored_secret(self.var_dir / "phone_key")

    def effective_points_key(self) -> bytes:
        """The key of points statements' codes: the configured one, or one generated once into var/points_key."""
        return (self.points_key or _stored_secret(self.var_dir / "points_key")).encode()

    @property
    def anchor_path(self) -> Path:
        """The append-only file of published audit anchors."""
        return Path(self.audit_anchor_file) if self.audit_anchor_file else self.var_dir / "anchors" / "audit.jsonl"


@lru_cache(maxsize=4)
def _stored_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two workers start together exactly one writes the secret; the other reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            secret = path.read_text().strip()
            if secret:
                return secret
            time.sleep(0.01)
        raise RuntimeError(f"{path.name} is empty; delete it or set its JIEBANG_ setting") from None
    secret = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
