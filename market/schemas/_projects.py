"""Projects (项目清单): milestones, progress reports, residents' feedback, final evaluation, organisations' records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta

from alliances.models import ServiceCategory
from market.grading import Grade
from market.kernel.text import LINE, TEXT
from market.schemas._bars import ClaimBar, WatchEntry
from market.schemas._base import Day, Id, Name, RequiredText, Schema
from market.states import ProjectStatus

Percent = Annotated[int, Meta(ge=0, le=100)]
Rating = Annotated[int, Meta(ge=1, le=5)]
FinalScore = Annotated[int, Meta(ge=0, le=100)]
Comment = Annotated[str, Meta(max_length=2_000, pattern=TEXT)]
ResidentName = Annotated[str, Meta(max_length=50, pattern=LINE)]


class MilestoneCreate(Schema):
    """A planned step."""

    title: Name
    due_on: Day


class ReportCreate(Schema):
    """A progress report; `done` marks the milestone it is about as reached."""

    body: RequiredText
    percent_complete: Percent
    milestone_id: Id | None = None
    done: bool = False


class FeedbackCreate(Schema):
    """A resident's rating, 1 to 5."""

    rating: Rating
    comment: Comment = ""
    name: ResidentName = ""


class EvaluationCreate(Schema):
    """The committee's final evaluation (结项评价): 0..100, graded 优秀/良好/合格/不合格."""

    score: FinalScore
    comment: RequiredText


class OrgRef(Schema):
    """An organisation on a project."""

    id: int
    name: str
    role: Literal["lead", "partner"]


class ProjectSummary(Schema):
    """A project in the project list, with the needs it answers."""

    id: int
    task_id: int
    title: str
    category: ServiceCategory
    status: ProjectStatus
    organization_id: int
    organization_name: str
    budget_fen: int
    started_at: datetime
    delivered_at: datetime | None
    closed_at: datetime | None
    final_score: int | None
    grade: Grade | None
    grade_label: str | None
    need_ids: list[int]
    alliance: str
    alliance_name: str
    latest_percent: int | None
    latest_report: str | None
    latest_report_at: datetime | None


class ProjectPage(Schema):
    """A page of projects."""

    total: int
    items: list[ProjectSummary]


class Milestone(Schema):
    """A planned step and whether it has been reached."""

    id: int
    title: str
    due_on: date
    done_on: date | None


class Report(Schema):
    """A progress report."""

    id: int
    body: str
    percent_complete: int
    milestone_id: int | None
    reported_at: datetime


class Feedback(Schema):
    """A resident's rating as published."""

    id: int
    rating: int
    comment: str
    name: str
    given_at: datetime


class FeedbackSummary(Schema):
    """How residents rated the work: how many ratings and their mean (2 decimals)."""

    count: int
    mean: str | None


class Project(Schema):
    """A project in full, as the public sees it."""

    id: int
    task_id: int
    award_id: int
    proposal_id: int
    title: str
    category: ServiceCategory
    status: ProjectStatus
    organizations: list[OrgRef]
    budget_fen: int
    started_at: datetime
    delivered_at: datetime | None
    closed_at: datetime | None
    percent_complete: int
    milestones: list[Milestone]
    reports: list[Report]
    feedback: FeedbackSummary
    recent_feedback: list[Feedback]
    final_score: int | None
    grade: Grade | None
    grade_label: str | None
    evaluation: str
    need_ids: list[int]


class OrganizationRecord(Schema):
    """An organisation's public record: projects it led, those done, its mean final score, and what bars it from
    claiming (with the watch list's history)."""

    organization_id: int
    organization_name: str
    projects_done: int
    mean_final_score: str | None
    grades: dict[str, int]
    projects: list[ProjectSummary]
    # What bars it from claiming now (a 不合格 grade for a while, the watch list until lifted), and every stay on
    # the watch list, newest first.
    claim_bars: list[ClaimBar]
    watch_list: list[WatchEntry]
    # Participation points counted (积分, notice ended with no objection upheld); history at /organizations/{id}/points.
    points: int
