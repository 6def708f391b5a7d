"""The error contract under its old name, for the routers that still import it from here.

The contract is `api.errors` (the route class is `ErrorContractRoute` there); this module goes
once the quality, resources and analytics routers import it from there.
"""

from __future__ import annotations

from api.errors import ERROR_RESPONSES as ERROR_RESPONSES
from api.errors import ErrorContractRoute

StewardRoute = ErrorContractRoute

__all__ = ["ERROR_RESPONSES", "StewardRoute"]
