"""A task's history as OCDS 1.1 releases (pure: rows in, JSON-ready dicts out).

One release per dated fact, each with an id that never changes (`<ocid>-<what>[-<n>]`) and the fact's own date:
the posting (tender), every amendment (tenderAmendment), every published answer (tenderUpdate with an enquiry), the
bids at the claim deadline (tenderUpdate), a task gone unclaimed (tenderUpdate, status unsuccessful) or cancelled
(tenderCancellation), every award (award) with its confirmation (awardUpdate) or revocation (awardCancellation), the
project (contract), and its progress reports, delivery and final grade (implementation). The terms a tender or
amendment release states are those in force then, worked back from today's terms through the amendments' records.
Facts with no date of their own (a bid's qualification, a milestone met) are stated as they are now.

Nothing sealed is here: bids appear only once proposals are unsealed (`History.bids` is empty before), and only who
bid, when and whether it was qualified; a proposal's content, a disqualification's reason, an objector and every
contact number stay out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any

from alliances.models import Organization
from market.grading import Grade
from market.kernel.clock import SHANGHAI, as_utc
from market.models import Award, Milestone, ProgressReport, Project, Proposal, TaskQuestion
from market.services._ocds._load import History
from market.states import AwardStatus, InvitationStatus, ProposalStatus, TaskStatus

Json = dict[str, Any]

COMMITTEE = "committee"
BUYER = "buyer"
BID_STATUS = {
    ProposalStatus.SUBMITTED: "pending",
    ProposalStatus.QUALIFIED: "valid",
    ProposalStatus.AWARDED: "valid",
    ProposalStatus.NOT_AWARDED: "valid",
    ProposalStatus.DISQUALIFIED: "disqualified",
}


def ocid_of(prefix: str, task_id: int) -> str:
    """The task's Open Contracting ID: the configured prefix, "-" and the task's id."""
    return f"{prefix}-{task_id}"


def stamp(value: datetime) -> str:
    """An OCDS date-time: RFC 3339 in UTC, to the second (facts within one second keep the order they happened in:
    releases are listed, and merged, in that order)."""
    return as_utc(value).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def first_instant(value: date) -> datetime:
    """The first instant of a calendar day in Beijing."""
    return datetime.combine(value, time(), tzinfo=SHANGHAI)


def day_stamp(value: date) -> str:
    """A calendar day in Beijing as the date-time of its first instant."""
    return stamp(first_instant(value))


def money(fen: int) -> Json:
    """An OCDS Value in yuan (the database keeps integer fen)."""
    return {"amount": fen // 100 if fen % 100 == 0 else fen / 100, "currency": "CNY"}


def org_ref(org: Organization) -> Json:
    """An OrganizationReference to an organisation's party."""
    return {"id": f"org-{org.id}", "name": org.name}


def members_of(p: Proposal) -> list[Organization]:
    """A claim's organisations, the lead first, then the partners who accepted."""
    partners = [
        m.organization
        for m in p.members
        if m.organization_id != p.lead_org_id and m.invitation == InvitationStatus.ACCEPTED
    ]
    return [p.lead_org, *partners]


@dataclass
class _Builder:
    """Walks one task's facts in date order, keeping each party's roles as they stand at every release."""

    history: History
    ocid: str
    publisher: str
    alliance_names: dict[str, str]
    site: str
    roles: dict[str, list[str]] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    releases: list[Json] = field(default_factory=list)
    implementation_begun: bool = False

    def release(self, suffix: str, when: datetime, tag: str, **body: Any) -> None:
        self.releases.append(
            {
                "ocid": self.ocid,
                "id": f"{self.ocid}-{suffix}",
                "date": stamp(when),
                "tag": [tag],
                "initiationType": "tender",
                "language": "zh",
                **body,
            }
        )

    def parties(self, *ids: str) -> list[Json]:
        out = []
        for pid in ids:
            org = self.orgs[pid]
            party: Json = {"id": pid, "name": org.name, "roles": list(self.roles.get(pid, []))}
            party["identifier"] = {"id": org.credit_code, "legalName": org.name}
            out.append(party)
        return out

    def give(self, org: Organization, *roles: str) -> str:
        pid = f"org-{org.id}"
        self.orgs[pid] = org
        held = self.roles.setdefault(pid, [])
        held.extend(r for r in roles if r not in held)
        return pid

    def take(self, pid: str, role: str) -> None:
        if role in self.roles.get(pid, []):
            self.roles[pid].remove(role)

    # The tender and its changes ---------------------------------------------------------------------------------

    def terms_history(self) -> list[Json]:
        """The terms at posting and after each amendment, worked back from today's."""
        t = self.history.task
        now = {
            "title": t.title,
            "description": t.description,
            "posting_unit": t.posting_unit,
            "budget_fen": t.budget_fen,
            "claim_deadline": stamp(t.claim_deadline),
            "rubric": t.rubric,
            "alliances": [a.code for a in t.alliances],
        }
        states = [now]
        for a in reversed(self.history.amendments):
            earlier = dict(states[0])
            for name, change in a.changes.items():
                if name in earlier:
                    earlier[name] = change["before"]
            states.insert(0, earlier)
        return states

    def tender(self, terms: Json, **extra: Any) -> Json:
        t = self.history.task
        codes = terms["alliances"]
        return {
            "id": self.ocid,
            "title": terms["title"],
            "description": terms["description"],
            "value": money(int(terms["budget_fen"])),
            # Open to every alliance, or only to those named (selective).
            "procurementMethod": "open" if len(codes) >= len(self.alliance_names) else "selective",
            "procurementMethodDetails": "、".join(self.alliance_names.get(c, c) for c in codes),
            "mainProcurementCategory": "services",
            "awardCriteria": "ratedCriteria",
            "awardCriteriaDetails": "；".join(f"{c['name']} {c['maximum']}" for c in terms["rubric"]),
            "submissionMethod": ["electronicSubmission"],
            "tenderPeriod": {"startDate": stamp(t.posted_at or t.claim_deadline), "endDate": terms["claim_deadline"]},
            "procuringEntity": {"id": COMMITTEE, "name": self.publisher},
            "documents": [self.notice()],
            **extra,
        }

    def notice(self) -> Json:
        """The task's public page: the tender notice (榜单), its questions and amendments as they stand."""
        return {
            "id": "notice",
            "documentType": "tenderNotice",
            "url": f"{self.site}/tasks/{self.history.task.id}",
            "format": "text/html",
            "language": "zh",
        }

    def buyer_parties(self, terms: Json) -> Json:
        return {
            "buyer": {"id": BUYER, "name": terms["posting_unit"]},
            "parties": [
                {"id": COMMITTEE, "name": self.publisher, "roles": ["procuringEntity"]},
                {"id": BUYER, "name": terms["posting_unit"], "roles": ["buyer"]},
            ],
        }

    def posted(self, terms: list[Json], when: datetime) -> None:
        self.release(
            "tender",
            when,
            "tender",
            **self.buyer_parties(terms[0]),
            tender=(self.tender(terms[0], status="active")),
        )

    def amended(self, number: int, terms: list[Json], when: datetime) -> None:
        a = self.history.amendments[number - 1]
        previous = "tender" if number == 1 else f"amendment-{number - 1}"
        amendment = {
            "id": str(a.number),
            "date": stamp(a.made_at),
            "rationale": a.reason,
            "description": ", ".join(sorted(a.changes)),
            "amendsReleaseID": f"{self.ocid}-{previous}",
            "releaseID": f"{self.ocid}-amendment-{number}",
        }
        body = self.buyer_parties(terms[number])
        self.release(
            f"amendment-{number}",
            when,
            "tenderAmendment",
            **body,
            tender=(self.tender(terms[number], amendments=[amendment])),
        )

    def answered(self, q: TaskQuestion, when: datetime) -> None:
        enquiry = {
            "id": str(q.id),
            "date": stamp(q.created_at),
            "description": q.question,
            "answer": q.answer,
            "dateAnswered": stamp(when),
        }
        self.release(
            f"enquiry-{q.id}",
            when,
            "tenderUpdate",
            tender={"id": self.ocid, "hasEnquiries": True, "enquiries": [enquiry]},
        )

    # Claims, awards and the end of the tender ---------------------------------------------------------------------

    def decisions(self, when: datetime) -> Json:
        """The committee's qualification of each bid, published with an award (and its dossier) or with the end of
        a review that found none qualified; until then every bid is pending."""
        details = [{"id": str(p.id), "status": BID_STATUS[ProposalStatus(p.status)]} for p in self.history.bids]
        valid = sum(1 for d in details if d["status"] == "valid")
        return {
            "statistics": [{"id": "validBids", "measure": "validBids", "value": valid, "date": stamp(when)}],
            "details": details,
        }

    def bids_opened(self, deadline: datetime) -> None:
        bids = self.history.bids
        details, tenderers = [], []
        for p in bids:
            members = members_of(p)
            refs = []
            for i, org in enumerate(members):
                lead = i == 0 and len(members) > 1
                pid = self.give(org, "tenderer", *(["leadTenderer"] if lead else []))
                refs.append(org_ref(org))
                if pid not in tenderers:
                    tenderers.append(pid)
            bid: Json = {"id": str(p.id), "tenderers": refs}
            if p.submitted_at is not None:
                bid["date"] = stamp(p.submitted_at)
            bid["status"] = "pending"
            details.append(bid)
        statistics = [
            {"id": "bids", "measure": "bids", "value": len(details), "date": stamp(deadline)},
            {"id": "bidders", "measure": "bidders", "value": len(tenderers), "date": stamp(deadline)},
        ]
        self.release(
            "bids",
            deadline,
            "tenderUpdate",
            parties=self.parties(*tenderers),
            tender={
                "id": self.ocid,
                "numberOfTenderers": len(tenderers),
                "tenderers": [org_ref(self.orgs[pid]) for pid in tenderers],
            },
            bids={"statistics": statistics, "details": details},
        )

    def awarded(self, award: Award, when: datetime) -> None:
        proposal = next(p for p in self.history.bids if p.id == award.proposal_id)
        suppliers = members_of(proposal)
        ids = [self.give(org, "supplier") for org in suppliers]
        entry: Json = {
            "id": str(award.id),
            "title": self.history.task.title,
            "status": "pending",
            "date": stamp(award.awarded_at),
            "value": money(proposal.requested_budget_fen),
            "suppliers": [org_ref(o) for o in suppliers],
            "relatedBid": str(proposal.id),
        }
        if award.reason.strip():
            entry["description"] = award.reason
        if award.id in self.history.dossiers:
            entry["documents"] = self.dossier(award, when)
        self.release(
            f"award-{award.id}",
            when,
            "award",
            parties=self.parties(*ids),
            awards=[entry],
            tender={"id": self.ocid, "status": "complete"},
            bids=self.decisions(when),
        )

    def dossier(self, award: Award, when: datetime) -> list[Json]:
        """The award's dossier (评审档案), published with it: the page, and the same as JSON."""
        task_id = self.history.task.id
        common = {
            "documentType": "evaluationReports",
            "title": "评审档案",
            "datePublished": stamp(when),
            "language": "zh",
        }
        return [
            {
                "id": f"dossier-{award.id}",
                "url": f"{self.site}/tasks/{task_id}/dossier",
                "format": "text/html",
                **common,
            },
            {
                "id": f"dossier-{award.id}-json",
                "url": f"{self.site}/api/v1/tasks/{task_id}/dossier",
                "format": "application/json",
                **common,
            },
        ]

    def award_decided(self, award: Award, when: datetime) -> None:
        if award.status == AwardStatus.CONFIRMED:
            self.release(
                f"award-{award.id}-confirmed",
                when,
                "awardUpdate",
                awards=[{"id": str(award.id), "status": "active"}],
            )
            return
        proposal = next(p for p in self.history.bids if p.id == award.proposal_id)
        ids = [f"org-{o.id}" for o in members_of(proposal)]
        for pid in ids:
            self.take(pid, "supplier")
        self.release(
            f"award-{award.id}-revoked",
            when,
            "awardCancellation",
            parties=self.parties(*ids),
            awards=[{"id": str(award.id), "status": "cancelled"}],
            tender={"id": self.ocid, "status": "active"},
        )

    def ended(self, when: datetime) -> None:
        t = self.history.task
        if self.history.status is TaskStatus.UNCLAIMED:
            # Unclaimed after claims came in: none was qualified, and the decisions say so.
            decided = {"bids": self.decisions(when)} if self.history.bids else {}
            tender = {"id": self.ocid, "status": "unsuccessful"}
            self.release("unsuccessful", when, "tenderUpdate", tender=tender, **decided)
            return
        notice = {
            "id": "cancellation",
            "documentType": "cancellationDetails",
            "description": t.cancel_reason,
            "datePublished": stamp(when),
        }
        self.release(
            "cancelled",
            when,
            "tenderCancellation",
            tender={"id": self.ocid, "status": "cancelled", "documents": [notice]},
        )

    # The project ------------------------------------------------------------------------------------------------

    def contracted(self, pr: Project, when: datetime) -> None:
        contract: Json = {
            "id": str(pr.id),
            "awardID": str(pr.award_id),
            "title": pr.title,
            "status": "active",
            "value": money(pr.budget_fen),
            "period": {"startDate": stamp(when)},
        }
        self.release("contract", when, "contract", contracts=[contract])

    def planned(self, pr: Project, m: Milestone, when: datetime) -> None:
        milestone = {
            "id": str(m.id),
            "title": m.title,
            "type": "delivery",
            "dueDate": day_stamp(m.due_on),
            "status": "scheduled",
        }
        self.implemented(pr, f"milestone-{m.id}", when, {"implementation": {"milestones": [milestone]}})

    def met(self, pr: Project, m: Milestone, when: datetime) -> None:
        milestone = {"id": str(m.id), "status": "met", "dateMet": stamp(when)}
        self.implemented(pr, f"milestone-{m.id}-met", when, {"implementation": {"milestones": [milestone]}})

    def implemented(self, pr: Project, suffix: str, when: datetime, contract: Json) -> None:
        tag = "implementationUpdate" if self.implementation_begun else "implementation"
        self.implementation_begun = True
        self.release(suffix, when, tag, contracts=[{"id": str(pr.id), "awardID": str(pr.award_id), **contract}])

    def reported(self, pr: Project, r: ProgressReport, when: datetime) -> None:
        document = {
            "id": f"report-{r.id}",
            "documentType": "physicalProgressReport",
            "title": f"{r.percent_complete}%",
            "description": r.body,
            "datePublished": stamp(when),
        }
        self.implemented(pr, f"report-{r.id}", when, {"implementation": {"documents": [document]}})

    def delivered(self, pr: Project, when: datetime) -> None:
        self.implemented(pr, "delivered", when, {"period": {"endDate": stamp(when)}})

    def closed(self, pr: Project, when: datetime) -> None:
        contract: Json = {"status": "terminated"}
        if pr.grade and pr.final_score is not None:
            grade = Grade(pr.grade)
            contract["implementation"] = {
                "documents": [
                    {
                        "id": "final-evaluation",
                        "documentType": "completionCertificate",
                        "title": f"{grade.label_zh} {pr.final_score}",
                        "description": pr.evaluation or grade.label_zh,
                        "datePublished": stamp(when),
                    }
                ]
            }
        self.implemented(pr, "closed", when, contract)


def releases_of(
    history: History, *, prefix: str, publisher: str, alliance_names: dict[str, str], site: str
) -> list[Json]:
    """Every release of one task's contracting process, oldest first; `site` is where the public reaches the service
    (links to an award's dossier start with it)."""
    b = _Builder(history, ocid_of(prefix, history.task.id), publisher, alliance_names, site)
    t = history.task
    terms = b.terms_history()
    facts: list[tuple[datetime, int, Callable[[datetime], None]]] = []

    def at(when: datetime | None, step: Callable[[datetime], None]) -> None:
        if when is not None:
            facts.append((as_utc(when), len(facts), step))

    at(t.posted_at, partial(b.posted, terms))
    for n, amendment in enumerate(history.amendments, start=1):
        at(amendment.made_at, partial(b.amended, n, terms))
    for question in history.questions:
        at(question.answered_at, partial(b.answered, question))
    if history.bids:
        at(t.claim_deadline, b.bids_opened)
    for award in history.awards:
        at(award.awarded_at, partial(b.awarded, award))
        if award.status != AwardStatus.NOTICE:
            at(award.decided_at, partial(b.award_decided, award))
    if history.status in (TaskStatus.UNCLAIMED, TaskStatus.CANCELLED):
        at(t.closed_at or t.claim_deadline, b.ended)
    pr = history.project
    if pr is not None:
        at(pr.started_at, partial(b.contracted, pr))
        for m in pr.milestones:
            at(m.created_at, partial(b.planned, pr, m))
            if m.done_on is not None:
                # Met on a Beijing day, stated as its first instant (never before the milestone was planned).
                at(max(as_utc(m.created_at), first_instant(m.done_on)), partial(b.met, pr, m))
        for report in history.reports:
            at(report.reported_at, partial(b.reported, pr, report))
        at(pr.delivered_at, partial(b.delivered, pr))
        at(pr.closed_at, partial(b.closed, pr))
    for when, _, step in sorted(facts, key=lambda f: (f[0], f[1])):
        step(when)
    return b.releases
