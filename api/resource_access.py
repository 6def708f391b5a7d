"""Which resource's quality records a caller may see: one rule for every quality route.

The per-resource quality routes and the quality history share it (routers may not import
each other): an unknown resource is a 404 pointing at the list of resources, and a steward
sees only their own department's resources.
"""

from __future__ import annotations

from fastapi import HTTPException, status

from api.auth import Caller
from contracts.registry import bundled_contracts
from directory.actors import Role


def check_resource(caller: Caller, resource: str) -> None:
    """Raise 404 for a resource no contract names, 403 for a steward asking for another
    department's; return quietly otherwise."""
    contract = bundled_contracts().get(resource)
    if contract is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail={
                "code": "unknown_resource",
                "message": f"no resource {resource}; see /v1/resources",
            },
        )
    if caller.role is Role.steward and contract.department != caller.department:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "code": "not_your_department",
                "message": f"{resource} belongs to {contract.department}; stewards see their own",
            },
        )
