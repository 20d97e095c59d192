"""Authentication classes named in REST_FRAMEWORK settings (kept apart from views: DRF imports
them while rest_framework.views is still loading)."""

from __future__ import annotations

from knox import auth as knox_auth
from rest_framework import exceptions


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token authentication, refusing tokens that are not printable ASCII with a 401.

    knox decodes the header as UTF-8 (a stray byte such as 0x85 raised UnicodeDecodeError, a 500)
    and looks the token up as given (a NUL made PostgreSQL fail). Real tokens are hex digits.
    """

    def authenticate_credentials(self, token: bytes):
        if not token.isascii() or not token.decode("ascii").isprintable():
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)
