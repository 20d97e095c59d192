from django.core.management.base import BaseCommand, CommandError

from tracker.logins import login_unlock


class Command(BaseCommand):
    help = "Lift a failed-login lockout for a username and/or a client address."

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--address")

    def handle(self, *args, username=None, address=None, **options):
        if not (username or address):
            raise CommandError("Give --username, --address or both.")
        login_unlock(username=username, address=address)
        self.stdout.write(f"Unlocked: {', '.join(filter(None, [username, address]))}")
