"""Settings read from the environment (prefix ``EVCARE_``) and an optional ``.env`` file."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "evcare-development-secret-change-me"  # refused outside development
# A Fernet key (32 url-safe base64 bytes) for KYC document numbers; refused in production.
DEVELOPMENT_KYC_KEY = "ZXZjYXJlLWRldmVsb3BtZW50LWt5Yy1rZXktMDAwMDA="


class Settings(BaseSettings):
    """Everything EVCare can be told from outside; defaults run it embedded on SQLite."""

    model_config = SettingsConfigDict(env_prefix="EVCARE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; defaults to a SQLite file in data_dir.",
    )
    redis_url: str | None = None
    redis_namespace: str = Field(
        default="evcare",
        max_length=64,
        description="Prefix of Redis keys and channels, so deployments can share a server.",
    )

    host: str = "127.0.0.1"
    port: int = 5000

    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    # Access-token lifetime per surface, as each seed document promises (RevCare: 30
    # minutes; EV-CMS: 1 hour). A refresh issues its own surface's lifetime.
    cms_access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    revcare_access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=7, ge=1, le=90)
    # Argon2id cost; tests lower it, production keeps the library's recommended values.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)

    rate_limit: str = Field(default="100/15minutes", description="`limits` notation, per IP")
    rate_limit_enabled: bool = True
    trust_forwarded_for: bool = False
    # Password sign-in on every surface (core/lockout.py): failures of one account before
    # it is locked, for how long, after how many failures it must wait (1 s, 2 s, 4 s ...)
    # between attempts, and failed attempts allowed per IP whatever the account.
    sign_in_max_failures: int = Field(default=10, ge=2, le=1000)
    sign_in_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    sign_in_slowdown_after: int = Field(default=5, ge=0, le=1000)
    sign_in_ip_limit: str = Field(default="50/15minutes", description="`limits` notation")
    # Developer hub (/v1): requests per caller (token subject, or IP when anonymous).
    hub_rate_limit: str = Field(default="600/minute", description="`limits` notation")
    # ... and per partner integration: its own token and every token of a user it signed
    # in share one counter.
    hub_integration_rate_limit: str = Field(default="1200/minute", description="`limits` notation")
    # How often each process adds its in-memory usage counts to the database.
    hub_usage_flush_seconds: float = Field(default=10.0, gt=0, le=3600)

    # Razorpay (RevCare online payments). Without keys a local sandbox provider answers.
    razorpay_key_id: str | None = Field(default=None, max_length=100)
    razorpay_key_secret: SecretStr | None = None
    razorpay_webhook_secret: SecretStr | None = None
    razorpay_base_url: str = "https://api.razorpay.com"
    paystack_secret_key: SecretStr | None = None
    paystack_base_url: str = "https://api.paystack.co"
    # Email (notifications). Without a host no email is sent; it is recorded as logged.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "EVCare <no-reply@evcare.dev>"
    smtp_starttls: bool = True
    # Text messages (notifications) through Twilio's Messages API; all three or no SMS.
    twilio_account_sid: str | None = Field(default=None, max_length=64)
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = Field(default=None, max_length=64, description="E.164 or MG...")
    twilio_base_url: str = "https://api.twilio.com"
    # KYC document numbers are encrypted with this Fernet key (``Fernet.generate_key()``).
    kyc_encryption_key: SecretStr = SecretStr(DEVELOPMENT_KYC_KEY)
    # The origin clients reach EVCare at, for upload URLs (``https://cms.example.com``);
    # unset, each URL is built from the request that asked for it.
    public_url: str | None = Field(default=None, max_length=200, pattern=r"^https?://[^/\s]+$")
    # RevCare cancellation fee once a mechanic is assigned, percent of the booking total.
    booking_cancellation_fee_percent: int = Field(default=10, ge=0, le=100)

    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    # Webhooks (docs/developer-hub/05-webhooks-and-reliability.md). Private, loopback and
    # link-local targets are refused unless allowed here (development and tests only);
    # https is required in production.
    webhook_allow_private_networks: bool = False
    # Deliver in this process (the embedded default); false when `evcare worker`
    # processes deliver instead.
    webhook_deliver_in_process: bool = True
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    # Attempts in flight at once to one endpoint, and in all, per process.
    webhook_endpoint_concurrency: int = Field(default=4, ge=1, le=100)
    webhook_max_in_flight: int = Field(default=256, ge=1, le=10_000)
    # A charger not heard from this long (no heartbeat, status or boot; it is told to
    # send a heartbeat every 300 s) is Offline and its active sessions are marked
    # interrupted; checked every ``ocpp_vanished_check_seconds`` (docs/ocpp.md).
    ocpp_offline_grace_seconds: float = Field(default=900.0, ge=60)
    ocpp_vanished_check_seconds: float = Field(default=60.0, gt=0)
    # Freeze surviving objects this often so collector pauses stay short (core/gcpacing.py);
    # 0 leaves CPython's collector as it is.
    gc_freeze_seconds: float = Field(default=10.0, ge=0, le=3600)
    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"

    @field_validator(
        "rate_limit", "sign_in_ip_limit", "hub_rate_limit", "hub_integration_rate_limit"
    )
    @classmethod
    def _is_a_limit(cls, value: str) -> str:
        parse(value)  # ValueError on anything `limits` cannot read
        return value

    @field_validator("kyc_encryption_key")
    @classmethod
    def _is_a_fernet_key(cls, value: SecretStr) -> SecretStr:
        try:
            if len(base64.urlsafe_b64decode(value.get_secret_value().encode())) == 32:
                return value
        except (ValueError, binascii.Error):
            pass
        raise ValueError("must be a Fernet key: 32 url-safe base64-encoded bytes")

    @model_validator(mode="after")
    def _slow_down_before_locking(self) -> Settings:
        if self.sign_in_slowdown_after >= self.sign_in_max_failures:
            raise ValueError("EVCARE_SIGN_IN_SLOWDOWN_AFTER must be below SIGN_IN_MAX_FAILURES")
        return self

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if (
            self.environment == "production"
            and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET
        ):
            raise ValueError(
                "EVCARE_SECRET_KEY must be set to a secret of your own outside development"
            )
        if self.environment == "production" and self.webhook_allow_private_networks:
            raise ValueError("EVCARE_WEBHOOK_ALLOW_PRIVATE_NETWORKS is for development only")
        if self.environment == "production" and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("EVCARE_SECRET_KEY must be at least 32 characters in production")
        if (
            self.environment == "production"
            and self.kyc_encryption_key.get_secret_value() == DEVELOPMENT_KYC_KEY
        ):
            raise ValueError(
                "EVCARE_KYC_ENCRYPTION_KEY must be set to a Fernet key of your own outside "
                "development"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'evcare.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
