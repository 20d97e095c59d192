"""Re-run the conflict detector over every claim's structured facts."""

from django.core.management.base import BaseCommand

from claims.facts.services import detect_all
from claims.management.acting import acting_user, add_as_argument
from claims.models import Conflict


class Command(BaseCommand):
    help = (
        "Compare every claim's structured facts with every other claim's and store the disagreements as "
        "conflicts. Triaged conflicts keep their decision; open ones that no longer hold are removed."
    )

    def add_arguments(self, parser):
        add_as_argument(parser)

    def handle(self, *args, as_user: str | None = None, **options):
        counts = detect_all(by=acting_user(as_user))
        by_status = {status: Conflict.objects.filter(status=status).count() for status in Conflict.Status.values}
        self.stdout.write(
            f"Conflicts: {counts['created']} created, {counts['updated']} updated, {counts['kept']} unchanged, "
            f"{counts['removed']} removed; now {by_status['open']} open, {by_status['confirmed']} confirmed, "
            f"{by_status['dismissed']} dismissed."
        )
