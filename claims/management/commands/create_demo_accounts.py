"""Create the local demo accounts (an editor and two reviewers); never in production."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# (username, group): the names fixtures/workflow.json and the README refer to.
DEMO_ACCOUNTS = [("editor", "Editors"), ("reviewer1", "Reviewers"), ("reviewer2", "Reviewers")]


def passwords_file() -> Path:
    # var/ is git-ignored: the passwords stay on this machine.
    return Path(settings.BASE_DIR) / "var" / "demo_accounts.txt"


def read_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    stored = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        username, _, password = line.partition(" ")
        if username and password:
            stored[username] = password
    return stored


def write_passwords(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # Created 0600 from the start, so the passwords are never readable by others.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(f"{username} {password}\n" for username, password in passwords.items())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class Command(BaseCommand):
    help = (
        "Create the local demo accounts editor (Editors), reviewer1 and reviewer2 (Reviewers) with random "
        "passwords, printed here and kept in var/demo_accounts.txt. Refused when DEMO_ACCOUNTS is off "
        "(the default when DEBUG is off). Re-running changes nothing and prints the passwords again."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_ACCOUNTS:
            raise CommandError(
                "Demo accounts are for local use only: DEMO_ACCOUNTS is off (DEBUG is off). "
                "Create real accounts with `manage.py createsuperuser`."
            )
        path = passwords_file()
        stored = read_passwords(path)
        User = get_user_model()
        lines = []
        created = False
        with transaction.atomic():
            for username, group_name in DEMO_ACCOUNTS:
                # The workflow migration creates the groups with their permissions; this
                # only makes sure the group exists when that migration is not there.
                group, _ = Group.objects.get_or_create(name=group_name)
                user = User.objects.filter(username=username).first()
                if user is None:
                    # Reuse a stored password after a database reset, so it stays the same.
                    password = stored.get(username) or secrets.token_urlsafe(12)
                    user = User.objects.create_user(username=username, password=password, is_staff=True)
                    user.groups.add(group)
                    stored[username] = password
                    created = True
                    lines.append(f"created  {username:<10} password {password}  ({group_name})")
                elif username in stored:
                    lines.append(f"exists   {username:<10} password {stored[username]}  ({group_name})")
                else:
                    lines.append(
                        f"exists   {username:<10} password not stored; set one with "
                        f"`manage.py changepassword {username}`  ({group_name})"
                    )
            if created:
                write_passwords(path, stored)
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Demo accounts ready; log in at /admin/. Passwords kept in {path}"))
