from django.db.models import Count
from django.views.generic import TemplateView

from accounts.permissions import RoleRequiredMixin
from households.models import Category, Household


class HomeView(RoleRequiredMixin, TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = dict(
            Household.objects.visible_to(self.request.user)
            .values_list("category")
            .annotate(n=Count("id"))
            .values_list("category", "n")
        )
        context["category_counts"] = [
            (label, counts.get(value, 0))
            for value, label in Category.choices
            if counts.get(value) or not value.startswith("legacy_")
        ]
        context["household_total"] = sum(counts.values())
        return context
