"""The providers that carry messages, behind one small interface chosen in settings.

`send(outgoing) -> provider id`; a provider raises `TransientError` when trying again later may
work (a timeout, a 5xx, a refused connection) and `PermanentError` when it never will (a
recipient the provider rejects). Every HTTP call has a timeout.
"""

import dataclasses
import uuid

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives

from pdam.messaging.models import MessageChannel


class ProviderError(Exception):
    pass


class TransientError(ProviderError):
    """Try again later: the message stays queued."""


class PermanentError(ProviderError):
    """This message can never be sent as it is: it is marked failed."""


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """A rendered message, as a provider needs it."""

    message_id: int
    channel: str
    recipient: str
    language: str
    template: str
    subject: str
    text: str
    html: str = ""
    # Ordered values for a WhatsApp template's body parameters ({{1}}, {{2}}, …).
    parameters: tuple[str, ...] = ()


class LocalProvider:
    """Development only: the outbox row is the message; nothing leaves the machine."""

    name = "local"

    def send(self, outgoing: Outgoing) -> str:
        return f"local-{outgoing.message_id}-{uuid.uuid4().hex[:8]}"


class EmailProvider:
    """Django's e-mail backend (SMTP in production, the console in development)."""

    name = "email"

    def send(self, outgoing: Outgoing) -> str:
        email = EmailMultiAlternatives(
            subject=outgoing.subject,
            body=outgoing.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.recipient],
        )
        if outgoing.html:
            email.attach_alternative(outgoing.html, "text/html")
        try:
            email.send(fail_silently=False)
        except (OSError, TimeoutError) as error:  # smtplib errors are OSErrors
            raise TransientError(f"e-mail: {error}") from error
        return f"email-{outgoing.message_id}"


def _post_json(url: str, *, payload: dict, headers: dict, what: str) -> dict:
    try:
        response = requests.post(
            url, json=payload, headers=headers, timeout=settings.MESSAGING_TIMEOUT_SECONDS
        )
    except requests.Timeout as error:
        raise TransientError(f"{what}: timeout") from error
    except requests.RequestException as error:
        raise TransientError(f"{what}: {error.__class__.__name__}") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"{what}: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise PermanentError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    try:
        return response.json()
    except ValueError as error:
        raise TransientError(f"{what}: the answer is not JSON") from error


def whatsapp_payload(outgoing: Outgoing) -> dict:
    """A template message as the WhatsApp Business Cloud API takes it (outside a customer-started
    conversation Meta accepts only approved templates)."""
    template: dict = {"name": outgoing.template, "language": {"code": outgoing.language}}
    if outgoing.parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": value} for value in outgoing.parameters]}
        ]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": outgoing.recipient,
        "type": "template",
        "template": template,
    }


class WhatsAppProvider:
    name = "whatsapp"

    def send(self, outgoing: Outgoing) -> str:
        if not settings.WHATSAPP_PHONE_NUMBER_ID or not settings.WHATSAPP_ACCESS_TOKEN:
            raise TransientError("whatsapp: WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN are not set")
        url = (
            f"{settings.WHATSAPP_API_URL.rstrip('/')}/{settings.WHATSAPP_API_VERSION}/"
            f"{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
        )
        answer = _post_json(
            url,
            payload=whatsapp_payload(outgoing),
            headers={"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"},
            what="whatsapp",
        )
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            raise TransientError("whatsapp: no message id in the answer") from error


class HttpSmsProvider:
    """A generic SMS gateway: POST {to, text, sender} as JSON with a bearer key; answers {"id"}."""

    name = "http"

    def send(self, outgoing: Outgoing) -> str:
        if not settings.SMS_API_URL:
            raise TransientError("sms: SMS_API_URL is not set")
        answer = _post_json(
            settings.SMS_API_URL,
            payload={"to": outgoing.recipient, "text": outgoing.text, "sender": settings.SMS_SENDER},
            headers={"Authorization": f"Bearer {settings.SMS_API_KEY}"},
            what="sms",
        )
        provider_id = answer.get("id") or answer.get("message_id") if isinstance(answer, dict) else None
        if not provider_id:
            raise TransientError("sms: no message id in the answer")
        return str(provider_id)


PROVIDERS = {
    "local": LocalProvider,
    "email": EmailProvider,
    "whatsapp": WhatsAppProvider,
    "http": HttpSmsProvider,
}


def provider_name(channel: str) -> str:
    return settings.MESSAGING_PROVIDERS.get(channel, "") or ""


def channel_available(channel: str) -> bool:
    """Whether the portal can send on `channel` at all (a provider is configured for it)."""
    return channel in MessageChannel.values and bool(provider_name(channel))


def provider_for(channel: str):
    name = provider_name(channel)
    if not name:
        raise ImproperlyConfigured(f"No message provider for the {channel} channel.")
    if name not in PROVIDERS:
        raise ImproperlyConfigured(f"Unknown message provider {name!r} for the {channel} channel.")
    return PROVIDERS[name]()
