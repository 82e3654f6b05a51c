from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetersConfig(AppConfig):
    name = "meters"
    verbose_name = _("Meters")

    def ready(self) -> None:
        from customers.extensions import register_customer_section
        from meters.views.registry import customer_section

        register_customer_section(customer_section)
