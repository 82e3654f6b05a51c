"""Talking to Midtrans through the official `midtransclient`, with what it lacks.

- An HTTP timeout on every call (the library sets none): a session that adds one.
- The status API called directly (`transactions.status`), never `transactions.notification()`,
  which sends its headers wrongly.
- Base URLs set on the client's own `api_config`: with the simulator on, the same code talks to
  the local simulator (`MIDTRANS_SIMULATOR_URL`); with real keys, to Midtrans.
"""

import hashlib
import hmac

import midtransclient
import requests
from django.conf import settings
from midtransclient.error_midtrans import JSONDecodeError, MidtransAPIError


class GatewayError(Exception):
    """Midtrans could not be asked (timeout, connection refused, 5xx, an answer that is not JSON)."""


class GatewayRefused(Exception):
    """Midtrans answered and refused (4xx): the answer is in `.response` and `.status_code`."""

    def __init__(self, message: str, *, status_code: int, response: dict | None):
        super().__init__(message)
        self.status_code = status_code
        self.response = response or {}


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def _configure(client):
    session = _TimeoutSession(settings.MIDTRANS_TIMEOUT_SECONDS)
    client.http_client.http_client = session
    if settings.MIDTRANS_SIMULATOR:
        base = settings.MIDTRANS_SIMULATOR_URL.rstrip("/")
        client.api_config.SNAP_SANDBOX_BASE_URL = base + "/snap/v1"
        client.api_config.CORE_SANDBOX_BASE_URL = base
    return client


def _snap() -> midtransclient.Snap:
    return _configure(
        midtransclient.Snap(
            is_production=settings.MIDTRANS_IS_PRODUCTION,
            server_key=settings.MIDTRANS_SERVER_KEY,
            client_key=settings.MIDTRANS_CLIENT_KEY,
        )
    )


def _core() -> midtransclient.CoreApi:
    return _configure(
        midtransclient.CoreApi(
            is_production=settings.MIDTRANS_IS_PRODUCTION,
            server_key=settings.MIDTRANS_SERVER_KEY,
            client_key=settings.MIDTRANS_CLIENT_KEY,
        )
    )


def enabled() -> bool:
    """Online payment is possible: real keys, or the simulator."""
    return bool(settings.MIDTRANS_SERVER_KEY)


def _call(client, function, *args):
    """Call Midtrans; close the session after (it is made for this one call, so no connection is
    left open to the other side)."""
    try:
        return function(*args)
    except MidtransAPIError as error:
        status = error.http_status_code
        body = error.api_response_dict if isinstance(error.api_response_dict, dict) else {}
        if status == 200 and body.get("status_code"):
            status = int(body["status_code"])
        if status >= 500:
            raise GatewayError(f"Midtrans answered {status}") from error
        raise GatewayRefused(str(body or error)[:500], status_code=status, response=body) from error
    except JSONDecodeError as error:
        raise GatewayError("Midtrans answered something that is not JSON") from error
    except requests.RequestException as error:
        raise GatewayError(f"Midtrans could not be reached: {type(error).__name__}") from error
    finally:
        client.http_client.http_client.close()


def snap_create(parameters: dict) -> dict:
    """`{"token": …, "redirect_url": …}` for a new Snap order."""
    snap = _snap()
    answer = _call(snap, snap.create_transaction, parameters)
    if not isinstance(answer, dict) or not answer.get("token") or not answer.get("redirect_url"):
        raise GatewayError("Midtrans answered without a Snap token")
    return answer


def transaction_status(order_id: str) -> dict | None:
    """The transaction as Midtrans sees it now; None when Midtrans has no transaction (yet):
    a Snap order where the customer has not picked a method is unknown to the status API."""
    try:
        core = _core()
        return _call(core, core.transactions.status, order_id)
    except GatewayRefused as refused:
        if refused.status_code == 404:
            return None
        raise


def transaction_cancel(order_id: str) -> dict:
    core = _core()
    return _call(core, core.transactions.cancel, order_id)


def signature_valid(payload: dict) -> bool:
    """Check `signature_key` = SHA-512(order_id + status_code + gross_amount + server key) over
    the exact strings received, in constant time."""
    parts = [payload.get(name) for name in ("order_id", "status_code", "gross_amount", "signature_key")]
    if not all(isinstance(part, str) for part in parts):
        return False
    order_id, status_code, gross_amount, signature = parts
    expected = hashlib.sha512(
        (order_id + status_code + gross_amount + settings.MIDTRANS_SERVER_KEY).encode()
    ).hexdigest()
    # Bytes, not str: compare_digest refuses a str with non-ASCII characters (a TypeError, a 500).
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
