"""The append-only, hash-chained audit log: its tables live in the shared kernel, beside the recorder."""

from __future__ import annotations

from market.kernel.audit import AuditEntry, AuditHead

__all__ = ["AuditEntry", "AuditHead"]
