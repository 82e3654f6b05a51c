from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from billing.extensions import (
            register_credit_carrier,
            register_paid_amount_provider,
            register_replacement_handler,
        )
        from customers.extensions import register_customer_section
        from payments import sections, selectors, services

        register_paid_amount_provider(selectors.invoice_paid_amount)
        register_replacement_handler(services.invoice_replaced)
        register_credit_carrier(services.invoice_credit_carried)
        register_customer_section(sections.customer_section)
