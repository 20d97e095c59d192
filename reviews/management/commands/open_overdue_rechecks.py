"""Open a re-check for every published verdict past its re-check date. Safe to run any number of
times (from cron, daily): a claim never has two open overdue re-checks."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from claims.management.acting import acting_user, add_as_argument
from reviews.rechecks import rechecks_open_overdue


class Command(BaseCommand):
    help = "Open re-checks for published verdicts whose re-check date has passed (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as of this date (YYYY-MM-DD); default: today.")
        add_as_argument(parser)

    def handle(self, *args, today: str | None = None, as_user: str | None = None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from exc
        opened = rechecks_open_overdue(by=acting_user(as_user), today=day)
        self.stdout.write(f"{len(opened)} overdue re-check{'s' if len(opened) != 1 else ''} opened")
