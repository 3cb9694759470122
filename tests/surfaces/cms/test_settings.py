"""EV-CMS /api/v1/settings: admins read and change the documented object; audited."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.operations import settings as system_settings
from tests.factories.identity import signed_in
from tests.surfaces.cms.test_auth import assert_cms_error

SETTINGS = "/api/v1/settings"
DOCUMENTED = {
    "general": {"siteName", "supportEmail", "supportPhone", "timeZone"},
    "pricing": {"platformFeePercentage", "gstPercentage", "defaultPricePerKwh"},
    "booking": {"cancellationWindow", "maxAdvanceBooking", "reservationFee"},
    "payment": {"minWalletBalance", "maxWalletBalance", "razorpayKeyId"},
}


def settings_of(response: httpx.Response) -> dict[str, dict[str, object]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    result: dict[str, dict[str, object]] = body["data"]["settings"]
    return result


async def test_an_admin_reads_the_documented_settings_object(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    settings = settings_of(await client.get(SETTINGS, headers=headers))
    assert {section: set(values) for section, values in settings.items()} == DOCUMENTED
    assert settings["payment"] == {
        "minWalletBalance": 100,
        "maxWalletBalance": 10000,
        "razorpayKeyId": "rzp_sandbox",
    }
    assert settings["pricing"]["gstPercentage"] == 18


async def test_the_razorpay_key_id_is_shown_and_no_secret_ever_is(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = runtime.settings.model_copy(
        update={
            "razorpay_key_id": "rzp_live_shown",
            "razorpay_key_secret": SecretStr("hidden-key-secret"),
            "razorpay_webhook_secret": SecretStr("hidden-webhook-secret"),
        }
    )
    monkeypatch.setattr(runtime, "settings", configured)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.get(SETTINGS, headers=headers)
    assert settings_of(response)["payment"]["razorpayKeyId"] == "rzp_live_shown"
    assert "hidden" not in response.text
    refused = await client.put(
        SETTINGS, json={"payment": {"razorpayKeyId": "rzp_other"}}, headers=headers
    )
    assert assert_cms_error(refused, 422)["errors"][0]["field"] == "payment.razorpayKeyId"  # type: ignore[index]


async def test_settings_need_an_admin(client: httpx.AsyncClient, runtime: Runtime) -> None:
    assert_cms_error(await client.get(SETTINGS), 401)
    assert_cms_error(await client.put(SETTINGS, json={}), 401)
    for role in (Role.USER, Role.BRAND):
        _, headers = await signed_in(runtime, client, role)
        assert_cms_error(await client.get(SETTINGS, headers=headers), 403)
        assert_cms_error(
            await client.put(SETTINGS, json={"general": {"siteName": "x"}}, headers=headers), 403
        )


async def test_an_update_changes_only_what_it_names_and_is_audited(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.put(
        SETTINGS,
        json={
            "payment": {"minWalletBalance": 50.5},
            "pricing": {"platformFeePercentage": 2.5},
            "booking": {"cancellationWindow": 45},
        },
        headers=headers,
    )
    settings = settings_of(response)
    assert settings["payment"]["minWalletBalance"] == 50.5
    assert settings["payment"]["maxWalletBalance"] == 10000
    assert settings["pricing"]["platformFeePercentage"] == 2.5
    assert settings["booking"]["cancellationWindow"] == 45
    assert settings_of(await client.get(SETTINGS, headers=headers)) == settings
    async with runtime.sessionmaker() as session:
        values = await system_settings.current(session)
        changes = await system_settings.changes_of(session)
    assert values.min_wallet_balance_minor == 5050
    assert values.platform_fee_basis_points == 250
    assert sorted((c.key, c.old_value, c.new_value, c.changed_by) for c in changes) == [
        ("cancellation_window_minutes", 30, 45, admin.id),
        ("min_wallet_balance_minor", 10000, 5050, admin.id),
        ("platform_fee_basis_points", 0, 250, admin.id),
    ]
    # Setting a value to what it is already changes nothing and audits nothing.
    settings_of(
        await client.put(SETTINGS, json={"booking": {"cancellationWindow": 45}}, headers=headers)
    )
    async with runtime.sessionmaker() as session:
        assert len(await system_settings.changes_of(session)) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pricing": {"gstPercentage": 100.5}}, "pricing.gstPercentage"),
        ({"pricing": {"platformFeePercentage": -1}}, "pricing.platformFeePercentage"),
        ({"pricing": {"gstPercentage": 18.001}}, "pricing.gstPercentage"),
        ({"pricing": {"defaultPricePerKwh": 12.345}}, "pricing.defaultPricePerKwh"),
        ({"booking": {"cancellationWindow": -5}}, "booking.cancellationWindow"),
        ({"booking": {"maxAdvanceBooking": 0}}, "booking.maxAdvanceBooking"),
        ({"booking": {"maxAdvanceBooking": "7"}}, "booking.maxAdvanceBooking"),
        ({"booking": {"reservationFee": -1}}, "booking.reservationFee"),
        ({"payment": {"maxWalletBalance": 1e15}}, "payment.maxWalletBalance"),
        ({"payment": {"minWalletBalance": 20000}}, "payment.minWalletBalance"),
        ({"general": {"supportEmail": "not-an-email"}}, "general.supportEmail"),
        ({"general": {"siteName": ""}}, "general.siteName"),
        ({"unknown": {"x": 1}}, "unknown"),
    ],
)
async def test_out_of_range_settings_are_refused_naming_the_field_and_nothing_changes(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, object], field: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    before = settings_of(await client.get(SETTINGS, headers=headers))
    error = assert_cms_error(await client.put(SETTINGS, json=body, headers=headers), 422)
    assert [e["field"] for e in error["errors"]] == [field]  # type: ignore[attr-defined]
    assert settings_of(await client.get(SETTINGS, headers=headers)) == before


async def test_the_wallet_follows_the_maximum_balance_setting(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    settings_of(
        await client.put(
            SETTINGS,
            json={"payment": {"maxWalletBalance": 300, "minWalletBalance": 0}},
            headers=admin,
        )
    )
    _, headers = await signed_in(runtime, client)
    over = await client.post(
        "/api/v1/profile/wallet/topup",
        json={"amount": 300.01, "paymentMethod": "upi"},
        headers=headers,
    )
    assert_cms_error(over, 400)
    within = await client.post(
        "/api/v1/profile/wallet/topup",
        json={"amount": 300, "paymentMethod": "upi"},
        headers=headers,
    )
    assert within.status_code == 200, within.text


async def test_an_explicit_null_leaves_a_setting_as_it_is(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    # Found by schemathesis: a null amount or percentage next to a huge one was a 500.
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    before = settings_of(await client.get(SETTINGS, headers=headers))
    body = {
        "payment": {"minWalletBalance": None, "maxWalletBalance": None},
        "pricing": {"platformFeePercentage": None, "defaultPricePerKwh": None},
    }
    assert settings_of(await client.put(SETTINGS, json=body, headers=headers)) == before
    huge = {"payment": {"maxWalletBalance": 4.139428867355911e16, "minWalletBalance": None}}
    error = assert_cms_error(await client.put(SETTINGS, json=huge, headers=headers), 422)
    assert "maxWalletBalance" in str(error)
