from django.views.generic import TemplateView

from accounts.permissions import RoleRequiredMixin


class HomeView(RoleRequiredMixin, TemplateView):
    """The user's desk: key figures, charts, the queue of pending work and open alerts."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        from reports.dashboard import dashboard

        return super().get_context_data(**kwargs) | dashboard(self.request.user)
