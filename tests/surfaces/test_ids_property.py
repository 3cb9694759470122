"""Property: no id a caller can send in a path or a query makes any route answer 5xx.

Every route of the three surfaces is taken from the app (mounts included, see
:mod:`tests.surfaces.routes`); each example sends one drawn value to every id parameter
of every route, as an admin and anonymously. Bounded and derandomized, so the run is the
same on every machine and both databases.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.surfaces.routes import Route, id_parameters, routes

PREFIXES = ["", "ADM", "CST", "MEC", "SES", "USR", "VEH", "adm", "EVC-"]
TRICKY = ["", "%", "/", "..", "0", "-0", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "1_0", "\x00"]

ID_VALUES = st.one_of(
    st.text(max_size=24),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=22),
    st.integers().map(str),
    st.integers(min_value=2**31 - 2, max_value=2**70).map(str),
    st.builds(lambda prefix, n: f"{prefix}{n}", st.sampled_from(PREFIXES), st.integers()),
    st.sampled_from(TRICKY),
)


def _targets(app: FastAPI) -> list[tuple[Route, str, str]]:
    """(route, where, name) for every path and query id parameter of every route."""
    return [
        (route, parameter.where, parameter.name)
        for route in routes(app)
        for parameter in id_parameters(route.route)
        if parameter.where in ("path", "query")
    ]


def _request(route: Route, where: str, name: str, value: str) -> tuple[str, dict[str, str]]:
    path, query = route.path, {}
    for placeholder in route.route.param_convertors:
        filler = quote(value, safe="") if (where, placeholder) == ("path", name) else "1"
        path = path.replace(f"{{{placeholder}}}", filler)
    if where == "query":
        query[name] = value
    return path, query


@settings(
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    # The failure list names every route and value; shrinking would only repeat requests.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_path_or_query_id_makes_any_route_answer_5xx(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, data: st.DataObject
) -> None:
    targets = _targets(app)
    assert len({route.path for route, _, _ in targets}) > 45
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    failures = []
    for route, where, name in targets:
        value = data.draw(ID_VALUES, label=f"{route.method} {route.path} {where} {name}")
        path, query = _request(route, where, name, value)
        for headers in (admin, {}):
            response = await client.request(
                route.method, path, params=query, headers=headers, json={}
            )
            if response.status_code >= 500:
                failures.append(f"{route.method} {path} {query}: {response.status_code}")
    assert failures == []
