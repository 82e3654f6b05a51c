from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PdamConfig(AppConfig):
    name = "pdam"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from pdam import checks as deploy_checks  # noqa: F401  (registers the deploy checks)
        from pdam.messaging.checks import messaging_check
        from pdam.middleware import staff_session_start
        from pdam.roles import roles_sync_after_migrate

        # Groups and their permissions follow the code after every migrate (and test flush).
        post_migrate.connect(roles_sync_after_migrate, sender=self)
        # Session plumbing, not domain logic: a staff login starts with the idle limit.
        user_logged_in.connect(staff_session_start, dispatch_uid="pdam.staff_session_start")
        checks.register(messaging_check)
