"""Every steward router, in the order they must be mounted (one line in `api.main`)."""

from __future__ import annotations

from api.routers import steward, steward_admin, steward_services, steward_sharing

STEWARD_ROUTERS = (
    steward.router,
    steward_services.router,
    steward_sharing.router,
    steward_admin.router,
)
