"""Claims brought to each state through the services (the API tests' `drive`), for the public pages."""

from tests.api.conftest import drive  # noqa: F401
