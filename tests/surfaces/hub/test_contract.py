"""The committed OpenAPI contract (docs/integrations/integrations.openapi.yaml) is what
`evcare openapi` writes from the routes now: regenerate it when this fails."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from evcare.surfaces.hub import contract
from tests.test_cli import cli_env, invoke

__all__ = ["cli_env"]

COMMITTED = Path(__file__).resolve().parents[3] / contract.EXPORT_PATH
STALE = "stale: run `.venv/bin/evcare openapi` from the repository's root and commit the file"


async def test_the_committed_contract_is_the_served_document(client: httpx.AsyncClient) -> None:
    served = (await client.get("/v1/openapi.json")).json()
    expected = contract.as_yaml({**served, "servers": [{"url": contract.MOUNT}]})
    assert COMMITTED.read_text(encoding="utf-8") == expected, STALE
    # It is plain OpenAPI that any YAML reader takes back as the same document.
    assert yaml.safe_load(expected) == {**served, "servers": [{"url": "/v1"}]}


async def test_evcare_openapi_writes_the_contract(cli_env: None, tmp_path: Path) -> None:
    target = tmp_path / "hub.yaml"
    result = await invoke("openapi", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), STALE
    printed = await invoke("openapi", "--output", "-")
    assert printed.stdout == target.read_text(encoding="utf-8")
