"""Tell reviewers (and the editors who assigned them) once that a review is overdue. Daily from cron."""

from django.core.management.base import BaseCommand

from reviews.notifications import notify_overdue_reviews


class Command(BaseCommand):
    help = "Notify each overdue review's reviewer and assigning editor, once (idempotent)."

    def handle(self, *args, **options):
        count = notify_overdue_reviews()
        self.stdout.write(f"{count} overdue review(s) notified")
