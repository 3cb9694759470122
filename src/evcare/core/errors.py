"""Typed domain errors. Services raise these; each surface renders them in its own shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    status_code: ClassVar[int] = 400
    title: ClassVar[str] = "Bad Request"
    code: ClassVar[str] = "bad_request"
    # When true the request's transaction is committed although the request fails:
    # used for security state that must survive the error (a revoked token family).
    keep_changes: ClassVar[bool] = False

    def __init__(self, detail: str, *, fields: list[FieldError] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or []
        self.extra = extra


class BusinessRuleViolation(DomainError):
    status_code = 400
    title = "Bad Request"
    code = "business_rule_violation"


class ValidationFailed(DomainError):
    status_code = 422
    title = "Validation failed"
    code = "validation_failed"


class Unauthorized(DomainError):
    status_code = 401
    title = "Unauthorized"
    code = "unauthorized"


class InvalidCredentials(Unauthorized):
    """Wrong secret or unknown client: one answer for both, so neither is confirmed."""

    code = "invalid_credentials"


class TokenExpired(Unauthorized):
    code = "token_expired"


class TokenRevoked(Unauthorized):
    code = "token_revoked"


class TokenReuseDetected(Unauthorized):
    """A spent refresh token came back: its whole family is revoked and stays revoked."""

    keep_changes = True
    code = "refresh_token_reused"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"
    code = "forbidden"


class BundleForbidden(Forbidden):
    """A partner's token asks for what its integration's bundles do not grant."""

    code = "bundle_forbidden"


class EndpointNotAllowed(Forbidden):
    """The route is not on the integration's allowlist (the last gate)."""

    code = "endpoint_not_allowed"


class WorkshopNotAllowed(Forbidden):
    """A fleet in ``allowed_only`` selection asked for a workshop not on its allowed list."""

    code = "workshop_not_allowed"


class SessionCodeInvalid(BusinessRuleViolation):
    """A session code that is unknown, already used or expired (one answer for all three)."""

    code = "session_code_invalid"


class IdempotencyKeyRequired(BusinessRuleViolation):
    """A route that must not run twice by accident was called without ``Idempotency-Key``."""

    code = "idempotency_key_required"


class IdempotencyKeyReused(ValidationFailed):
    """The ``Idempotency-Key`` was used before with another request (method, path, body)."""

    code = "idempotency_key_reused"


class WebhookUrlRefused(ValidationFailed):
    """A webhook URL EVCare will not call: not https outside development, or resolving to
    a loopback, private, link-local or reserved address (docs: the SSRF guard)."""

    code = "webhook_url_refused"


class NotFound(DomainError):
    status_code = 404
    title = "Not Found"
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"
    code = "conflict"


class IdempotencyInProgress(Conflict):
    """The first request with this ``Idempotency-Key`` is still running."""

    code = "idempotency_in_progress"


class ContentTooLarge(DomainError):
    """A body or file larger than the limit for it; refused before it is read whole."""

    status_code = 413
    title = "Content Too Large"
    code = "content_too_large"


class TooManyRequests(DomainError):
    """Refused for now: too many sign-in attempts, or too many requests from one caller.

    ``retry_after`` (seconds) becomes the ``Retry-After`` header, ``headers`` (the
    limiter's counters) are sent as they are. The request's changes are kept: the lock
    notice published together with this error must go out."""

    status_code = 429
    title = "Too Many Requests"
    code = "too_many_requests"
    keep_changes = True

    def __init__(
        self,
        detail: str = "Too many requests, please try again later",
        *,
        retry_after: int,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail, retry_after=max(int(retry_after), 1), headers=headers or {})


class Unavailable(DomainError):
    """A dependency we need (a charger, a provider) cannot be reached right now."""

    status_code = 503
    title = "Service Unavailable"
    code = "unavailable"


class PaymentProviderError(Unavailable):
    """Paystack refused, could not be reached, or is not configured in production."""

    code = "payment_provider_error"


class UpstreamTimeout(DomainError):
    status_code = 504
    title = "Gateway Timeout"
    code = "upstream_timeout"


@dataclass
class ErrorReport:
    """What a surface needs to render any failure, domain or not."""

    status_code: int
    title: str
    detail: str
    code: str
    fields: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
