"""RevCare notification logs: ``GET /notification/notifications/logs``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.engagement import notifications
from evcare.engagement.notification_models import Notification
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import CustomerId
from evcare.surfaces.revcare.schemas import RevModel

router = APIRouter(prefix="/notification", tags=["notification"], route_class=TransactionalRoute)

NotificationsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_NOTIFICATIONS))]


class NotificationOut(RevModel):
    id: int
    user_id: int
    notification_category: str
    title: str
    message: str
    data: dict[str, Any]
    channel: str
    delivery_status: str
    is_read: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Notification) -> NotificationOut:
        return cls(
            id=row.id,
            user_id=row.user_id,
            notification_category=row.category,
            title=row.title,
            message=row.message,
            data=row.data,
            channel=row.channel,
            delivery_status=row.delivery_status,
            is_read=row.is_read,
            created_at=row.created_at,
        )


@router.get("/notifications/logs", operation_id="revcare_notification_logs")
async def notification_logs(
    principal: NotificationsRead,
    session: SessionDep,
    notification_category: Annotated[
        str | None, Query(min_length=1, max_length=40, pattern=r"^[a-z0-9_.-]+$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=notifications.MAX_LOG_LIMIT)] = 50,
    customer_id: Annotated[CustomerId | None, Query(description="admins only")] = None,
) -> list[NotificationOut]:
    """Notifications sent, newest first: admins see all, everyone else their own."""
    rows = await notifications.list_logs(
        session,
        principal,
        category=notification_category,
        user_id=customer_id,
        limit=limit,
    )
    return [NotificationOut.of(row) for row in rows]
