"""``/console/reports``: revenue and utilization of the operator's stations (charts over
the analytics service, the same figures as ``/api/v1/analytics/revenue`` and
``/charger-stats``), and the invoices of those stations as CSV or XLSX
(``/console/reports/export``, the billing export narrowed to the operator's stations)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from evcare.billing import export
from evcare.billing.export import ExportFormat
from evcare.charging.analytics import service as analytics
from evcare.charging.analytics.periods import Grain
from evcare.charging.stations import service as stations
from evcare.core.money import major_number
from evcare.core.pagination import MAX_LIMIT, PageParams
from evcare.core.transactions import SessionDep
from evcare.surfaces.console.auth import OperatorPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import RuntimeDep
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/reports")
async def reports_page(
    request: Request,
    principal: OperatorPage,
    session: SessionDep,
    start: Annotated[IsoDate | None, Query()] = None,
    end: Annotated[IsoDate | None, Query()] = None,
) -> Response:
    revenue = await analytics.revenue(
        session, principal, start_date=start, end_date=end, grain=Grain.DAY
    )
    period = revenue.period
    use = await analytics.charger_stats(
        session,
        principal,
        PageParams(1, MAX_LIMIT),
        start_date=period.start_date,
        end_date=period.end_date,
    )
    currency = revenue.currency
    chart = {
        "labels": [point.bucket.first.isoformat() for point in revenue.points],
        "revenue": [major_number(point.revenue_minor, currency) for point in revenue.points],
        "sessions": [point.sessions for point in revenue.points],
    }
    chargers = [
        {
            "charge_point_id": row.charge_point_id,
            "name": row.name,
            "status": row.status,
            "utilization": analytics.percent(row.charging_seconds, row.available_seconds),
            "charging_hours": round(row.charging_seconds / 3600, 1),
        }
        for row in use.chargers.items
    ]
    return render(
        request,
        "operator/reports.html",
        {
            "title": "Revenue and utilization",
            "period": revenue.period,
            "total": major_number(revenue.revenue_minor, currency),
            "sessions": revenue.sessions,
            "utilization": analytics.percent(use.charging_seconds, use.available_seconds),
            "chart": chart,
            "chargers": chargers,
        },
    )


@router.get("/reports/export")
async def export_invoices(
    principal: OperatorPage,
    runtime: RuntimeDep,
    start: Annotated[IsoDate, Query()],
    end: Annotated[IsoDate, Query()],
    format: Annotated[ExportFormat, Query()] = ExportFormat.CSV,
) -> Response:
    """A download of the invoices of the operator's stations created from ``start`` to
    ``end`` (UTC days, inclusive)."""
    export.check_range(start, end)
    return StreamingResponse(
        export.chunks(
            runtime.sessionmaker,
            start,
            end,
            format,
            stations=stations.stations_with_figures_for(principal),
        ),
        media_type=export.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{export.file_name(start, end, format)}"'
        },
    )
