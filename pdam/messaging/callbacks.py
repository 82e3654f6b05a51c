"""Delivery-status callbacks: verifying their signature and reading the statuses they carry."""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.utils import timezone


def signature_valid(*, body: bytes, header: str) -> bool:
    """``sha256=<hex>`` (Meta's X-Hub-Signature-256): HMAC-SHA256 of the raw body with the
    callback secret, compared in constant time. Without a secret nothing is accepted."""
    secret = settings.MESSAGING_CALLBACK_SECRET
    if not secret or not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def _timestamp(value) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromtimestamp(int(value), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def statuses_in(payload) -> list[dict]:
    """The statuses of a callback: Meta's webhook shape (entry → changes → value → statuses) or
    a plain ``{"statuses": [...]}`` from an SMS gateway; each ``{id, status, at, error}``."""
    found = []
    if not isinstance(payload, dict):
        return found
    lists = [payload.get("statuses")]
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                lists.append(value.get("statuses"))
    for statuses in lists:
        for status in statuses if isinstance(statuses, list) else []:
            if not isinstance(status, dict):
                continue
            errors = status.get("errors")
            error = ""
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                error = str(errors[0].get("title") or errors[0].get("message") or "")
            found.append(
                {
                    "id": str(status.get("id") or ""),
                    "status": str(status.get("status") or ""),
                    "at": _timestamp(status.get("timestamp")) or timezone.now(),
                    "error": error,
                }
            )
    return found
