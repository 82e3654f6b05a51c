from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrearsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "arrears"
    verbose_name = _("Arrears")

    def ready(self) -> None:
        from arrears import sections, surcharges
        from billing.extensions import register_invoice_section
        from payments.extensions import register_surcharge

        register_surcharge(surcharges.late_fees_owed)
        register_invoice_section(sections.invoice_section)
