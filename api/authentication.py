"""Authentication classes named in REST_FRAMEWORK settings (kept apart from views: DRF imports
them while rest_framework.views is still loading)."""

from __future__ import annotations

from knox import auth as knox_auth
from knox.models import AuthToken
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication

from tracker.logins import client_address, login_failed, login_retry_after


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token authentication, refusing tokens that are not printable ASCII with a 401.

    knox decodes the header as UTF-8 (a stray byte such as 0x85 raised UnicodeDecodeError, a 500)
    and looks the token up as given (a NUL made PostgreSQL fail). Real tokens are hex digits.
    """

    def authenticate_credentials(self, token: bytes):
        if not token.isascii() or not token.decode("ascii").isprintable():
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)


class LimitedBasicAuthentication(BasicAuthentication):
    """HTTP Basic for the token login, refusing locked-out names and addresses before the password.

    See tracker.logins: a 429 with Retry-After once LOGIN_FAILURE_LIMIT failures are reached.
    """

    def authenticate_credentials(self, userid, password, request=None):
        address = client_address(request) if request is not None else None
        wait = login_retry_after(username=userid, address=address)
        if wait is not None:
            raise exceptions.Throttled(wait, detail="Too many failed logins for this name or address.")
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            login_failed(username=userid, address=address)
            raise


def tokens_revoke(*, user) -> int:
    """Revoke every API token of `user` (on a password change, or by logout-all); returns how many."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


class RevokeTokensOnPasswordChange:
    """Not a rule on passwords: Django calls every validator's password_changed() whenever a
    password is saved (admin forms, `changepassword`, set_password + save anywhere), which
    makes it the one hook all of them share. A stolen token then dies with the old password."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            tokens_revoke(user=user)

    def get_help_text(self) -> str:
        return ""
