"""Who is acting, and what their role lets them do in the directory.

The rules live here rather than in the API so that the CLI, the API and the pipelines all
apply the same ones: stewards change their own department's entries, service items and
requests; admins change anything; every authenticated role may read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from directory.errors import PermissionDenied


class Role(StrEnum):
    clerk = "clerk"
    steward = "steward"
    analyst = "analyst"
    auditor = "auditor"
    admin = "admin"


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role
    department: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def acts_for(self, department: str) -> bool:
        """Whether the actor may change what `department` owns."""
        return self.is_admin or (self.role is Role.steward and self.department == department)

    def require(self, department: str, what: str) -> None:
        if not self.acts_for(department):
            raise PermissionDenied(
                f"{self.name} ({self.role.value}, {self.department}) may not {what}: only a "
                f"steward of {department} or an admin may. Ask them, or sign in as one."
            )


SYSTEM = Actor("system", Role.admin, "gsc")
