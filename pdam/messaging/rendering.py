"""Message templates: `templates/messages/<name>.txt` (every channel), `<name>.html` (e-mail) and
`<name>.subject.txt` (e-mail subject), rendered in the message's language with the utility's
identity. WhatsApp sends Meta-approved templates of the same name, filled with the context
values listed here, in order."""

import contextlib
import dataclasses
import datetime

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format

from pdam.messaging.models import MessageChannel
from pdam.money import format_rupiah

# Template name → the context keys that fill the WhatsApp template's body parameters, in order.
WHATSAPP_PARAMETERS: dict[str, tuple[str, ...]] = {
    "invoice_issued": ("name", "customer_number", "period_month", "amount", "due_date", "pay_url"),
    "payment_received": ("name", "customer_number", "receipt_number", "amount", "receipt_url"),
    "one_time_code": ("code", "minutes"),
}


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    parameters: tuple[str, ...]


def utility_identity() -> dict:
    return {
        "name": settings.UTILITY_NAME,
        "short_name": settings.UTILITY_SHORT_NAME,
        "address": settings.UTILITY_ADDRESS,
        "phone": settings.UTILITY_PHONE,
        "email": settings.UTILITY_EMAIL,
        "portal_url": settings.PORTAL_URL,
    }


def _shown(context: dict) -> dict:
    """Context values as people read them: keys ending in ``amount`` hold int Rupiah, keys ending
    in ``date`` an ISO date, in ``month`` the ISO date of a month's first day; each is formatted
    in the active language."""
    shown = {}
    for name, value in context.items():
        if name.endswith("amount") and isinstance(value, int) and not isinstance(value, bool):
            value = format_rupiah(value)
        elif name.endswith(("date", "month")) and isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a date after all: shown as it is
                shape = "j F Y" if name.endswith("date") else "F Y"
                value = date_format(datetime.date.fromisoformat(value), shape)
        shown[name] = value
    return shown


def message_render(*, template: str, context: dict, language: str, channel: str) -> Rendered:
    """Render one message; raises TemplateDoesNotExist for an unknown template."""
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        shown = _shown(context)
        full = {**shown, "utility": utility_identity(), "channel": channel}
        text = render_to_string(f"messages/{template}.txt", full).strip()
        subject = html = ""
        if channel == MessageChannel.EMAIL:
            subject = " ".join(render_to_string(f"messages/{template}.subject.txt", full).split())
            try:
                html = render_to_string(f"messages/{template}.html", full)
            except TemplateDoesNotExist:
                html = ""
    parameters = tuple(str(shown.get(name, "")) for name in WHATSAPP_PARAMETERS.get(template, ()))
    return Rendered(subject=subject[:200], text=text, html=html, parameters=parameters)
