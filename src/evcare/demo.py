"""Demo data: an admin, a brand, a mechanic and customers; loading it twice changes nothing.

Each context adds its own demo records here as it lands (stations, chargers, services).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import wallet
from evcare.billing.wallet_models import EntryKind
from evcare.charging.chargers import service as chargers
from evcare.charging.sessions import id_tag_repository as charging_cards
from evcare.charging.sessions.models import IdTag
from evcare.charging.stations import service as stations
from evcare.core.clock import utcnow
from evcare.core.errors import NotFound
from evcare.core.money import Money
from evcare.core.pagination import PageParams
from evcare.core.security import Credentials
from evcare.engagement import content
from evcare.identity import organizations
from evcare.identity import repository as users
from evcare.identity.models import OrganizationKind, Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.integrations import repository as integrations_repository
from evcare.integrations import service as integrations
from evcare.integrations import subscriptions
from evcare.integrations.bundles import Bundle
from evcare.integrations.usage_models import Plan, Subscription
from evcare.service import bookings, catalogue, mechanics, places, scheduling
from evcare.service import repository as workshop_repository
from evcare.service.bookings.models import PickupType
from evcare.simulator.defaults import DEMO_ID_TAG
from evcare.vehicles import service as vehicles

# The demo driver's opening wallet credit (Rs 5,000): room for many demo sessions; once
# spent below minWalletBalance, chargers refuse the card until a (sandbox) top-up.
DEMO_WALLET_CREDIT = Money(500_000, "INR")


@dataclass(frozen=True)
class DemoIntegration:
    """A partner integration with published credentials, so the developer hub's
    quickstart runs verbatim against ``evcare up``."""

    integration_id: str = "int_demo"
    client_id: str = "evc_ci_demo"
    client_secret: str = "evc_cs_demo_published_secret"  # published demo credentials
    name: str = "Demo Partner Platform"
    organization_name: str = "Demo Partner"
    contact_email: str = "dev@partner.example"


DEMO_INTEGRATION = DemoIntegration()


def demo_plans() -> list[Plan]:
    """The hub's plans (GHS, minor units): monthly fee, calls included, overage per 1,000."""
    return [
        Plan(id="plan_starter", name="Starter", currency="GHS", monthly_fee_minor=0,
             included_calls=10_000, overage_per_1000_minor=500),
        Plan(id="plan_growth", name="Growth", currency="GHS", monthly_fee_minor=25_000,
             included_calls=250_000, overage_per_1000_minor=300),
        Plan(id="plan_scale", name="Scale", currency="GHS", monthly_fee_minor=100_000,
             included_calls=2_000_000, overage_per_1000_minor=150),
    ]  # fmt: skip


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    phone: str
    password: str
    first_name: str
    last_name: str


DEMO_PASSWORD = "Password@123"  # published demo credentials

DEMO_LOGINS = (
    DemoLogin("admin", "admin@evcare.dev", "9000000001", DEMO_PASSWORD, "Akhil", "Joseph"),
    DemoLogin("brand", "brand@evcare.dev", "9000000002", DEMO_PASSWORD, "Volt", "Networks"),
    DemoLogin("mechanic", "mechanic@evcare.dev", "9000000003", DEMO_PASSWORD, "Ravi", "Kumar"),
    DemoLogin("user", "driver@evcare.dev", "9841385379", DEMO_PASSWORD, "Asha", "Menon"),
    DemoLogin("user", "customer@evcare.dev", "9000000005", DEMO_PASSWORD, "Jon", "Mathew"),
)

# One car each for the demo driver and customer: (email, make, model, year, kWh, plate).
DEMO_VEHICLES = (
    ("driver@evcare.dev", "Tata Motors", "Nexon EV", 2024, Decimal("40.50"), "KL07CU4567"),
    ("customer@evcare.dev", "MG Motor", "ZS EV", 2023, Decimal("50.30"), "KA03NB2024"),
)


async def ensure_user(
    session: AsyncSession, credentials: Credentials, login: DemoLogin
) -> tuple[User, bool]:
    """The demo account for ``login``, created if missing; (user, created)."""
    existing = await users.get_user_by_login(session, login.email)
    if existing is not None:
        return existing, False
    user = User(
        email=login.email,
        phone=login.phone,
        first_name=login.first_name,
        last_name=login.last_name,
        role=Role(login.role),
        password_hash=credentials.passwords.hash(login.password),
        is_email_verified=True,
    )
    session.add(user)
    await session.flush()
    return user, True


async def ensure_vehicle(
    session: AsyncSession,
    owner: User,
    *,
    make: str,
    model: str,
    year: int,
    battery_capacity_kwh: Decimal,
    registration_number: str,
) -> bool:
    """The demo car with this plate, added for ``owner`` if missing; True when added."""
    if await vehicles.find_by_registration(session, registration_number=registration_number):
        return False
    acting = Principal(
        user_id=owner.id, role=owner.role, scopes=scopes_for(owner.role), session_id=uuid.uuid4()
    )
    await vehicles.add_vehicle(
        session,
        acting,
        make=make,
        model=model,
        year=year,
        battery_capacity_kwh=battery_capacity_kwh,
        registration_number=registration_number,
    )
    return True


DEMO_CHARGER_PASSWORD = "demo-charger-secret"  # published: the simulator connects with it


@dataclass(frozen=True)
class DemoCharger:
    charge_point_id: str
    name: str
    manufacturer: str
    model: str
    connectors: tuple[stations.ConnectorDraft, ...]


@dataclass(frozen=True)
class DemoStation:
    name: str
    address: str
    pincode: str
    latitude: float
    longitude: float
    amenities: tuple[str, ...]
    chargers: tuple[DemoCharger, ...]


def _outlet(kind: str, kw: float, rupees_per_kwh: int) -> stations.ConnectorDraft:
    return stations.ConnectorDraft(
        type=kind,
        power_kw=kw,
        base_price_minor=rupees_per_kwh * 100,
        parking_fee_minor=2000,
        reservation_fee_minor=5000,
    )


DEMO_STATIONS = (
    DemoStation(
        "Volt Hub Koramangala",
        "80 Feet Road, Koramangala 4th Block",
        "560034",
        12.9352,
        77.6245,
        ("wifi", "restroom", "cafe"),
        (
            DemoCharger(
                "EVC-DEMO-001",
                "Koramangala DC 1",
                "ABB",
                "Terra 54",
                (_outlet("CCS", 50, 18), _outlet("CHAdeMO", 50, 18)),
            ),
            DemoCharger(
                "EVC-DEMO-002",
                "Koramangala AC 1",
                "Delta",
                "AC Max 22",
                (_outlet("Type2", 22, 12),),
            ),
        ),
    ),
    DemoStation(
        "Volt Hub Indiranagar",
        "100 Feet Road, HAL 2nd Stage, Indiranagar",
        "560038",
        12.9719,
        77.6412,
        ("wifi", "restroom"),
        (
            DemoCharger(
                "EVC-DEMO-003",
                "Indiranagar AC 1",
                "Exicom",
                "Harmony Gen 1.5",
                (_outlet("Type2", 7.4, 10), _outlet("Type2", 7.4, 10)),
            ),
        ),
    ),
    DemoStation(
        "Volt Hub Whitefield",
        "ITPL Main Road, Whitefield",
        "560066",
        12.9698,
        77.7500,
        ("cafe", "parking"),
        (
            DemoCharger(
                "EVC-DEMO-004",
                "Whitefield DC 1",
                "Delta",
                "DC Wallbox 60",
                (_outlet("CCS", 60, 19), _outlet("Type2", 22, 12)),
            ),
        ),
    ),
)


async def ensure_charging_network(session: AsyncSession, brand: User) -> list[str]:
    """The demo brand's Bengaluru stations and chargers ``EVC-DEMO-001``..``004`` (OCPP
    password ``demo-charger-secret``), each created only if missing."""
    acting = Principal(
        user_id=brand.id, role=brand.role, scopes=scopes_for(brand.role), session_id=uuid.uuid4()
    )
    created: list[str] = []
    for demo in DEMO_STATIONS:
        page = await stations.list_stations(
            session, acting, params=PageParams(limit=100), search=demo.name
        )
        station = next((s for s in page.items if s.name == demo.name), None)
        if station is None:
            station = await stations.create_station(
                session,
                acting,
                name=demo.name,
                address=demo.address,
                city="Bengaluru",
                state="Karnataka",
                pincode=demo.pincode,
                latitude=demo.latitude,
                longitude=demo.longitude,
                amenities=list(demo.amenities),
                opening_time="06:00",
                closing_time="23:00",
            )
            created.append(f"station {demo.name}")
        if not station.is_verified:
            # The demo network is verified, as an admin would verify it: drivers see it.
            station.is_verified = True
            station.verified_at = utcnow()
            station.verification_notes = "Demo station"
            await session.flush()
        for charger in demo.chargers:
            try:
                await chargers.get_charger(session, acting, charger.charge_point_id)
                continue
            except NotFound:
                pass
            await chargers.register_charger(
                session,
                acting,
                charge_point_id=charger.charge_point_id,
                name=charger.name,
                station_id=str(station.id),
                manufacturer=charger.manufacturer,
                model=charger.model,
                connectors=list(charger.connectors),
                ocpp_password=DEMO_CHARGER_PASSWORD,
            )
            created.append(f"charger {charger.charge_point_id}")
    return created


# -- workshops (RevCare) -------------------------------------------------------------------

# (category, service, price in rupees, minutes)
DEMO_SERVICES = (
    ("EV care", "Battery health check", "999", 45),
    ("EV care", "Charging port inspection", "499", 30),
    ("Periodic maintenance", "General service", "2999", 120),
    ("Brakes and tyres", "Brake pad replacement", "2500.50", 90),
    ("Brakes and tyres", "Wheel alignment and balancing", "799", 60),
)
# Daily slots in UTC: 09:00-11:00, 11:00-13:00, 14:00-16:00, 16:00-18:00 in India (UTC+5:30).
DEMO_TIMESLOTS = (
    (time(3, 30), time(5, 30), 4),
    (time(5, 30), time(7, 30), 4),
    (time(8, 30), time(10, 30), 4),
    (time(10, 30), time(12, 30), 3),
)
DEMO_AREAS = (
    ("Bengaluru", "MG Road", "560001"),
    ("Bengaluru", "Koramangala", "560034"),
    ("Bengaluru", "Whitefield", "560066"),
    ("Chennai", "Parrys", "600001"),
)


# A second workshop beside RevCare's own (the default workshop): fleets choose between them.
DEMO_SECOND_WORKSHOP = "Northside EV Garage"
DEMO_SECOND_WORKSHOP_SERVICES = (
    ("EV care", "Battery health check", "899", 40),
    ("EV care", "Thermal system flush", "1899", 90),
    ("Brakes and tyres", "Tyre rotation", "599", 45),
)


async def ensure_second_workshop(session: AsyncSession, admin: User) -> list[str]:
    """A second workshop organization and its services (the default workshop holds the
    RevCare catalogue above), each created only if missing."""
    acting = _principal_of(admin)
    created: list[str] = []
    found = await organizations.list_organizations(
        session, PageParams(limit=100), kind=OrganizationKind.WORKSHOP
    )
    workshop = next((o for o in found.items if o.name == DEMO_SECOND_WORKSHOP), None)
    if workshop is None:
        workshop = await organizations.create_organization(
            session,
            name=DEMO_SECOND_WORKSHOP,
            kind=OrganizationKind.WORKSHOP,
            email="service@northside-garage.example",
            address="14 Outer Ring Road, Bengaluru 560103",
        )
        created.append(f"workshop {DEMO_SECOND_WORKSHOP}")
    categories = {
        c.name: c for c in await catalogue.list_categories(session, include_inactive=True)
    }
    offered = {
        view.service.name
        for view in (
            await catalogue.list_services(
                session, PageParams(limit=100), active=None, workshop_id=workshop.id
            )
        ).items
    }
    for category_name, name, rupees, minutes in DEMO_SECOND_WORKSHOP_SERVICES:
        if name in offered or category_name not in categories:
            continue
        await catalogue.create_service(
            session,
            acting,
            category_id=categories[category_name].id,
            name=name,
            description="",
            price=Decimal(rupees),
            currency="INR",
            duration_minutes=minutes,
            is_active=True,
            workshop_id=workshop.id,
        )
        created.append(f"service {name} at {DEMO_SECOND_WORKSHOP}")
    return created


async def ensure_workshop(
    session: AsyncSession, credentials: Credentials, admin: User
) -> list[str]:
    """The demo catalogue, daily timeslots, serviceable areas, home banner, the demo
    mechanic's profile and the demo customer's address, each created only if missing."""
    acting = Principal(
        user_id=admin.id, role=admin.role, scopes=scopes_for(admin.role), session_id=uuid.uuid4()
    )
    created: list[str] = []
    categories = {
        c.name: c for c in await catalogue.list_categories(session, include_inactive=True)
    }
    existing = await catalogue.list_services(session, PageParams(limit=100), active=None)
    offered = {view.service.name for view in existing.items}
    for category_name, name, rupees, minutes in DEMO_SERVICES:
        if category_name not in categories:
            categories[category_name] = await catalogue.create_category(
                session, acting, name=category_name, description="", is_active=True
            )
            created.append(f"service category {category_name}")
        if name not in offered:
            await catalogue.create_service(
                session,
                acting,
                category_id=categories[category_name].id,
                name=name,
                description="",
                price=Decimal(rupees),
                currency="INR",
                duration_minutes=minutes,
                is_active=True,
            )
            created.append(f"service {name}")
    windows = {
        (s.start_time, s.end_time)
        for s in await workshop_repository.list_timeslots(session, active_only=False)
    }
    for start, end, capacity in DEMO_TIMESLOTS:
        if (start, end) not in windows:
            await scheduling.create_timeslot(
                session, acting, start_time=start, end_time=end, capacity=capacity, is_active=True
            )
            created.append(f"timeslot {start:%H:%M}-{end:%H:%M} UTC")
    covered = {a.pincode for a in await places.list_areas(session, acting, PageParams(limit=100))}
    for city, name, pincode in DEMO_AREAS:
        if pincode not in covered:
            await places.create_area(
                session, acting, name=name, city=city, pincode=pincode, is_active=True
            )
            created.append(f"service area {pincode}")
    try:
        await content.get_content(session, acting, key="home-banner")
    except NotFound:
        await content.upsert_content(
            session,
            acting,
            key="home-banner",
            title="Monsoon EV check-up",
            body="Battery health check at Rs 999 this month.",
            is_active=True,
        )
        created.append("content home-banner")
    created.extend(await _ensure_demo_mechanic_and_address(session, credentials, acting))
    return created


async def _ensure_demo_mechanic_and_address(
    session: AsyncSession, credentials: Credentials, acting: Principal
) -> list[str]:
    created: list[str] = []
    mechanic = await users.get_user_by_login(session, "mechanic@evcare.dev")
    if (
        mechanic is not None
        and await mechanics.mechanic_profile(session, mechanic_id=mechanic.id) is None
    ):
        await mechanics.update_mechanic(
            session,
            credentials,
            acting,
            mechanic_id=mechanic.id,
            person={},
            changes=mechanics.ProfileChanges(
                skills=["EV battery", "Brakes", "Diagnostics"], experience_years=6
            ),
        )
        created.append("mechanic profile mechanic@evcare.dev")
    customer = await users.get_user_by_login(session, "customer@evcare.dev")
    if customer is not None:
        owner = Principal(
            user_id=customer.id,
            role=customer.role,
            scopes=scopes_for(customer.role),
            session_id=uuid.uuid4(),
        )
        if not await places.list_addresses(session, owner):
            await places.create_address(
                session,
                owner,
                fields={
                    "label": "home",
                    "line1": "80 Feet Road, 4th Block",
                    "line2": "",
                    "landmark": "Near Forum Mall",
                    "city": "Bengaluru",
                    "state": "Karnataka",
                    "pincode": "560034",
                    "is_default": True,
                },
            )
            created.append("address for customer@evcare.dev")
    return created


async def ensure_id_tag(session: AsyncSession, driver: User, *, token: str) -> bool:
    """The demo driver's RFID card, which ``evcare simulate``'s chargers present."""
    if await charging_cards.get_id_tag(session, token) is not None:
        return False
    session.add(IdTag(token=token, user_id=driver.id, kind="rfid"))
    await session.flush()
    return True


async def ensure_wallet_funds(session: AsyncSession, driver: User) -> bool:
    """An opening credit for the demo driver, so their card and app start sessions (a
    wallet under ``minWalletBalance`` is refused); posted once (its reference)."""
    posting = await wallet.credit(
        session,
        user_id=driver.id,
        amount=DEMO_WALLET_CREDIT,
        kind=EntryKind.CORRECTION,
        description="Demo opening credit",
        reference="demo:opening-credit",
    )
    return posting.created


async def load_demo(session: AsyncSession, credentials: Credentials) -> list[str]:
    """Load every demo record; returns a line for each thing created."""
    created: list[str] = []
    for login in DEMO_LOGINS:
        _, is_new = await ensure_user(session, credentials, login)
        if is_new:
            created.append(f"{login.role} {login.email}")
    for email, make, model, year, kwh, plate in DEMO_VEHICLES:
        owner = await users.get_user_by_login(session, email)
        if owner is not None and await ensure_vehicle(
            session,
            owner,
            make=make,
            model=model,
            year=year,
            battery_capacity_kwh=kwh,
            registration_number=plate,
        ):
            created.append(f"vehicle {plate} for {email}")
    brand = await users.get_user_by_login(session, "brand@evcare.dev")
    if brand is not None:
        created.extend(await ensure_charging_network(session, brand))
    driver = await users.get_user_by_login(session, "driver@evcare.dev")
    if driver is not None and await ensure_id_tag(session, driver, token=DEMO_ID_TAG):
        created.append(f"RFID tag {DEMO_ID_TAG} for driver@evcare.dev")
    if driver is not None and await ensure_wallet_funds(session, driver):
        created.append(f"wallet credit {wallet.shown(DEMO_WALLET_CREDIT)} for driver@evcare.dev")
    admin = await users.get_user_by_login(session, "admin@evcare.dev")
    if admin is not None:
        created.extend(await ensure_workshop(session, credentials, admin))
        created.extend(await ensure_second_workshop(session, admin))
        created.extend(await ensure_demo_booking(session, admin))
        created.extend(await ensure_demo_integration(session, credentials, admin))
        created.extend(await ensure_demo_subscription(session, admin))
    return created


async def ensure_demo_subscription(session: AsyncSession, admin: User) -> list[str]:
    """The hub's plans, and the demo integration on Starter."""
    created = await subscriptions.ensure_plans(session, demo_plans())
    demo = DEMO_INTEGRATION
    if await session.get(Subscription, demo.integration_id) is None:
        await subscriptions.set_subscription(
            session, _principal_of(admin), demo.integration_id, plan_id="plan_starter"
        )
        created.append(f"subscription of {demo.integration_id} to Starter")
    return created


async def ensure_demo_integration(
    session: AsyncSession, credentials: Credentials, admin: User
) -> list[str]:
    demo = DEMO_INTEGRATION
    if await integrations_repository.get_integration(session, demo.integration_id):
        return []
    await integrations.create_integration(
        session,
        credentials,
        _principal_of(admin),
        name=demo.name,
        organization_id=None,
        organization_name=demo.organization_name,
        bundles=[Bundle.CLIENT_ACCESS, Bundle.ORGANIZATION_ACCESS, Bundle.FLEET_MANAGER_ACCESS],
        allowed_endpoints=[],
        redirect_uris=["https://partner.example/evcare/callback"],
        contact_email=demo.contact_email,
        known_endpoints=frozenset(),
        published=(
            demo.integration_id,
            integrations.IssuedCredentials(demo.client_id, demo.client_secret),
        ),
    )
    return [f"integration {demo.integration_id} ({demo.client_id})"]


async def ensure_demo_booking(session: AsyncSession, admin: User) -> list[str]:
    """The demo customer's first booking (two services, drop-off), assigned to the demo
    mechanic: the mechanic has a job to analyse, the admin one to follow."""
    customer = await users.get_user_by_login(session, "customer@evcare.dev")
    mechanic = await users.get_user_by_login(session, "mechanic@evcare.dev")
    if customer is None or mechanic is None:
        return []
    as_customer = _principal_of(customer)
    if (
        await bookings.list_customer_bookings(
            session, as_customer, PageParams(limit=1), customer_id=None, status=None
        )
    ).total:
        return []
    car = next(iter(await vehicles.list_vehicles(session, as_customer)), None)
    slots = await workshop_repository.list_timeslots(session, active_only=True)
    services = await catalogue.list_services(session, PageParams(limit=2), active=True)
    if car is None or not slots or len(services.items) < 2:
        return []
    view = await bookings.create_booking(
        session,
        as_customer,
        customer_id=None,
        vehicle_id=car.id,
        pickup_type=PickupType.DROP_OFF,
        timeslot_id=slots[0].id,
        service_date=None,
        address_id=None,
        services=[bookings.ServiceRequest(v.service.id, 1) for v in services.items],
        notes="Demo booking: battery feels weak",
    )
    await bookings.assign_mechanic(
        session, _principal_of(admin), booking_id=view.booking.id, mechanic_id=mechanic.id, note=""
    )
    return [f"booking {view.booking.id} for customer@evcare.dev (assigned to the demo mechanic)"]


def _principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id, role=user.role, scopes=scopes_for(user.role), session_id=uuid.uuid4()
    )
