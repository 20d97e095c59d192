"""The admin site of the desk: the stock AdminSite with the start page (reviews/dashboard.py) as its index."""

from __future__ import annotations

from django.contrib import admin


class DeskAdminSite(admin.AdminSite):
    index_template = "admin/desk_index.html"
    # The app list is on the start page and in the breadcrumbs; as a sidebar it takes 300 px
    # of a 1366 px laptop screen from every list and form.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        """The dashboard for the user's role, above the stock list of apps."""
        from reviews.dashboard import activity_line, dashboard_for  # models load after the site is made

        board = dashboard_for(request.user)
        activity = [(t, activity_line(t)) for t in board.activity]
        return super().index(request, {"dashboard": board, "activity": activity, **(extra_context or {})})
