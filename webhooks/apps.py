from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks (push to partners)"

    def ready(self) -> None:
        from claims.changelog import changes_recorded
        from webhooks import queue

        changes_recorded.connect(queue.wake_on_public_changes, dispatch_uid="webhooks.wake")
