from django.apps import AppConfig


class MidtransSimConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "midtrans_sim"
    verbose_name = "Midtrans simulator"
