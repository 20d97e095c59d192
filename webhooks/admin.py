"""Editors register partner endpoints, read the delivery log and redeliver. Writes go through webhooks.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from claims.admin import _adopt
from claims.models import Change
from webhooks import services
from webhooks.models import Delivery, Endpoint


class EndpointForm(forms.ModelForm):
    # The model's validators (http/https, public addresses) still run in the model's full_clean().
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=Change.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The kinds of change to send; none ticked sends every kind.",
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "events", "active"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "url", "active", "kinds", "cursor", "created_by", "created_at"]
    list_filter = ["active"]
    list_select_related = ["created_by"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "cursor", "created_by", "created_at"]
    actions = ["send_test_event"]

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "events", "active"]
        # The secret is made when the endpoint is saved; from then on it is shown to give to the partner.
        return fields if obj is None else [*fields, *self.readonly_fields]

    @admin.display(description="kinds")
    def kinds(self, endpoint: Endpoint) -> str:
        return ", ".join(endpoint.events) or "all"

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in ["name", "url", "events", "active"]}
        if change:
            saved = services.endpoint_update(endpoint=obj, by=request.user, **values)
        else:
            saved = services.endpoint_create(by=request.user, **values)
        _adopt(obj, saved)

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_send_test(endpoint=endpoint, by=request.user)
        self.message_user(request, f"Test event queued for {queryset.count()} endpoint(s).", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "webhook_id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "updated_at",
    ]
    list_filter = ["status", "endpoint"]
    list_select_related = ["endpoint", "change"]
    search_fields = ["webhook_id"]
    actions = ["redeliver"]
    readonly_fields = [
        "endpoint",
        "event",
        "webhook_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "locked_until",
        "created_at",
        "updated_at",
        "delivered_at",
    ]
    fields = readonly_fields

    @admin.display(description="event")
    def event(self, delivery: Delivery) -> str:
        if delivery.change_id is None:
            return "webhook.test"
        return f"{delivery.event_type} · claim {delivery.change.claim_id} · position {delivery.change_id}"

    # The log is written by the sender only; editors read it and redeliver.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("webhooks.change_delivery")

    @admin.action(description="Redeliver (from the first attempt, same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        for delivery in queryset:
            services.delivery_redeliver(delivery=delivery, by=request.user)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued again.", messages.SUCCESS)
