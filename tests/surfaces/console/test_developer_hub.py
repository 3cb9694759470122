"""The developer hub page over plain HTTP: seed 000's content, the library, the
questionnaire's access rules."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.identity import make_user


async def test_the_hub_page_is_public_and_carries_the_seeds_content(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/developer-hub")
    assert page.status_code == 200
    text = page.text
    for bundle in ("ORGANIZATION_ACCESS", "FLEET_MANAGER_ACCESS", "CLIENT_ACCESS", "ALL_ACCESS"):
        assert f"<code>{bundle}</code>" in text
    assert 'API_BASE="http://testserver"' in text
    assert "/v1/integrations/auth/client-token" in text
    assert "How External Platforms Connect" in text
    assert 'href="/developer-hub/docs/developer-hub/01-quickstart"' in text
    assert 'href="/developer-hub/docs/integrations/questionnaire"' in text
    # Anonymous: the questionnaire is explained, not offered.
    assert "Requires authenticated admin access" in text
    assert 'action="/developer-hub/questionnaire' not in text


async def test_the_quickstart_names_the_servers_own_base_url(app: object) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.example") as c:
        page = await c.get("/developer-hub")
    assert 'API_BASE="https://hub.example"' in page.text


async def test_a_library_document_is_rendered_with_links_to_its_neighbours(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/developer-hub/docs/developer-hub/README")
    assert page.status_code == 200
    assert "<table>" in page.text
    assert 'href="/developer-hub/docs/developer-hub/01-quickstart"' in page.text
    assert 'href="/developer-hub/docs/integrations/questionnaire"' in page.text
    doc = await client.get("/developer-hub/docs/developer-hub/03-federated-login-and-embed")
    assert '<h2 id="socketio">' in doc.text


async def test_raw_html_in_a_document_is_never_rendered_as_html() -> None:
    from evcare.surfaces.console.developer_hub import library

    tokens = library._markdown.render("<script>alert(1)</script>\n\n[x](javascript:alert(1))")
    assert "<script>" not in tokens
    assert 'href="javascript:' not in tokens


async def test_an_unknown_or_outside_document_is_a_404_page(client: httpx.AsyncClient) -> None:
    for path in ("/developer-hub/docs/developer-hub/nope", "/developer-hub/docs/secrets/README"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "No such document" in response.text
    # A decoded slash is no document name: no route takes it.
    escaped = await client.get("/developer-hub/docs/developer-hub/..%2F..%2FREADME")
    assert escaped.status_code == 404


async def test_an_admin_gets_a_recommendation_with_confidence_and_rationale(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await console_sign_in(client, admin)
    page = await client.get("/developer-hub")
    assert 'action="/developer-hub/questionnaire' in page.text
    result = await client.post(
        "/developer-hub/questionnaire",
        data={"csrf_token": csrf_of(page), "manages_fleet": "true", "needs_sign_in": "true"},
    )
    assert result.status_code == 200
    assert "<code>FLEET_MANAGER_ACCESS</code>, <code>CLIENT_ACCESS</code>" in result.text
    assert "85%" in result.text
    assert "You run a fleet&#39;s vehicles and maintenance: FLEET_MANAGER_ACCESS." in result.text
    assert 'id="q-manages_fleet" name="manages_fleet" value="true" checked' in result.text


async def test_the_questionnaire_is_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = csrf_of(await client.get("/developer-hub"))
    anonymous = await client.post("/developer-hub/questionnaire", data={"csrf_token": token})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?next=")
    brand = await make_user(runtime, role=Role.BRAND)
    await console_sign_in(client, brand)
    token = csrf_of(await client.get("/developer-hub"))
    refused = await client.post("/developer-hub/questionnaire", data={"csrf_token": token})
    assert refused.status_code == 403


async def test_the_questionnaire_refuses_a_missing_token_and_a_bad_answer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await console_sign_in(client, admin)
    no_token = await client.post("/developer-hub/questionnaire", data={"manages_fleet": "true"})
    assert no_token.status_code == 403
    token = csrf_of(await client.get("/developer-hub"))
    bad = await client.post(
        "/developer-hub/questionnaire", data={"csrf_token": token, "manages_fleet": "perhaps"}
    )
    assert bad.status_code == 422
    assert "manages_fleet" in bad.text
