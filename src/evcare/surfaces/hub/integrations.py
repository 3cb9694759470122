"""HUB.md "Integrations and credentials (admin)": integrations, their credentials, the
go-live checklist, the bundles and the access questionnaire."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import EmailStr, Field, HttpUrl, model_validator

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import questionnaire
from evcare.integrations import service as integrations
from evcare.integrations.bundles import (
    BUNDLE_DESCRIPTIONS,
    BUNDLE_ROLE_HINTS,
    BUNDLE_SCOPES,
    Bundle,
)
from evcare.integrations.models import Integration, IntegrationStatus
from evcare.surfaces.catalog import RouteCatalog
from evcare.surfaces.deps import Authenticator, CredentialsDep
from evcare.surfaces.hub.schemas import (
    HubModel,
    IntegrationIdPath,
    Paged,
    PaginationOut,
    StrictHubModel,
    no_store,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import OrganizationId

router = APIRouter(prefix="/integrations", tags=["integrations"], route_class=IdempotentRoute)

IntegrationsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_INTEGRATIONS))]
_write = Authenticator(Scope.WRITE_INTEGRATIONS)
IntegrationsWrite = Annotated[Principal, Depends(_write)]
# Every POST of /v1 takes an Idempotency-Key (HUB.md "Idempotency").
_once = idempotent(_write)


def get_catalog(request: Request) -> RouteCatalog:
    catalog: RouteCatalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[RouteCatalog, Depends(get_catalog)]

Name = Annotated[str, Field(min_length=1, max_length=200)]
Endpoints = Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=500)]
RedirectUris = Annotated[list[HttpUrl], Field(max_length=20)]
Bundles = Annotated[list[Bundle], Field(min_length=1, max_length=4)]


class IntegrationIn(StrictHubModel):
    name: Name
    organization_id: OrganizationId | None = None
    organization_name: Name | None = None
    bundles: Bundles
    allowed_endpoints: Endpoints = []
    redirect_uris: RedirectUris = []
    contact_email: EmailStr

    @model_validator(mode="after")
    def _one_organization(self) -> IntegrationIn:
        if self.organization_id is not None and self.organization_name is not None:
            raise ValueError("give organizationId or organizationName, not both")
        return self


class IntegrationPatch(StrictHubModel):
    name: Name | None = None
    bundles: Bundles | None = None
    allowed_endpoints: Endpoints | None = None
    redirect_uris: RedirectUris | None = None
    status: IntegrationStatus | None = None


class IntegrationOut(HubModel):
    id: str
    name: str
    organization_id: str
    status: str
    bundles: list[str]
    allowed_endpoints: list[str]
    redirect_uris: list[str]
    contact_email: str
    client_id: str
    secret_rotated_at: datetime
    credentials_revoked_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, integration: Integration) -> IntegrationOut:
        return cls(
            id=integration.id,
            name=integration.name,
            organization_id=integration.organization_id,
            status=integration.status,
            bundles=list(integration.bundles),
            allowed_endpoints=list(integration.allowed_endpoints),
            redirect_uris=list(integration.redirect_uris),
            contact_email=integration.contact_email,
            client_id=integration.client_id,
            secret_rotated_at=integration.secret_rotated_at,
            credentials_revoked_at=integration.credentials_revoked_at,
            created_at=integration.created_at,
            updated_at=integration.updated_at,
        )


class CredentialsOut(HubModel):
    client_id: str
    client_secret: str


class CreatedOut(HubModel):
    integration: IntegrationOut
    credentials: CredentialsOut


class RotateIn(StrictHubModel):
    overlap_seconds: Annotated[int, Field(ge=0, le=604_800)] = 86_400


class RotatedOut(HubModel):
    client_id: str
    client_secret: str
    previous_secret_expires_at: datetime


class CheckOut(HubModel):
    check: str
    passed: bool
    hint: str


class ReadinessOut(HubModel):
    integration_id: str
    ready: bool
    checks: list[CheckOut]


class EndpointOut(HubModel):
    method: str
    path: str


class BundleOut(HubModel):
    bundle: str
    description: str
    scopes: list[str]
    role_hints: list[str]
    endpoints: list[EndpointOut]


class BundlesOut(HubModel):
    data: list[BundleOut]


class AnswersIn(StrictHubModel):
    manages_organization: bool = False
    manages_fleet: bool = False
    has_drivers: bool = False
    serves_clients: bool = False
    needs_sign_in: bool = False
    embeds_portal: bool = False
    takes_payments: bool = False


class QuestionnaireIn(StrictHubModel):
    answers: AnswersIn


class RecommendationOut(HubModel):
    recommended_bundles: list[str]
    confidence: float
    scope_hints: list[str]
    rationale: list[str]


@router.post("", status_code=201, operation_id="hub_create_integration", dependencies=[_once])
async def create_integration(
    body: IntegrationIn,
    principal: IntegrationsWrite,
    session: SessionDep,
    credentials: CredentialsDep,
    catalog: CatalogDep,
    response: Response,
) -> CreatedOut:
    """Register a partner. The client secret is in this response only; store it now."""
    integration, issued = await integrations.create_integration(
        session,
        credentials,
        principal,
        name=body.name,
        organization_id=body.organization_id,
        organization_name=body.organization_name,
        bundles=body.bundles,
        allowed_endpoints=body.allowed_endpoints,
        redirect_uris=[str(uri) for uri in body.redirect_uris],
        contact_email=body.contact_email,
        known_endpoints=catalog.keys,
    )
    no_store(response)
    return CreatedOut(
        integration=IntegrationOut.of(integration),
        credentials=CredentialsOut(client_id=issued.client_id, client_secret=issued.client_secret),
    )


@router.get("", operation_id="hub_list_integrations")
async def list_integrations(
    principal: IntegrationsRead,
    session: SessionDep,
    page: Pagination,
    status: Annotated[IntegrationStatus | None, Query()] = None,
) -> Paged[IntegrationOut]:
    found = await integrations.list_integrations(session, principal, page, status=status)
    return Paged(
        data=[IntegrationOut.of(item) for item in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.get("/bundles", operation_id="hub_list_bundles")
async def list_bundles(catalog: CatalogDep) -> BundlesOut:
    """What each bundle grants: its scopes, the role hints it allows, and every endpoint
    of the three surfaces whose required scopes it holds (read from the routes)."""
    return BundlesOut(
        data=[
            BundleOut(
                bundle=bundle,
                description=BUNDLE_DESCRIPTIONS[bundle],
                scopes=sorted(BUNDLE_SCOPES[bundle]),
                role_hints=sorted(BUNDLE_ROLE_HINTS[bundle]),
                endpoints=[
                    EndpointOut(method=endpoint.method, path=endpoint.path)
                    for endpoint in catalog.granted_by(BUNDLE_SCOPES[bundle])
                ],
            )
            for bundle in Bundle
        ]
    )


@router.post("/questionnaire/recommend", operation_id="hub_recommend_bundles", dependencies=[_once])
async def recommend(body: QuestionnaireIn, principal: IntegrationsWrite) -> RecommendationOut:
    """Deterministic rules (docs/integrations/questionnaire.md): answers -> bundles."""
    result = questionnaire.recommend(
        questionnaire.Answers(**body.answers.model_dump(by_alias=False))
    )
    return RecommendationOut(
        recommended_bundles=[str(bundle) for bundle in result.bundles],
        confidence=result.confidence,
        scope_hints=result.scope_hints,
        rationale=result.rationale,
    )


@router.get("/{integrationId}", operation_id="hub_get_integration")
async def get_integration(
    integration_id: IntegrationIdPath, principal: IntegrationsRead, session: SessionDep
) -> IntegrationOut:
    return IntegrationOut.of(await integrations.get_integration(session, principal, integration_id))


@router.patch("/{integrationId}", operation_id="hub_update_integration")
async def update_integration(
    integration_id: IntegrationIdPath,
    body: IntegrationPatch,
    principal: IntegrationsWrite,
    session: SessionDep,
    catalog: CatalogDep,
) -> IntegrationOut:
    integration = await integrations.update_integration(
        session,
        principal,
        integration_id,
        known_endpoints=catalog.keys,
        name=body.name,
        bundles=body.bundles,
        allowed_endpoints=body.allowed_endpoints,
        redirect_uris=None if body.redirect_uris is None else [str(u) for u in body.redirect_uris],
        status=body.status,
    )
    return IntegrationOut.of(integration)


@router.delete("/{integrationId}", status_code=204, operation_id="hub_delete_integration")
async def delete_integration(
    integration_id: IntegrationIdPath, principal: IntegrationsWrite, session: SessionDep
) -> Response:
    await integrations.delete_integration(session, principal, integration_id)
    return Response(status_code=204)


@router.post(
    "/{integrationId}/credentials/rotate",
    operation_id="hub_rotate_credentials",
    dependencies=[_once],
)
async def rotate_credentials(
    integration_id: IntegrationIdPath,
    principal: IntegrationsWrite,
    session: SessionDep,
    response: Response,
    body: RotateIn | None = None,
) -> RotatedOut:
    """A new secret; the previous one keeps working for ``overlapSeconds``, then not."""
    overlap = timedelta(seconds=(body or RotateIn()).overlap_seconds)
    issued = await integrations.rotate_credentials(
        session, principal, integration_id, overlap=overlap
    )
    assert issued.previous_secret_expires_at is not None
    no_store(response)
    return RotatedOut(
        client_id=issued.client_id,
        client_secret=issued.client_secret,
        previous_secret_expires_at=issued.previous_secret_expires_at,
    )


@router.post(
    "/{integrationId}/credentials/revoke",
    operation_id="hub_revoke_credentials",
    dependencies=[_once],
)
async def revoke_credentials(
    integration_id: IntegrationIdPath, principal: IntegrationsWrite, session: SessionDep
) -> IntegrationOut:
    """Every secret and token of the integration is refused at once."""
    return IntegrationOut.of(
        await integrations.revoke_credentials(session, principal, integration_id)
    )


@router.get("/{integrationId}/readiness", operation_id="hub_integration_readiness")
async def integration_readiness(
    integration_id: IntegrationIdPath, principal: IntegrationsRead, session: SessionDep
) -> ReadinessOut:
    integration, checks = await integrations.readiness(session, principal, integration_id)
    return ReadinessOut(
        integration_id=integration.id,
        ready=all(check.passed for check in checks),
        checks=[CheckOut(check=c.check, passed=c.passed, hint=c.hint) for c in checks],
    )
