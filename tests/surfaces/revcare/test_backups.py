"""RevCare /backup/: an admin backs up, changes, restores and deletes, on either database."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.surfaces.revcare.helpers import assert_revcare_error

NEW_ADMIN = {"first_name": "Late", "email": "late@revcare.in", "phone": "9000000077"}


async def test_a_backup_restored_after_a_change_brings_the_database_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post("/backup/create", json={"label": "before"}, headers=headers)
    assert created.status_code == 201, created.text
    backup = created.json()
    database = "sqlite" if runtime.settings.is_sqlite else "postgresql"
    assert backup["database"] == database and backup["label"] == "before"
    assert backup["size_bytes"] > 0 and backup["name"].startswith("evcare-")

    added = await client.post("/admins/", json=NEW_ADMIN, headers=headers)
    assert added.status_code == 201
    listed_admins = await client.get("/admins/", headers=headers)
    assert "late@revcare.in" in [admin["email"] for admin in listed_admins.json()]

    restored = await client.post(
        "/backup/restore", json={"backup_name": backup["name"]}, headers=headers
    )
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["restored"]["name"] == backup["name"]
    assert body["safety_backup"]["label"] == "pre-restore"

    after = await client.get("/admins/", headers=headers)
    assert after.status_code == 200, after.text
    assert "late@revcare.in" not in [admin["email"] for admin in after.json()]

    # The safety backup holds the change, and restoring it brings the change back.
    again = await client.post(
        "/backup/restore",
        params={"backup_name": body["safety_backup"]["name"]},
        headers=headers,
    )
    assert again.status_code == 200, again.text
    final = await client.get("/admins/", headers=headers)
    assert "late@revcare.in" in [admin["email"] for admin in final.json()]


async def test_backups_are_listed_newest_first_and_deleted_by_name(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    first = (await client.post("/backup/create", headers=headers)).json()
    second = (await client.post("/backup/create", json={}, headers=headers)).json()
    names = [item["name"] for item in (await client.get("/backup/list", headers=headers)).json()]
    assert names.index(second["name"]) < names.index(first["name"])

    deleted = await client.delete(f"/backup/delete/{first['name']}", headers=headers)
    assert deleted.json() == {"message": f"Backup {first['name']} deleted"}
    names = [item["name"] for item in (await client.get("/backup/list", headers=headers)).json()]
    assert first["name"] not in names and second["name"] in names
    again = await client.delete(f"/backup/delete/{first['name']}", headers=headers)
    assert_revcare_error(again, 404)


async def test_backup_names_outside_the_pattern_are_refused_before_touching_files(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    # Real files where each refused name points: the validator, not a missing file, must
    # be what refuses them (a 404 would mean the name reached the filesystem).
    folder = runtime.settings.data_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    outside = runtime.settings.data_dir / "evcare-outside.db"
    outside.write_bytes(b"not a backup")
    planted = ["evcare.db", "evcare-2026.sqlite3", "evcare-20260101T000000000000Z.sqlite3.bak"]
    for name in planted:
        (folder / name).write_bytes(b"not a backup")
    for name in [*planted, "%2E%2E", "%2E%2E%5Cevcare-outside.db"]:
        response = await client.delete(f"/backup/delete/{name}", headers=headers)
        assert assert_revcare_error(response, 422)["detail"].startswith("backup_name"), name
    too_long = await client.delete(f"/backup/delete/{'x' * 200}", headers=headers)
    assert_revcare_error(too_long, 422)
    for traversal in ("../evcare-outside.db", "../backups/evcare.db", "evcare.db"):
        body = await client.post(
            "/backup/restore", json={"backup_name": traversal}, headers=headers
        )
        assert assert_revcare_error(body, 422)["detail"].startswith("backup_name")
        query = await client.post(
            "/backup/restore", params={"backup_name": traversal}, headers=headers
        )
        assert assert_revcare_error(query, 422)["detail"].startswith("backup_name")
    assert all((folder / name).read_bytes() == b"not a backup" for name in planted)
    assert outside.read_bytes() == b"not a backup"
    missing = await client.post("/backup/restore", json={}, headers=headers)
    assert_revcare_error(missing, 422)
    nameless = await client.post("/backup/restore", headers=headers)
    assert_revcare_error(nameless, 422)
    unknown = await client.post(
        "/backup/restore",
        json={"backup_name": "evcare-20260101T000000000000Z.sqlite3"},
        headers=headers,
    )
    assert_revcare_error(unknown, 404)
    bad_label = await client.post("/backup/create", json={"label": "../x"}, headers=headers)
    assert_revcare_error(bad_label, 422)
    for name in planted:
        (folder / name).unlink()
    outside.unlink()


async def test_backup_routes_refuse_anonymous_callers_and_non_admins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    name = "evcare-20260101T000000000000Z.sqlite3"
    calls = [
        ("POST", "/backup/create", None),
        ("GET", "/backup/list", None),
        ("POST", "/backup/restore", {"backup_name": name}),
        ("DELETE", f"/backup/delete/{name}", None),
    ]
    for method, path, body in calls:
        assert_revcare_error(await client.request(method, path, json=body), 401)
    for role in (Role.USER, Role.MECHANIC):
        _, headers = await signed_in(runtime, client, role)
        for method, path, body in calls:
            refused = await client.request(method, path, json=body, headers=headers)
            assert assert_revcare_error(refused, 403)["detail"] == "MANAGE:BACKUPS scope required"
