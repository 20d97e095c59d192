"""Structured-fact reads, under /api/ (see tracker/urls.py)."""

from django.urls import path

from claims import facts_api

urlpatterns = [
    path("entities/graph/", facts_api.EntityGraphView.as_view(), name="entity-graph"),
    path("timeline/", facts_api.TimelineView.as_view(), name="timeline"),
    path("conflicts/", facts_api.ConflictListView.as_view(), name="conflict-list"),
]
