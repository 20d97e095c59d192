"""What every admin page's header needs: the user's unread notifications (counted only when shown)."""

from django.utils.functional import SimpleLazyObject


def unread_notifications(request) -> dict:
    def count() -> int:
        from reviews.models import Notification

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return Notification.objects.of(user).unread().count()

    return {"unread_notifications": SimpleLazyObject(count)}
