"""The three OpenAPI documents declare each route's real errors in the surface's shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

DOCUMENTS = {
    "/api/v1/openapi.json": "CmsError",
    "/openapi.json": "RevCareError",
    "/v1/openapi.json": "HubError",
}


async def _document(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _error_ref(operation: dict[str, Any], status: str) -> str:
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return str(schema["$ref"])


@pytest.mark.parametrize(("url", "schema_name"), DOCUMENTS.items())
async def test_every_error_response_uses_the_surfaces_error_schema(
    client: httpx.AsyncClient, url: str, schema_name: str
) -> None:
    document = await _document(client, url)
    assert schema_name in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in operation["responses"]:
                if status.startswith(("4", "5")):
                    assert _error_ref(operation, status) == f"#/components/schemas/{schema_name}", (
                        method,
                        path,
                        status,
                    )


async def test_cms_routes_declare_auth_not_found_validation_and_rate_limit_errors(
    client: httpx.AsyncClient,
) -> None:
    paths = (await _document(client, "/api/v1/openapi.json"))["paths"]
    station = paths["/stations/{station_id}"]
    assert {"401", "403", "404", "422", "429"} <= station["get"]["responses"].keys()
    assert {"400", "409"} <= station["put"]["responses"].keys()
    assert {"401", "403"}.isdisjoint(paths["/auth/login"]["post"]["responses"])
    assert {"400", "409", "422", "429"} <= paths["/auth/login"]["post"]["responses"].keys()
    assert "404" not in paths["/auth/login"]["post"]["responses"]


async def test_revcare_public_reads_are_marked_public_and_writes_need_a_token(
    client: httpx.AsyncClient,
) -> None:
    document = await _document(client, "/openapi.json")
    paths = document["paths"]
    public = paths["/auth/login"]["post"]
    assert public["security"] == []
    assert {"401", "403"}.isdisjoint(public["responses"])
    assert "429" in public["responses"]
    create = paths["/services/category"]["post"]
    assert create["security"] == [{"HTTPBearer": []}]
    assert {"401", "403", "409", "422"} <= create["responses"].keys()
    assert "429" not in create["responses"]
    reads = [
        operation
        for operations in paths.values()
        for method, operation in operations.items()
        if method == "get" and "401" not in operation["responses"]
    ]
    assert reads, "RevCare has public reads"
    assert all(operation["security"] == [] for operation in reads)


async def test_a_public_read_with_an_optional_token_lists_no_token_as_an_alternative(
    client: httpx.AsyncClient,
) -> None:
    paths = (await _document(client, "/openapi.json"))["paths"]
    optional = [
        operation
        for operations in paths.values()
        for operation in operations.values()
        if {} in operation.get("security", [None])
    ]
    assert optional, "no RevCare read takes an optional token"
    for operation in optional:
        assert {"HTTPBearer": []} in operation["security"] or len(operation["security"]) > 1
        assert "401" in operation["responses"] and "403" not in operation["responses"]
