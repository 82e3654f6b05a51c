"""System checks of the outbox's configuration (settings already refuse the worst at start-up)."""

from django.conf import settings
from django.core.checks import Error, Warning

from pdam.messaging.providers import PROVIDERS


def messaging_check(app_configs=None, **kwargs) -> list:
    problems = []
    for channel, name in settings.MESSAGING_PROVIDERS.items():
        if name and name not in PROVIDERS:
            problems.append(Error(f"Unknown message provider {name!r} for {channel}.", id="pdam.E101"))
        if name == "whatsapp" and not (settings.WHATSAPP_PHONE_NUMBER_ID and settings.WHATSAPP_ACCESS_TOKEN):
            problems.append(
                Warning(
                    "WhatsApp is on without WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN.",
                    id="pdam.W103",
                )
            )
        if name == "http" and not settings.SMS_API_URL:
            problems.append(Warning("SMS is on without SMS_API_URL.", id="pdam.W104"))
    if any(name in ("whatsapp", "http") for name in settings.MESSAGING_PROVIDERS.values()) and not (
        settings.MESSAGING_CALLBACK_SECRET
    ):
        problems.append(
            Warning("MESSAGING_CALLBACK_SECRET is empty: delivery statuses will be refused.", id="pdam.W105")
        )
    return problems
