"""``/developer-hub``: seed 000's page. The four bundles, the quickstart cURL sequence
against this server's own base URL, how platforms connect, the documentation library,
and (for a signed-in admin) the access questionnaire over
:func:`evcare.integrations.questionnaire.recommend`, the rules behind
``POST /v1/integrations/questionnaire/recommend``."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel
from starlette.responses import Response

from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import questionnaire
from evcare.integrations.bundles import BUNDLE_DESCRIPTIONS, Bundle
from evcare.surfaces.console.auth import MaybeSignedIn, PageAuthenticator
from evcare.surfaces.console.developer_hub import library
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render

router = APIRouter(prefix="/developer-hub", route_class=ConsoleRoute, include_in_schema=False)

# The questionnaire is the admin API's: an admin who may write integrations.
QuestionnaireUser = Annotated[
    Principal, Depends(PageAuthenticator(Scope.WRITE_INTEGRATIONS, roles={Role.ADMIN}))
]

# The questions, in the words of docs/integrations/questionnaire.md.
QUESTIONS: dict[str, str] = {
    "manages_organization": "You manage an organization and its subordinate accounts",
    "manages_fleet": "You run a fleet's vehicles, maintenance and tickets",
    "has_drivers": "Drivers are assigned the fleet's vehicles",
    "serves_clients": "Your customers self-serve (vehicles, sessions, tickets)",
    "needs_sign_in": "Your users sign in to EVCare through your platform",
    "embeds_portal": "You embed EVCare's hosted portal",
    "takes_payments": "You pay EVCare subscriptions through Paystack",
}
assert set(QUESTIONS) == {field.name for field in fields(questionnaire.Answers)}


class AnswersForm(BaseModel):
    manages_organization: bool = False
    manages_fleet: bool = False
    has_drivers: bool = False
    serves_clients: bool = False
    needs_sign_in: bool = False
    embeds_portal: bool = False
    takes_payments: bool = False


def _page(request: Request, principal: Principal | None, **extra: Any) -> Response:
    base_url = str(request.base_url).rstrip("/")
    context = {
        "title": "Developer hub",
        "base_url": base_url,
        "bundles": [(bundle.value, BUNDLE_DESCRIPTIONS[bundle]) for bundle in Bundle],
        "library": [(document, library.available(document)) for document in library.LIBRARY],
        "questions": QUESTIONS,
        "may_ask": principal is not None and principal.is_admin,
        "answers": {},
        "recommendation": None,
        **extra,
    }
    return render(request, "developer_hub/page.html", context)


@router.get("")
async def developer_hub(request: Request, principal: MaybeSignedIn) -> Response:
    return _page(request, principal)


@router.post("/questionnaire")
async def recommend(
    request: Request, principal: QuestionnaireUser, form: Annotated[AnswersForm, Form()]
) -> Response:
    answers = questionnaire.Answers(**form.model_dump())
    return _page(
        request,
        principal,
        answers=form.model_dump(),
        recommendation=questionnaire.recommend(answers),
    )


@router.get("/docs/{folder}/{name}")
async def document(request: Request, principal: MaybeSignedIn, folder: str, name: str) -> Response:
    page = library.render_document(folder, name)
    return render(request, "developer_hub/document.html", {"title": page.title, "document": page})
