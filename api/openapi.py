"""The API's OpenAPI schema class (REST_FRAMEWORK DEFAULT_SCHEMA_CLASS)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS

from api.base import ReadOrDeskMember


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, knowing that ReadOrDeskMember lets anyone read.

    drf-spectacular marks authentication optional (an empty security requirement) only for its
    own AllowAny and IsAuthenticatedOrReadOnly classes; without this the public feed would be
    documented as needing a token (Schemathesis's ignored_auth check found it).
    """

    def get_auth(self) -> list[dict]:
        auths = super().get_auth()
        permissions = self.view.get_permissions()
        public_read = self.method in SAFE_METHODS and all(isinstance(p, ReadOrDeskMember) for p in permissions)
        if public_read and permissions and {} not in auths:
            auths.append({})
        return auths
