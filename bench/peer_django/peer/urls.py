"""The peer's two views of the board."""

from __future__ import annotations

from django.urls import path

from peer import views

urlpatterns = [
    path("api/tasks", views.TaskList.as_view()),
    path("tasks", views.task_page),
]
