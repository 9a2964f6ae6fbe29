"""The board, as jiebang serves it: published tasks filtered by status and category, newest posted first, 20 a page.

`status` filters the stored status. jiebang filters on the status derived at the instant, but it stores every
time-due transition before a request reads (its per-request catch-up), so on a served database the two agree.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from peer.models import Alliance, Community, Task

PAGE_SIZE = 20
STATUSES = {
    "posted": "揭榜中",
    "reviewing": "评审中",
    "awarded": "承榜公示",
    "in_progress": "实施中",
    "delivered": "已交付",
    "closed": "已结项",
    "cancelled": "已撤榜",
    "unclaimed": "流榜",
}
CATEGORIES = {
    "elderly_care": "养老服务",
    "mental_health": "心理健康",
    "legal_aid": "法律援助",
    "finance_education": "金融教育",
    "culture": "文化活动",
    "children": "儿童关爱",
    "environment": "环境保护",
    "other": "其他",
}


def board(request: HttpRequest) -> QuerySet[Task]:
    """Published tasks narrowed by the query string's status and category, in jiebang's order."""
    qs = Task.objects.filter(posted_at__isnull=False)
    status = request.GET.get("status")
    if status in STATUSES:
        qs = qs.filter(status=status)
    category = request.GET.get("category")
    if category in CATEGORIES:
        qs = qs.filter(category=category)
    return qs.order_by(F("posted_at").desc(nulls_last=True), "-id")


class AllianceRef(serializers.ModelSerializer):
    class Meta:
        model = Alliance
        fields = ["code", "name"]


class CommunityRef(serializers.ModelSerializer):
    street = serializers.CharField(source="street.name")

    class Meta:
        model = Community
        fields = ["id", "name", "street"]


class TaskSummary(serializers.ModelSerializer):
    alliances = AllianceRef(many=True)
    communities = CommunityRef(many=True)
    claims = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "category",
            "status",
            "posting_unit",
            "budget_fen",
            "claim_deadline",
            "allow_joint",
            "alliances",
            "communities",
            "posted_at",
            "claims",
        ]


class TotalAndItems(PageNumberPagination):
    """jiebang's page shape: {"total": n, "items": [...]}."""

    page_size = PAGE_SIZE

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None
        return Response({"total": self.page.paginator.count, "items": data})


class TaskList(generics.ListAPIView):
    """GET /api/tasks?status=…&category=…&page=5 — the board as JSON (DRF list view)."""

    serializer_class = TaskSummary
    pagination_class = TotalAndItems

    def get_queryset(self) -> QuerySet[Task]:
        return board(self.request).prefetch_related(
            Prefetch("alliances", queryset=Alliance.objects.order_by("position")),
            Prefetch("communities", queryset=Community.objects.select_related("street").order_by("id")),
        )


def task_page(request: HttpRequest) -> HttpResponse:
    """GET /tasks?status=…&category=…&page=5 — the board as HTML (a Django template view), the cards jiebang shows."""
    paginator = Paginator(board(request), PAGE_SIZE)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    try:
        page = paginator.page(number)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    for task in page.object_list:
        task.status_label = STATUSES.get(task.status, task.status)
        task.category_label = CATEGORIES.get(task.category, task.category)
        task.budget_text = f"¥{task.budget_fen // 100:,}.{task.budget_fen % 100:02d}"
    context = {
        "page": page,
        "statuses": STATUSES,
        "categories": CATEGORIES,
        "status": request.GET.get("status", ""),
        "category": request.GET.get("category", ""),
    }
    return render(request, "peer/tasks.html", context)
