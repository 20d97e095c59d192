"""Send each user who chose a daily digest one e-mail with their notifications not e-mailed yet. Daily from cron."""

from django.core.management.base import BaseCommand

from reviews.notifications import send_digests


class Command(BaseCommand):
    help = "E-mail the daily digest to every user who chose it (only what was not e-mailed before)."

    def handle(self, *args, **options):
        count = send_digests()
        self.stdout.write(f"{count} digest(s) sent")
