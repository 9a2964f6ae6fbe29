"""The marketplace: tasks, proposals, scoring, awards and projects."""
