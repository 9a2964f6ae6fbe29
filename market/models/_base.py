"""What several tables share."""

from __future__ import annotations

from enum import StrEnum


class Availability(StrEnum):
    """Whether an account or an offering is in use, as the audit log names it (each is stored as a boolean)."""

    ACTIVE = "active"
    INACTIVE = "inactive"

    @classmethod
    def of(cls, active: bool) -> Availability:
        """The availability a stored boolean stands for."""
        return cls.ACTIVE if active else cls.INACTIVE
