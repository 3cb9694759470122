"""Schemathesis against the three OpenAPI documents: no 500, and every answer matches its
documented schema (status and body), for valid and invalid input, signed in as an admin.

A bounded, deterministic run: Hypothesis draws ``EXAMPLES`` cases per operation and
generation mode with ``derandomize=True`` (the same cases every run, no example
database), then each case is sent through the test app (``httpx.ASGITransport``, the
same app and database as every other test) and checked with schemathesis's own
``not_a_server_error`` and ``response_schema_conformance``. Generation and sending are
separate because the app lives on the test's event loop; the price is that a failure is
reported as drawn (with a curl line to reproduce it), not shrunk.

Until they are fixed, two known kinds of 500 make the test xfail, naming the operations:
an integer beyond the database's columns in a path or query (issue 9, item 1, the ``ids``
branch), and a text input holding U+0000 on PostgreSQL (not refused at the surface yet).
Any other failure fails it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import login, make_user

EXAMPLES = 4
CHECKS = [not_a_server_error, response_schema_conformance]
SURFACES = {"EV-CMS": "/api/v1", "RevCare": "", "hub": "/v1"}


def draw_cases(operation: Any, mode: GenerationMode) -> list[Case]:
    cases: list[Case] = []

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case: Case) -> None:
        cases.append(case)

    # Unsatisfiable: nothing to make invalid (an operation without input, negative mode).
    with contextlib.suppress(Unsatisfiable):
        collect()
    return cases


def as_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis's request (``requests`` keywords) as ``httpx`` keywords."""
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": dict(kwargs.get("headers") or {}),
        "params": kwargs.get("params"),
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    if "data" in kwargs:
        data = kwargs["data"]
        request["content" if isinstance(data, bytes | str) else "data"] = data
    if kwargs.get("files"):
        request["files"] = kwargs["files"]
    cookies = kwargs.get("cookies") or {}
    if cookies:
        request["headers"]["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return request


def has_out_of_range_id(case: Case) -> bool:
    """A path or query value that is an integer beyond a database integer column: the
    500s of issue 9 item 1, which the ``ids`` branch fixes."""
    values = [*(case.path_parameters or {}).values(), *(case.query or {}).values()]
    return any(isinstance(value, int) and not -(2**31) <= value < 2**31 for value in values)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def known_500(case: Case) -> str | None:
    """Why a 500 is already known and assigned, or None. PostgreSQL's text cannot hold
    U+0000, and no surface refuses it yet (found by this test; see the edge report)."""
    if has_out_of_range_id(case):
        return "ids branch"
    inputs = [
        case.path_parameters,
        case.query,
        None if isinstance(case.body, NotSet) else case.body,
    ]
    if any("\x00" in text for text in _strings(inputs)):
        return "NUL in text on PostgreSQL"
    return None


def describe(case: Case, failure: Failure) -> str:
    return f"{case.operation.label}: {failure.title}"


@pytest.mark.parametrize("surface", SURFACES)
async def test_the_openapi_document_holds_for_generated_requests(
    client: httpx.AsyncClient, runtime: Runtime, surface: str
) -> None:
    prefix = SURFACES[surface]
    document = (await client.get(f"{prefix}/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    admin = await make_user(runtime, role=Role.ADMIN)
    failures: dict[str, str] = {}
    ids_failures: set[str] = set()
    known_keys: set[str] = set()
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        # A fresh sign-in per operation: a case may sign the admin out or change things.
        headers = {"Authorization": f"Bearer {await login(client, admin)}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in draw_cases(operation, mode):
                kwargs = case.as_transport_kwargs(
                    base_url=f"http://testserver{prefix}", headers=headers
                )
                try:
                    response = await client.request(**as_httpx(kwargs))
                except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
                    continue  # a request no HTTP client could send
                sent += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = describe(case, failure)
                        failures.setdefault(key, str(group))
                        reason = known_500(case) if response.status_code == 500 else None
                        if reason is not None:
                            ids_failures.add(f"{key} ({reason})")
                            known_keys.add(key)
    assert sent > 0
    unknown = {key: report for key, report in failures.items() if key not in known_keys}
    assert not unknown, "\n".join([*unknown, "", *unknown.values()])
    if ids_failures:
        # The ids branch (issue 9, item 1) makes these 404/422; then this never runs.
        pytest.xfail("known 500s: " + "; ".join(sorted(ids_failures)))
