"""jiebang's tables as Django sees them: unmanaged (jiebang's migrations own the schema), only what the board reads."""

from __future__ import annotations

from django.db import models


class Alliance(models.Model):
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=50)
    position = models.IntegerField()

    class Meta:
        managed = False
        db_table = "alliances"


class Street(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        managed = False
        db_table = "streets"


class Community(models.Model):
    name = models.CharField(max_length=50)
    street = models.ForeignKey(Street, on_delete=models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "communities"


class Task(models.Model):
    title = models.CharField(max_length=100)
    category = models.CharField(max_length=30)
    posting_unit = models.CharField(max_length=100)
    budget_fen = models.IntegerField()
    claim_deadline = models.DateTimeField()
    allow_joint = models.BooleanField()
    status = models.CharField(max_length=20)
    posted_at = models.DateTimeField(null=True)
    closed_at = models.DateTimeField(null=True)
    submitted_count = models.IntegerField()
    alliances = models.ManyToManyField(Alliance, through="TaskAlliance")
    communities = models.ManyToManyField(Community, through="TaskCommunity")

    class Meta:
        managed = False
        db_table = "tasks"

    @property
    def claims(self) -> int | None:
        """jiebang's rule: no count while proposals are sealed (before the deadline, or cancelled before it)."""
        if self.status in ("draft", "posted"):
            return None
        if self.status == "cancelled" and self.closed_at is not None and self.closed_at < self.claim_deadline:
            return None
        return self.submitted_count


class TaskAlliance(models.Model):
    pk = models.CompositePrimaryKey("task_id", "alliance_id")
    task = models.ForeignKey(Task, on_delete=models.DO_NOTHING)
    alliance = models.ForeignKey(Alliance, on_delete=models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "task_alliances"


class TaskCommunity(models.Model):
    pk = models.CompositePrimaryKey("task_id", "community_id")
    task = models.ForeignKey(Task, on_delete=models.DO_NOTHING)
    community = models.ForeignKey(Community, on_delete=models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "task_communities"
