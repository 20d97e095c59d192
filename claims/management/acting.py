"""Who a command acts as: `--as USERNAME`, or else the system account, named in history either way."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from claims.services import system_user


def add_as_argument(parser) -> None:
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="Act as this user (who must hold the permissions); by default the 'system' account.",
    )


def acting_user(username: str | None):
    """The user named by `--as`, or the system account."""
    if not username:
        return system_user()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--as {username}: no active user of that name")
    return user
