"""The admin's sign-in with the same failure throttle as the site's (public.views)."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from public.views import ThrottledLoginView


class ThrottledAdminLoginView(ThrottledLoginView):
    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            admin.site.each_context(self.request),
            title=_("Log in"),
            subtitle=None,
            app_path=self.request.get_full_path(),
            username=self.request.user.get_username(),
        )
        return context
