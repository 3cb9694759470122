"""HUB.md "Partner sign-in": client-credentials tokens, federated user exchange, session
code redemption and token revocation (RFC 7009)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request, Response
from pydantic import EmailStr, Field, ValidationError

from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, ValidationFailed
from evcare.core.transactions import SessionDep
from evcare.identity.models import AccountRole, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import service as integrations
from evcare.surfaces.deps import Authenticator, CredentialsDep
from evcare.surfaces.hub.schemas import HubModel, StrictHubModel, no_store
from evcare.surfaces.idempotency import IdempotentRoute, accepts_key, idempotent
from evcare.surfaces.ids import IntegrationId

router = APIRouter(
    prefix="/integrations/auth", tags=["partner sign-in"], route_class=IdempotentRoute
)

_federate = Authenticator(Scope.FEDERATE_USERS)
Federator = Annotated[Principal, Depends(_federate)]
Secret = Annotated[str, Field(min_length=1, max_length=256)]


class ClientTokenIn(StrictHubModel):
    client_id: Secret
    client_secret: Secret


class ClientTokenOut(HubModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str
    integration_id: str


class ExchangeIn(StrictHubModel):
    integration_id: IntegrationId
    external_subject: Annotated[str, Field(min_length=1, max_length=255)]
    email: EmailStr
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    role_hint: AccountRole


class UserOut(HubModel):
    id: str
    email: str
    role: str

    @classmethod
    def of(cls, user: User, role: AccountRole) -> UserOut:
        return cls(id=str(user.id), email=user.email, role=role)


class ExchangeOut(HubModel):
    session_code: str
    expires_in: int
    user: UserOut
    created: bool


class SessionIn(StrictHubModel):
    session_code: Annotated[str, Field(min_length=1, max_length=128)]


class SessionOut(HubModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    user: UserOut


class RevokeIn(HubModel):
    token: Annotated[str, Field(min_length=1, max_length=4096)]
    token_type_hint: str | None = None


_CLIENT_TOKEN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": ClientTokenIn.model_json_schema(by_alias=True)},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                    "required": ["grant_type"],
                }
            },
        },
    }
}


async def _client_credentials(request: Request) -> ClientTokenIn:
    """The credentials from a JSON body, the OAuth2 form, or HTTP Basic (RFC 6749 2.3.1)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw: dict[str, Any] = {}
    if content_type == "application/json":
        try:
            raw = await request.json()
        except ValueError as error:
            raise ValidationFailed(
                "Body is not valid JSON", fields=[FieldError("body", "invalid JSON")]
            ) from error
        if not isinstance(raw, dict):
            raise ValidationFailed(
                "Body must be an object", fields=[FieldError("body", "must be an object")]
            )
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            raise ValidationFailed(
                "grant_type must be client_credentials",
                fields=[FieldError("grant_type", "must be client_credentials")],
            )
        raw = {
            key: value
            for key, value in (
                ("clientId", form.get("client_id")),
                ("clientSecret", form.get("client_secret")),
            )
            if isinstance(value, str)
        }
    basic = _basic_credentials(request.headers.get("authorization", ""))
    if basic is not None:
        raw = {**raw, "clientId": basic[0], "clientSecret": basic[1]}
    try:
        return ClientTokenIn.model_validate(raw)
    except ValidationError as error:
        fields = [
            FieldError(".".join(str(p) for p in item["loc"]) or "body", item["msg"])
            for item in error.errors()
        ]
        raise ValidationFailed("clientId and clientSecret are required", fields=fields) from None


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 2.3.1: both parts are form-urlencoded before Base64.
    return unquote(client_id.replace("+", " ")), unquote(client_secret.replace("+", " "))


@router.post(
    "/client-token",
    operation_id="hub_client_token",
    openapi_extra=_CLIENT_TOKEN_BODY,
    dependencies=[accepts_key],
)
async def client_token(
    request: Request, session: SessionDep, credentials: CredentialsDep, response: Response
) -> ClientTokenOut:
    """Client credentials -> a short-lived integration token with its bundles' scopes."""
    body = await _client_credentials(request)
    token = await integrations.issue_client_token(
        session, credentials, client_id=body.client_id, client_secret=body.client_secret
    )
    no_store(response)
    return ClientTokenOut(
        access_token=token.access_token,
        expires_in=max(0, int((token.expires_at - utcnow()).total_seconds())),
        scope=" ".join(sorted(token.scopes)),
        integration_id=token.integration_id,
    )


@router.post("/exchange", operation_id="hub_exchange", dependencies=[idempotent(_federate)])
async def exchange(
    body: ExchangeIn,
    principal: Federator,
    session: SessionDep,
    credentials: CredentialsDep,
    response: Response,
) -> ExchangeOut:
    """Map your user to an EVCare user (created on first sight) -> a session code."""
    result = await integrations.exchange(
        session,
        credentials,
        principal,
        integration_id=body.integration_id,
        external_subject=body.external_subject,
        email=body.email,
        name=body.name,
        role_hint=body.role_hint,
    )
    no_store(response)
    return ExchangeOut(
        session_code=result.session_code,
        expires_in=int(integrations.SESSION_CODE_LIFETIME.total_seconds()),
        user=UserOut.of(result.user, result.role),
        created=result.created,
    )


@router.post("/session", operation_id="hub_session", dependencies=[accepts_key])
async def redeem_session(
    body: SessionIn, session: SessionDep, credentials: CredentialsDep, response: Response
) -> SessionOut:
    """The browser redeems a session code once for the user's access and refresh token."""
    result = await integrations.redeem_session_code(
        session, credentials, session_code=body.session_code
    )
    no_store(response)
    return SessionOut(
        access_token=result.tokens.access_token,
        refresh_token=result.tokens.refresh_token,
        expires_in=max(0, int((result.tokens.access_expires_at - utcnow()).total_seconds())),
        user=UserOut.of(result.user, result.role),
    )


@router.post("/revoke", operation_id="hub_revoke_token", dependencies=[accepts_key])
async def revoke_token(
    body: RevokeIn, session: SessionDep, credentials: CredentialsDep
) -> dict[str, str]:
    """RFC 7009: 200 whether or not the token was known; its sign-in ends if it was."""
    await integrations.revoke_token(session, credentials, token=body.token)
    return {}
