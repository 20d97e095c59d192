from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"
    verbose_name = "Claims and sources"

    def ready(self) -> None:
        from claims import tasks
        from claims.changelog import changes_recorded

        changes_recorded.connect(tasks.refresh_on_indexed_changes, dispatch_uid="claims.refresh_match_index")
