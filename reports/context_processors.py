from django.utils.functional import SimpleLazyObject

from reports.models import Alert


def open_alerts(request):
    """The bell's count of the alerts the user answers for: one COUNT query, and only on pages
    that show the bell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        return Alert.objects.responsible(user).open().count()

    return {"open_alert_count": SimpleLazyObject(count)}
