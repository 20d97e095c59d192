"""Send reads to a replica when one is configured, writes always to the primary."""

from django.conf import settings


class ReplicaRouter:
    """Reads go to the `replica` alias when DATABASE_REPLICA_URL sets one; all else to `default`.

    Reads inside a transaction stay on the primary: Django routes by model, not by
    connection state, so services that read-then-write use `select_for_update()`, which
    always runs on the write database.
    """

    def db_for_read(self, model, **hints):
        return "replica" if "replica" in settings.DATABASES else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data, so objects from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
