from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PdamConfig(AppConfig):
    name = "pdam"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from pdam.roles import roles_sync_after_migrate

        # Groups and their permissions follow the code after every migrate (and test flush).
        post_migrate.connect(roles_sync_after_migrate, sender=self)
