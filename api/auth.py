"""API tokens: log in with a password or a session to get one, log out to revoke it (knox).

Tokens are stored hashed, expire after REST_KNOX TOKEN_TTL and are revoked by logout.
"""

from __future__ import annotations

from drf_spectacular.authentication import BasicScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication

from api.authentication import LimitedBasicAuthentication, TokenAuthentication
from api.base import error_responses


class TokenScheme(KnoxTokenScheme):
    """Documents our knox subclass as knox's own scheme (spectacular matches the exact class)."""

    target_class = TokenAuthentication


class LimitedBasicScheme(BasicScheme):
    target_class = LimitedBasicAuthentication


_TokenSerializer = inline_serializer(
    "ApiToken",
    {
        "token": serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown once."),
        "expiry": serializers.DateTimeField(allow_null=True),
    },
)


class LoginView(knox_views.LoginView):
    """Trade a username and password (HTTP Basic) or a browser session for an API token.

    Tokens are stored hashed (knox), expire after REST_KNOX TOKEN_TTL, and are revoked by logout.
    """

    authentication_classes = [LimitedBasicAuthentication, SessionAuthentication]

    @extend_schema(
        request=None,
        responses={200: _TokenSerializer, **error_responses(401, 403, 429)},
        tags=["auth"],
        auth=[{"basicAuth": []}, {"cookieAuth": []}],
    )
    def post(self, request, format=None):
        return super().post(request, format=format)


class LogoutView(knox_views.LogoutView):
    """Revoke the token used for this request."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None, **error_responses(401)}, tags=["auth"])
    def post(self, request, format=None):
        return super().post(request, format=format)


class LogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of the current user."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None, **error_responses(401)}, tags=["auth"])
    def post(self, request, format=None):
        return super().post(request, format=format)
