from django.db.models import Count
from django.views.generic import TemplateView

from accounts.permissions import RoleRequiredMixin
from households.models import Category, Household


class HomeView(RoleRequiredMixin, TemplateView):
    """The user's desk: the registry by category and what needs attention now."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        from inspections import selectors as inspection_selectors

        context = super().get_context_data(**kwargs)
        user = self.request.user
        counts = dict(
            Household.objects.visible_to(user)
            .values("category")
            .annotate(n=Count("id"))
            .values_list("category", "n")
        )
        context["category_counts"] = [
            (label, counts.get(value, 0))
            for value, label in Category.choices
            if counts.get(value) or not value.startswith("legacy_")
        ]
        context["household_total"] = sum(counts.values())
        ledger = inspection_selectors.ledger(user)
        context["ledger_total"] = ledger.count()
        context["emergency_total"] = ledger.filter(emergency=True).count()
        context["overdue_appraisals"] = (
            inspection_selectors.pending_appraisals(user).filter(overdue=True).count()
        )
        from reports.models import Alert

        alerts = Alert.objects.visible_to(user).open().select_related("area")
        context["my_alerts"] = list(alerts[:10])
        context["alert_total"] = alerts.count()
        return context
