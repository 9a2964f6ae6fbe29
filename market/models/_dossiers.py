"""The award dossier (评审档案): the record that defends an award, frozen when its notice period begins.

Shape, for every reader of these tables (the dossier pages and API, open data):

- `award_dossiers`: one row per award, written in the transaction that puts the award into notice and never
  updated. `document` is the JSON text served as is (UTF-8, keys in a fixed order), `sha256` its digest, and
  `audit_length` / `audit_head` the audit chain's length and head hash right after the award's own entries (the
  dossier's own audit entry, `award` / `dossier`, comes after them and carries the digest). The document's keys:
  `version` (1), `task` {id, title, posting_unit, budget_fen, claim_deadline}, `award` {id, proposal_id,
  lead_org_name, rank, score, reason, off_rank, awarded_at, notice_ends_at}, `rubric` [{name, maximum}],
  `panel` {named, members: [{letter, name}]} with `letter` A, B… by seat order (shown as 评委A; `name` null unless
  the committee named the panel), `standings` [{proposal_id, lead_org_name, rank, score, first_criterion_mean,
  means {criterion: mean}, marks [{member: letter, marks {criterion: mark}, total}], recused [letter],
  dropped [lowest, highest total left out of the score, or none]}], exactly
  the ranking's order and figures, `qualification` [{proposal_id, lead_org_name, qualified, reason}],
  `questions` [{question, answer, answered_at}], `amendments` [{number, reason, changes, material, made_at}],
  `audit` {length, head}. Figures are decimal strings, times RFC 3339 UTC. The structs are
  `market.schemas._dossiers.DossierDocument` and `AdditionDocument`.
- `award_dossier_additions`: what happened to the award afterwards, appended, never rewritten: `number` from 1 per
  dossier, `kind` `objection_dismissed` or `revoked`, `document` its JSON text ({objections: [id], resolution,
  at}).
"""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.db import Base


class AwardDossier(Base):
    """One award's dossier, exactly as published when its notice period began."""

    __tablename__ = "award_dossiers"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), unique=True)
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    audit_length: Mapped[int] = mapped_column(BigInteger)
    audit_head: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class DossierAddition(Base):
    """Something that happened to an award after its dossier was published: a dismissed objection, a revocation."""

    __tablename__ = "award_dossier_additions"
    __table_args__ = (UniqueConstraint("dossier_id", "number"),)

    dossier_id: Mapped[int] = mapped_column(ForeignKey("award_dossiers.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    document: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
