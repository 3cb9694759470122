"""EV-CMS section 9: Notifications (``/api/v1/notifications``).

A user's own in-app notifications (the inbox), their channel preferences, and the admins'
system alerts and bulk notifications, which are fanned out in batches after the request
(``engagement.broadcasts``): the answer says how many will receive it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.engagement import broadcasts, inbox, preferences
from evcare.engagement.notification_models import Broadcast, Notification
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import NotificationId, UserId

router = APIRouter(prefix="/notifications", tags=["notifications"], route_class=TransactionalRoute)

NotificationsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_NOTIFICATIONS))]
NotificationsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_NOTIFICATIONS))]
NotificationsManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_NOTIFICATIONS))]

NotificationType = Literal["booking", "session", "payment", "system", "promotion"]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Message = Annotated[str, Field(min_length=1, max_length=1000)]


# -- response shapes -------------------------------------------------------------------------


class NotificationOut(CamelModel):
    id: str
    user_id: str | None  # None: an alert to many (its recipients each get their own)
    type: NotificationType
    title: str
    message: str
    data: dict[str, Any] | None = None
    is_read: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Notification) -> NotificationOut:
        return cls(
            id=str(row.id),
            user_id=str(row.user_id),
            type=inbox.type_of(row.category),
            title=row.title,
            message=row.message,
            data=row.data or None,
            is_read=row.is_read,
            created_at=row.created_at,
        )

    @classmethod
    def of_broadcast(cls, row: Broadcast) -> NotificationOut:
        return cls(
            id=str(row.id),
            user_id=None,
            type=inbox.type_of(row.category),
            title=row.title,
            message=row.message,
            data={"broadcastId": str(row.id), "recipients": row.recipient_count},
            is_read=False,
            created_at=row.created_at,
        )


class NotificationsBody(CamelModel):
    notifications: list[NotificationOut]
    unread_count: int


class NotificationBody(CamelModel):
    notification: NotificationOut


class EmailPreferences(CamelModel):
    booking_confirmation: bool
    session_complete: bool
    payment_receipt: bool
    promotions: bool


class PushPreferences(CamelModel):
    booking_reminder: bool
    session_start: bool
    low_balance: bool


class SmsPreferences(CamelModel):
    booking_confirmation: bool
    payment_confirmation: bool


class InAppPreferences(CamelModel):
    all: bool


class PreferencesOut(CamelModel):
    email: EmailPreferences
    push: PushPreferences
    sms: SmsPreferences
    in_app: InAppPreferences


class PreferencesBody(CamelModel):
    preferences: PreferencesOut


def _preferences(groups: preferences.Preferences) -> PreferencesBody:
    return PreferencesBody(preferences=PreferencesOut.model_validate(groups))


class BulkOut(Done):
    count: int


# -- request shapes --------------------------------------------------------------------------


class EmailPreferencesIn(StrictCamelModel):
    booking_confirmation: bool | None = None
    session_complete: bool | None = None
    payment_receipt: bool | None = None
    promotions: bool | None = None


class PushPreferencesIn(StrictCamelModel):
    booking_reminder: bool | None = None
    session_start: bool | None = None
    low_balance: bool | None = None


class SmsPreferencesIn(StrictCamelModel):
    booking_confirmation: bool | None = None
    payment_confirmation: bool | None = None


class InAppPreferencesIn(StrictCamelModel):
    all: bool | None = None


class PreferencesIn(StrictCamelModel):
    """Any of the four groups, any of their switches; what is left out stays."""

    email: EmailPreferencesIn | None = None
    push: PushPreferencesIn | None = None
    sms: SmsPreferencesIn | None = None
    in_app: InAppPreferencesIn | None = None

    def changes(self) -> preferences.Preferences:
        groups = {"email": self.email, "push": self.push, "sms": self.sms, "in_app": self.in_app}
        return {
            group: {
                name: on for name, on in given.model_dump(by_alias=False).items() if on is not None
            }
            for group, given in groups.items()
            if given is not None
        }


class AlertIn(StrictCamelModel):
    title: Title
    message: Message
    type: NotificationType = "system"
    target_users: list[UserId] | None = Field(
        default=None,
        min_length=1,
        max_length=broadcasts.MAX_RECIPIENTS,
        description="Left out: every active user",
    )


class BulkIn(StrictCamelModel):
    title: Title
    message: Message
    user_ids: list[UserId] = Field(min_length=1, max_length=broadcasts.MAX_RECIPIENTS)


# -- routes ----------------------------------------------------------------------------------


@router.get("", operation_id="cms_list_notifications")
@router.get("/", include_in_schema=False)
async def list_notifications(
    principal: NotificationsRead,
    session: SessionDep,
    pagination: Pagination,
    status: Literal["read", "unread"] | None = None,
    kind: Annotated[NotificationType | None, Query(alias="type")] = None,
) -> PagedEnvelope[NotificationsBody]:
    """The caller's notifications, newest first; ``unreadCount`` counts all of them."""
    found = await inbox.list_inbox(
        session,
        principal,
        params=pagination,
        is_read=None if status is None else status == "read",
        kind=kind,
    )
    return PagedEnvelope(
        data=NotificationsBody(
            notifications=[NotificationOut.of(row) for row in found.page.items],
            unread_count=found.unread,
        ),
        pagination=PaginationOut.of(found.page),  # type: ignore[arg-type]
    )


@router.get("/preferences", operation_id="cms_notification_preferences")
async def get_preferences(
    principal: NotificationsRead, session: SessionDep
) -> Envelope[PreferencesBody]:
    return Envelope(data=_preferences(await preferences.get_preferences(session, principal)))


@router.put("/preferences", operation_id="cms_update_notification_preferences")
async def update_preferences(
    body: PreferencesIn, principal: NotificationsWrite, session: SessionDep
) -> Envelope[PreferencesBody]:
    groups = await preferences.update_preferences(session, principal, changes=body.changes())
    return Envelope(message="Preferences updated", data=_preferences(groups))


@router.put("/read-all", operation_id="cms_read_all_notifications")
async def read_all(principal: NotificationsWrite, session: SessionDep) -> Envelope[Done]:
    marked = await inbox.mark_all_read(session, principal)
    return Envelope(message=f"{marked} notifications marked as read", data=Done())


@router.delete("", operation_id="cms_delete_all_notifications")
@router.delete("/", include_in_schema=False)
async def delete_all(principal: NotificationsWrite, session: SessionDep) -> Envelope[Done]:
    deleted = await inbox.delete_all(session, principal)
    return Envelope(message=f"{deleted} notifications deleted", data=Done())


@router.get("/{notification_id}", operation_id="cms_get_notification")
async def get_notification(
    notification_id: NotificationId, principal: NotificationsRead, session: SessionDep
) -> Envelope[NotificationBody]:
    row = await inbox.get_notification(session, principal, notification_id)
    return Envelope(data=NotificationBody(notification=NotificationOut.of(row)))


@router.patch("/{notification_id}/read", operation_id="cms_read_notification")
async def read_notification(
    notification_id: NotificationId, principal: NotificationsWrite, session: SessionDep
) -> Envelope[NotificationBody]:
    row = await inbox.mark_read(session, principal, notification_id)
    return Envelope(data=NotificationBody(notification=NotificationOut.of(row)))


@router.delete("/{notification_id}", operation_id="cms_delete_notification")
async def delete_notification(
    notification_id: NotificationId, principal: NotificationsWrite, session: SessionDep
) -> Envelope[Done]:
    await inbox.delete_notification(session, principal, notification_id)
    return Envelope(message="Notification deleted", data=Done())


@router.post("", status_code=201, operation_id="cms_create_system_alert")
@router.post("/", status_code=201, include_in_schema=False)
async def create_alert(
    body: AlertIn, principal: NotificationsManage, session: SessionDep
) -> Envelope[NotificationBody]:
    """A system alert to ``targetUsers`` (left out: every active user), sent in batches."""
    alert = await broadcasts.create_broadcast(
        session,
        principal,
        title=body.title,
        message=body.message,
        category=body.type,
        user_ids=body.target_users,
    )
    return Envelope(
        message=f"Alert queued for {alert.recipient_count} users",
        data=NotificationBody(notification=NotificationOut.of_broadcast(alert)),
    )


@router.post("/bulk", operation_id="cms_send_bulk_notification")
async def send_bulk(
    body: BulkIn, principal: NotificationsManage, session: SessionDep
) -> Envelope[BulkOut]:
    """One notification to each of ``userIds`` (ids of no active user are left out)."""
    sent = await broadcasts.create_broadcast(
        session,
        principal,
        title=body.title,
        message=body.message,
        category="system",
        user_ids=body.user_ids,
    )
    return Envelope(
        message=f"Notification queued for {sent.recipient_count} users",
        data=BulkOut(count=sent.recipient_count),
    )
