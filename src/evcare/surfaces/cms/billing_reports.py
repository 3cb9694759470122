"""EV-CMS section 8, Billing: reports and the export (admins, ``MANAGE:BILLING``).

Report periods are days and months of the network's time zone (setting ``timeZone``);
the export's range is UTC days. The export is streamed while it is read from the
database (CSV, or XLSX through openpyxl's write-only mode), whatever the range.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from evcare.billing import export, reports
from evcare.billing.export import ExportFormat
from evcare.billing.invoice_models import ItemComponent
from evcare.billing.report_repository import StationTotals, Totals
from evcare.core.money import major_number
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import CamelModel, Envelope
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/billing", tags=["billing"], route_class=TransactionalRoute)

BillingManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_BILLING))]


def _kwh(energy_wh: int) -> float | int:
    value = Decimal(energy_wh).scaleb(-3)
    return int(value) if value == value.to_integral_value() else float(value)


class Components(CamelModel):
    """Revenue net of GST by what it charged for (a discount is negative)."""

    base: float | int
    energy: float | int
    parking: float | int
    peak: float | int
    discount: float | int
    platform_fee: float | int
    reservation: float | int  # connector bookings' reservation fees
    other: float | int


class StationOut(CamelModel):
    station_id: str | None
    station_name: str | None
    sessions: int
    energy_kwh: float | int
    revenue: float | int
    gst: float | int

    @classmethod
    def of(cls, totals: StationTotals, currency: str) -> StationOut:
        return cls(
            station_id=None if totals.station_id is None else str(totals.station_id),
            station_name=totals.station_name,
            sessions=totals.sessions,
            energy_kwh=_kwh(totals.energy_wh),
            revenue=major_number(totals.total_minor, currency),
            gst=major_number(totals.tax_minor, currency),
        )


class Revenue(CamelModel):
    total: float | int  # what the invoices charged, GST included
    net: float | int  # without GST: the components add up to it
    by_component: Components
    by_station: list[StationOut]


class Refunds(CamelModel):
    count: int
    amount: float | int


class CreditNotes(CamelModel):
    count: int
    amount: float | int  # what they gave back, GST included (already out of the revenue)


class ReportOut(CamelModel):
    period: str
    time_zone: str  # the network's, whose days and months the period follows
    start_date: datetime
    end_date: datetime
    currency: str
    sessions: int
    energy_kwh: float | int
    invoices: int
    credit_notes: CreditNotes
    revenue: Revenue
    gst_collected: float | int
    refunds: Refunds
    net_revenue: float | int  # total less the refunds approved in the period

    @classmethod
    def of(cls, report: reports.Report) -> ReportOut:
        currency = report.currency
        totals: Totals = report.totals

        def money(minor: int) -> float | int:
            return major_number(minor, currency)

        def part(component: ItemComponent) -> float | int:
            return money(report.by_component.get(component, 0))

        return cls(
            period=report.period,
            time_zone=report.time_zone,
            start_date=report.start,
            end_date=report.end,
            currency=currency,
            sessions=totals.sessions,
            energy_kwh=_kwh(totals.energy_wh),
            invoices=totals.invoices,
            credit_notes=CreditNotes(
                count=totals.credit_notes, amount=money(totals.credited_minor)
            ),
            revenue=Revenue(
                total=money(totals.total_minor),
                net=money(totals.subtotal_minor),
                by_component=Components(
                    base=part(ItemComponent.BASE),
                    energy=part(ItemComponent.ENERGY),
                    parking=part(ItemComponent.PARKING),
                    peak=part(ItemComponent.PEAK),
                    discount=part(ItemComponent.DISCOUNT),
                    platform_fee=part(ItemComponent.PLATFORM_FEE),
                    reservation=part(ItemComponent.RESERVATION),
                    other=part(ItemComponent.OTHER),
                ),
                by_station=[StationOut.of(station, currency) for station in report.by_station],
            ),
            gst_collected=money(totals.tax_minor),
            refunds=Refunds(count=report.refund_count, amount=money(report.refunded_minor)),
            net_revenue=money(totals.total_minor - report.refunded_minor),
        )


class ReportBody(CamelModel):
    report: ReportOut


@router.get("/reports/daily", operation_id="cms_billing_daily_report")
async def daily_report(
    principal: BillingManage,
    session: SessionDep,
    day: Annotated[
        IsoDate | None,
        Query(alias="date", description="a day of the network's time zone; default today"),
    ] = None,
) -> Envelope[ReportBody]:
    report = await reports.daily(session, day=day)
    return Envelope(data=ReportBody(report=ReportOut.of(report)))


@router.get("/reports/monthly", operation_id="cms_billing_monthly_report")
async def monthly_report(
    principal: BillingManage,
    session: SessionDep,
    month: Annotated[int | None, Query(ge=1, le=12, description="default this month")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="default this year")] = None,
) -> Envelope[ReportBody]:
    report = await reports.monthly(session, year=year, month=month)
    return Envelope(data=ReportBody(report=ReportOut.of(report)))


@router.get(
    "/export",
    operation_id="cms_billing_export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The invoices created in the range, one row each",
            "content": {media: {} for media in export.MEDIA_TYPES.values()},
        }
    },
)
async def export_billing(
    principal: BillingManage,
    runtime: RuntimeDep,
    start_date: Annotated[IsoDate, Query(alias="startDate")],
    end_date: Annotated[IsoDate, Query(alias="endDate")],
    format: Annotated[ExportFormat, Query()] = ExportFormat.CSV,
) -> StreamingResponse:
    """A file download: ``startDate`` to ``endDate`` inclusive (UTC days, at most 366)."""
    export.check_range(start_date, end_date)
    return StreamingResponse(
        export.chunks(runtime.sessionmaker, start_date, end_date, format),
        media_type=export.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": (
                f'attachment; filename="{export.file_name(start_date, end_date, format)}"'
            )
        },
    )
