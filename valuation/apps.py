from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuationConfig(AppConfig):
    name = "valuation"
    verbose_name = _("Quality grading and valuation")

    def ready(self) -> None:
        # The registry's certificates print the current quality grade, which valuation knows.
        from registry import extensions
        from valuation.selectors import current_quality_grade

        extensions.set_quality_grade_provider(current_quality_grade)
