"""Every context's tables on one metadata: what Alembic and the schema check compare."""

from evcare.core.db import Base
from evcare.core.events import OutboxEvent
from evcare.identity.models import AuthSession, RefreshToken, User

metadata = Base.metadata

__all__ = ["AuthSession", "OutboxEvent", "RefreshToken", "User", "metadata"]
