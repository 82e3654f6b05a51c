from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing.views.invoices import customer_section
        from customers.extensions import register_customer_section

        register_customer_section(customer_section)
