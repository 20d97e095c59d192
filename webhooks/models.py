"""Partner endpoints and the deliveries made to them (the change log is the outbox)."""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from claims.models import Change
from webhooks.addresses import validate_endpoint_url


def generate_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class Endpoint(models.Model):
    """A partner's URL that receives every public change (of the chosen kinds) as a signed POST."""

    name = models.CharField("partner", max_length=200)
    url = models.URLField(
        "URL", max_length=500, validators=[URLValidator(schemes=["http", "https"]), validate_endpoint_url]
    )
    # Shown to editors, who hand it to the partner; the partner verifies signatures with it.
    secret = models.CharField(max_length=100, default=generate_secret, editable=False)
    # Change kinds to send; empty means every kind.
    events = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    # The last change position fanned out into deliveries for this endpoint. Positions become
    # visible in commit order (claims/changelog.py), so everything at or below it has been seen.
    cursor = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def wants(self, change: Change) -> bool:
        """Partners are public consumers: only changes the public could see, of the chosen kinds."""
        if not (change.public_before or change.public_after):
            return False
        return not self.events or change.kind in self.events


class Delivery(models.Model):
    """One event for one endpoint, with its attempts. Sent at least once; `webhook_id` lets the receiver dedupe."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # Null for a test event sent from the admin.
    change = models.ForeignKey(Change, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The same on every attempt and every redelivery of this change to this endpoint.
    webhook_id = models.CharField("webhook-id", max_length=100, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField("last response code", null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField("next try", null=True, blank=True, default=timezone.now)
    # A sender owns a delivery in `sending` until this time; past it, another sender takes it over
    # (the first one died mid-send), which is what makes delivery at-least-once.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "change"], condition=models.Q(change__isnull=False), name="delivery_once_per_change"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return self.webhook_id

    @property
    def event_type(self) -> str:
        return f"claim.{self.change.kind}" if self.change_id else "webhook.test"
