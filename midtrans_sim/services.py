"""The simulated Midtrans: Snap orders, transaction state changes and signed notifications.

Everything the HTTP views do is here as plain keyword-only functions, so tests can drive the
simulator without HTTP, or build a correctly signed (or deliberately forged) notification body
and post it themselves, as many times and as concurrently as they like.

Midtrans facts modelled (docs.midtrans.com, the notification samples and ``midtransclient``):

- A Snap order is not a transaction until the customer picks a payment method: until then the
  status API answers HTTP 404 ``{"status_code": "404", "status_message": "Transaction doesn't
  exist."}``, also after the Snap page expired (no notification is sent for that).
- ``status_code`` in API answers: 200 settlement / capture (accepted) / cancel / refund /
  chargeback, 201 pending and capture under fraud challenge, 202 deny, 407 expire (the only
  status_code >= 400 ``midtransclient`` does not raise on). In notifications Midtrans documents
  202 for deny, cancel and expire alike; the signature always covers the code actually sent.
- ``gross_amount`` travels as a string with two decimals (``"10000.00"``); ``signature_key`` is
  ``sha512(order_id + status_code + gross_amount + server_key)``.
- Convenience stores (Indomaret, Alfamart) carry no ``fraud_status``.
- There is no timer: a pending transaction whose expiry passed turns ``expire`` when next looked
  at, without a notification (as when Midtrans's notification is lost); the ``expire`` outcome
  and the expire API send one.

The simulator is a developer tool; its strings are deliberately not marked for translation.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from midtrans_sim.models import (
    FaultBehaviour,
    FaultEndpoint,
    SimFault,
    SimNotification,
    SimTransaction,
    TransactionStatus,
)

# Midtrans reports times in Jakarta time (GMT+7), whatever the merchant's time zone.
MIDTRANS_TZ = ZoneInfo("Asia/Jakarta")
MERCHANT_ID = "G000000000"
CURRENCY = "IDR"
ORDER_ID_MAX_LENGTH = 50
ITEM_NAME_MAX_LENGTH = 50
ORDER_ID_PATTERN = re.compile(r"^[A-Za-z0-9\-_~.]+$")
DEFAULT_EXPIRY = datetime.timedelta(hours=24)
NOTIFICATION_TIMEOUT_SECONDS = 10.0
NOTIFICATION_MESSAGE = "midtrans payment notification"
DEFAULT_NOTIFICATION_PATH = "/payments/midtrans/notification/"


@dataclass(frozen=True)
class PaymentMethod:
    """A payment method as Snap offers it (the key is its ``enabled_payments`` name)."""

    key: str
    label: str
    payment_type: str
    # Convenience stores are not screened by the fraud detection system.
    has_fraud_status: bool = True


METHODS: dict[str, PaymentMethod] = {
    m.key: m
    for m in [
        PaymentMethod("bca_va", "BCA Virtual Account", "bank_transfer"),
        PaymentMethod("bni_va", "BNI Virtual Account", "bank_transfer"),
        PaymentMethod("bri_va", "BRI Virtual Account", "bank_transfer"),
        PaymentMethod("permata_va", "Permata Virtual Account", "bank_transfer"),
        PaymentMethod("echannel", "Mandiri Bill Payment", "echannel"),
        PaymentMethod("qris", "QRIS", "qris"),
        PaymentMethod("gopay", "GoPay", "gopay"),
        PaymentMethod("shopeepay", "ShopeePay", "shopeepay"),
        PaymentMethod("indomaret", "Indomaret", "cstore", has_fraud_status=False),
        PaymentMethod("alfamart", "Alfamart", "cstore", has_fraud_status=False),
        PaymentMethod("credit_card", "Credit / debit card", "credit_card"),
    ]
}

SNAP_ENABLED_ALIASES = {"other_qris": "qris"}

# What the customer (or a test) makes happen, as the sequence of state changes it causes; each
# change is one notification.
OUTCOMES: dict[str, tuple[str, ...]] = {
    "settle": ("paid",),
    "pending": ("pending",),
    "settle_after_pending": ("pending", "paid"),
    "expire": ("pending", "expire"),
    "cancel": ("pending", "cancel"),
    "deny": ("deny",),
    "settle_then_deny": ("paid", "deny"),
    "duplicate": ("paid", "repeat"),
    "challenge_then_accept": ("challenge", "accept"),
    "challenge_then_deny": ("challenge", "deny"),
    "capture_then_settle": ("paid", "settlement"),
    "refund": ("refund",),
    "chargeback": ("chargeback",),
}
CARD_ONLY_OUTCOMES = {"challenge_then_accept", "challenge_then_deny", "capture_then_settle"}

_S = TransactionStatus
API_STATUS_CODES = {
    _S.PENDING: "201",
    _S.CAPTURE: "200",
    _S.SETTLEMENT: "200",
    _S.DENY: "202",
    _S.CANCEL: "200",
    _S.EXPIRE: "407",
    _S.REFUND: "200",
    _S.PARTIAL_REFUND: "200",
    _S.CHARGEBACK: "200",
}
NOTIFICATION_STATUS_CODES = {**API_STATUS_CODES, _S.CANCEL: "202", _S.EXPIRE: "202"}

NOT_FOUND_MESSAGE = "Transaction doesn't exist."
CANNOT_MODIFY_MESSAGE = "Merchant cannot modify the status of the transaction"


class SimError(Exception):
    """Refused the way Midtrans refuses: a Midtrans status code, message and HTTP status."""

    def __init__(self, status_message: str, *, status_code: str = "412", http_status: int = 412):
        super().__init__(status_message)
        self.status_message = status_message
        self.status_code = status_code
        self.http_status = http_status


class SnapValidationError(Exception):
    """A Snap create request Midtrans would refuse with HTTP 400 and these ``error_messages``."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class ActResult:
    transaction: SimTransaction
    notifications: list[SimNotification] = field(default_factory=list)


# --- Formatting and signing ----------------------------------------------------------------------


def midtrans_time(value: datetime.datetime) -> str:
    """``2026-11-25 10:00:00`` in Jakarta time, as Midtrans writes times."""
    return value.astimezone(MIDTRANS_TZ).strftime("%Y-%m-%d %H:%M:%S")


def gross_amount_text(amount: int | str) -> str:
    """Midtrans sends amounts as strings with two decimals: ``10000`` → ``"10000.00"``."""
    return amount if isinstance(amount, str) else f"{int(amount)}.00"


def signature_key(
    *, order_id: str, status_code: str, gross_amount: str, server_key: str | None = None
) -> str:
    """SHA-512 hex of ``order_id + status_code + gross_amount + server_key`` (exact strings)."""
    key = settings.MIDTRANS_SERVER_KEY if server_key is None else server_key
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{key}".encode()).hexdigest()


def _digits(seed: str, count: int) -> str:
    """Stable pseudo-random digits, so an order keeps its VA number across processes."""
    number = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return str(number).rjust(count, "0")[-count:]


def method_details(*, method: str, order_id: str) -> dict[str, Any]:
    """The per-method fields of a notification (VA number, bill key, store, card…)."""
    seed = f"{method}:{order_id}"
    if method in {"bca_va", "bni_va", "bri_va"}:
        length = {"bca_va": 11, "bni_va": 16, "bri_va": 18}[method]
        return {"va_numbers": [{"bank": method.removesuffix("_va"), "va_number": _digits(seed, length)}]}
    if method == "permata_va":
        return {"permata_va_number": "8562" + _digits(seed, 12)}
    if method == "echannel":
        return {"bill_key": _digits(seed, 12), "biller_code": "70012"}
    if method in {"indomaret", "alfamart"}:
        return {"store": method, "payment_code": _digits(seed, 14 if method == "indomaret" else 16)}
    if method == "qris":
        return {"acquirer": "gopay", "issuer": "gopay", "transaction_type": "on-us"}
    if method == "gopay":
        return {"acquirer": "gopay"}
    if method == "credit_card":
        return {
            "masked_card": "48111111-1114",
            "bank": "bni",
            "card_type": "credit",
            "eci": "05",
            "channel_response_code": "00",
            "channel_response_message": "Approved",
            "approval_code": _digits(seed, 13),
        }
    return {}


def notification_payload(
    *,
    order_id: str,
    gross_amount: int | str,
    transaction_status: str,
    method: str = "bca_va",
    fraud_status: str | None = None,
    status_code: str | None = None,
    status_message: str = NOTIFICATION_MESSAGE,
    transaction_id: str | None = None,
    transaction_time: datetime.datetime | None = None,
    settlement_time: datetime.datetime | None = None,
    expiry_time: datetime.datetime | None = None,
    details: dict[str, Any] | None = None,
    server_key: str | None = None,
) -> dict[str, Any]:
    """A Midtrans notification body, signed with ``server_key`` (default: the configured key).

    Pure: touches no database. Defaults follow Midtrans: ``fraud_status`` "accept" where the method
    carries one (none for convenience stores), the notification ``status_code`` for the status,
    and the method's own fields. Pass ``server_key="wrong"`` to forge one.
    """
    payment_method = METHODS[method]
    now = timezone.now()
    amount = gross_amount_text(gross_amount)
    if fraud_status is None and payment_method.has_fraud_status:
        fraud_status = "deny" if (method == "credit_card" and transaction_status == _S.DENY) else "accept"
    if status_code is None:
        status_code = NOTIFICATION_STATUS_CODES[transaction_status]
        if transaction_status == _S.CAPTURE and fraud_status == "challenge":
            status_code = "201"
    body: dict[str, Any] = {
        "transaction_time": midtrans_time(transaction_time or now),
        "transaction_status": transaction_status,
        "transaction_id": transaction_id or str(uuid.uuid4()),
        "status_message": status_message,
        "status_code": status_code,
        "signature_key": signature_key(
            order_id=order_id, status_code=status_code, gross_amount=amount, server_key=server_key
        ),
    }
    if settlement_time is None and transaction_status == _S.SETTLEMENT:
        settlement_time = now
    if settlement_time is not None:
        body["settlement_time"] = midtrans_time(settlement_time)
    body |= {
        "payment_type": payment_method.payment_type,
        "order_id": order_id,
        "merchant_id": MERCHANT_ID,
        "gross_amount": amount,
        "currency": CURRENCY,
    }
    if fraud_status and payment_method.has_fraud_status:
        body["fraud_status"] = fraud_status
    if expiry_time is not None:
        body["expiry_time"] = midtrans_time(expiry_time)
    if transaction_status in {_S.REFUND, _S.PARTIAL_REFUND}:
        body["refund_amount"] = amount
    body |= method_details(method=method, order_id=order_id) if details is None else details
    return body


def transaction_payload(*, sim: SimTransaction, for_notification: bool = True) -> dict[str, Any]:
    """A stored transaction's current state as Midtrans shows it (notification or status API)."""
    status = sim.transaction_status
    if for_notification:
        code, message = None, NOTIFICATION_MESSAGE
    else:
        code = API_STATUS_CODES[status]
        if status == _S.CAPTURE and sim.fraud_status == "challenge":
            code = "201"
        message = "Success, transaction is found"
    return notification_payload(
        order_id=sim.order_id,
        gross_amount=sim.gross_amount,
        transaction_status=status,
        method=sim.method,
        fraud_status=sim.fraud_status or None,
        status_code=code,
        status_message=message,
        transaction_id=str(sim.transaction_id),
        transaction_time=sim.transaction_time,
        settlement_time=sim.settlement_time,
        expiry_time=sim.expiry_at,
        details=sim.method_details,
    )


# --- Snap create ---------------------------------------------------------------------------------


def _integer_amount(value: Any, name: str, errors: list[str]) -> int | None:
    if value is None or value == "":
        errors.append(f"{name} is required")
        return None
    if isinstance(value, bool):
        errors.append(f"{name} is not a number")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.append(f"{name} is not a number")
        return None
    if not number.is_finite():
        errors.append(f"{name} is not a number")
        return None
    if number != number.to_integral_value():
        errors.append(f"{name} must be an integer: IDR has no decimals")
        return None
    return int(number)


def _parse_expiry(expiry: Any, now: datetime.datetime, errors: list[str]) -> datetime.datetime:
    if not expiry:
        return now + DEFAULT_EXPIRY
    if not isinstance(expiry, dict):
        errors.append("expiry is invalid")
        return now
    start = now
    if expiry.get("start_time"):
        try:
            start = datetime.datetime.strptime(str(expiry["start_time"]), "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            errors.append("expiry.start_time format must be yyyy-MM-dd hh:mm:ss Z")
    unit = str(expiry.get("unit", "")).lower().removesuffix("s")
    if unit not in {"minute", "hour", "day"}:
        errors.append("expiry.unit must be minute, hour or day")
        return now
    duration = expiry.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int) or duration <= 0:
        errors.append("expiry.duration must be a positive integer")
        return now
    return start + datetime.timedelta(**{f"{unit}s": duration})


def snap_transaction_create(*, body: Any, notification_urls: list[str]) -> SimTransaction:
    """Validate a Snap create request like Midtrans and store the order (no method picked yet)."""
    if not isinstance(body, dict) or not isinstance(body.get("transaction_details"), dict):
        raise SnapValidationError(
            ["transaction_details.order_id is required", "transaction_details.gross_amount is required"]
        )
    errors: list[str] = []
    details = body["transaction_details"]
    order_id = details.get("order_id")
    order_id = "" if order_id is None else str(order_id)
    if not order_id:
        errors.append("transaction_details.order_id is required")
    elif len(order_id) > ORDER_ID_MAX_LENGTH:
        errors.append(
            f"transaction_details.order_id is too long (maximum is {ORDER_ID_MAX_LENGTH} characters)"
        )
    elif not ORDER_ID_PATTERN.match(order_id):
        errors.append("transaction_details.order_id is invalid: use letters, digits, -, _, ~ and . only")
    gross_amount = _integer_amount(details.get("gross_amount"), "transaction_details.gross_amount", errors)
    if gross_amount is not None and gross_amount <= 0:
        errors.append("transaction_details.gross_amount harus sama atau lebih besar dari 0.01")

    items = body.get("item_details") or []
    if not isinstance(items, list):
        errors.append("item_details is invalid")
        items = []
    total, items_valid = 0, True
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"item_details[{index}] is invalid")
            items_valid = False
            continue
        price = _integer_amount(item.get("price"), f"item_details[{index}].price", errors)
        quantity = _integer_amount(item.get("quantity"), f"item_details[{index}].quantity", errors)
        if len(str(item.get("name", ""))) > ITEM_NAME_MAX_LENGTH:
            errors.append(
                f"item_details[{index}].name is too long (maximum is {ITEM_NAME_MAX_LENGTH} characters)"
            )
        if price is None or quantity is None:
            items_valid = False
        else:
            total += price * quantity
    if items and items_valid and gross_amount is not None and total != gross_amount:
        errors.append("transaction_details.gross_amount is not equal to the sum of item_details")

    now = timezone.now()
    expiry_at = _parse_expiry(body.get("expiry"), now, errors)
    callbacks = body.get("callbacks") if isinstance(body.get("callbacks"), dict) else {}
    enabled = body.get("enabled_payments") or []
    if isinstance(enabled, list):
        # Snap names QRIS "other_qris" in enabled_payments; its payment_type is "qris".
        enabled = [SNAP_ENABLED_ALIASES.get(m, m) for m in enabled]
    if not isinstance(enabled, list) or any(m not in METHODS for m in enabled):
        errors.append(f"enabled_payments must be a list of: {', '.join(METHODS)}")
    if errors:
        raise SnapValidationError(errors)
    if SimTransaction.objects.filter(order_id=order_id).exists():
        raise SnapValidationError(["transaction_details.order_id sudah digunakan"])
    try:
        with transaction.atomic():
            return SimTransaction.objects.create(
                order_id=order_id,
                gross_amount=gross_amount,
                items=items,
                customer_details=body.get("customer_details") or {},
                enabled_payments=enabled,
                finish_url=str(callbacks.get("finish") or ""),
                notification_urls=notification_urls,
                request_body=json.loads(json.dumps(body, default=str)),
                expiry_at=expiry_at,
            )
    except IntegrityError:
        # Two creates raced for the same order_id: the loser is refused like any duplicate.
        raise SnapValidationError(["transaction_details.order_id sudah digunakan"]) from None


def notification_urls_for(*, default_url: str, override: str = "", append: str = "") -> list[str]:
    """Where Midtrans posts: X-Override-Notification replaces the configured URL, X-Append adds.

    Both headers take up to three comma-separated URLs.
    """
    if override.strip():
        return [u.strip() for u in override.split(",") if u.strip()][:3]
    return [default_url] + [u.strip() for u in append.split(",") if u.strip()][:3]


def default_notification_path() -> str:
    return getattr(settings, "MIDTRANS_SIM_NOTIFICATION_PATH", DEFAULT_NOTIFICATION_PATH)


# --- Reading state -------------------------------------------------------------------------------


def _find(order_or_transaction_id: str, *, lock: bool = False) -> SimTransaction:
    """Midtrans accepts the order_id or the transaction_id wherever it takes either."""
    queryset = SimTransaction.objects.select_for_update() if lock else SimTransaction.objects.all()
    sim = queryset.filter(order_id=order_or_transaction_id).first()
    if sim is None:
        try:
            sim = queryset.filter(transaction_id=uuid.UUID(order_or_transaction_id)).first()
        except ValueError:
            sim = None
    if sim is None:
        raise SimError(NOT_FOUND_MESSAGE, status_code="404", http_status=404)
    return sim


def _lapse_if_due(sim: SimTransaction) -> None:
    """Without a timer, a pending transaction past its expiry turns ``expire`` when looked at."""
    if sim.transaction_status == _S.PENDING and sim.expiry_at <= timezone.now():
        SimTransaction.objects.filter(pk=sim.pk, transaction_status=_S.PENDING).update(
            transaction_status=_S.EXPIRE
        )
        sim.transaction_status = _S.EXPIRE


def transaction_get(*, order_id: str) -> SimTransaction:
    """The stored order (picked or not), with any due expiry applied. Raises SimError 404."""
    sim = _find(order_id)
    _lapse_if_due(sim)
    return sim


def transaction_status_payload(*, order_id: str) -> dict[str, Any]:
    """What ``GET /v2/<order_id>/status`` answers; SimError 404 while no method is picked."""
    sim = transaction_get(order_id=order_id)
    if not sim.method_picked:
        raise SimError(NOT_FOUND_MESSAGE, status_code="404", http_status=404)
    return transaction_payload(sim=sim, for_notification=False)


def snap_expired(sim: SimTransaction) -> bool:
    return sim.expiry_at <= timezone.now()


# --- Changing state ------------------------------------------------------------------------------


def _pick_method(sim: SimTransaction, method: str | None) -> None:
    if sim.method_picked:
        if method and method != sim.method:
            raise SimError(f"This transaction is already being paid by {sim.method}", http_status=409)
        return
    if not method:
        raise SimError("Choose a payment method first", status_code="400", http_status=400)
    if method not in METHODS:
        raise SimError(f"Unknown payment method {method!r}", status_code="400", http_status=400)
    if sim.enabled_payments and method not in sim.enabled_payments:
        raise SimError(f"{method} is not enabled for this order", status_code="402", http_status=402)
    if snap_expired(sim):
        raise SimError("The Snap page has expired", status_code="407", http_status=410)
    sim.method = method
    sim.transaction_id = uuid.uuid4()
    sim.transaction_time = timezone.now()
    sim.method_details = method_details(method=method, order_id=sim.order_id)


def _refuse() -> SimError:
    return SimError(CANNOT_MODIFY_MESSAGE)


def _apply_step(sim: SimTransaction, step: str, method: str | None) -> bool:
    """Apply one state change; False when it changes nothing (pending on a pending one)."""
    status = sim.transaction_status
    is_card = (sim.method or method) == "credit_card"
    open_states = {"", _S.PENDING}
    if step == "pending":
        if status == _S.PENDING:
            return False
        if status:
            raise _refuse()
        _pick_method(sim, method)
        sim.transaction_status, sim.fraud_status = _S.PENDING, ""
    elif step == "paid":
        if status not in open_states:
            raise _refuse()
        _pick_method(sim, method)
        if sim.method == "credit_card":
            sim.transaction_status, sim.fraud_status = _S.CAPTURE, "accept"
        else:
            sim.transaction_status, sim.settlement_time = _S.SETTLEMENT, timezone.now()
    elif step == "settlement":
        if not (status in open_states or (status == _S.CAPTURE and sim.fraud_status == "accept")):
            raise _refuse()
        _pick_method(sim, method)
        sim.transaction_status, sim.settlement_time = _S.SETTLEMENT, timezone.now()
    elif step == "challenge":
        if not is_card:
            raise SimError("Only card payments can be challenged", status_code="400", http_status=400)
        if status not in open_states:
            raise _refuse()
        _pick_method(sim, method)
        sim.transaction_status, sim.fraud_status = _S.CAPTURE, "challenge"
    elif step == "accept":
        if not (status == _S.CAPTURE and sim.fraud_status == "challenge"):
            raise _refuse()
        sim.fraud_status = "accept"
    elif step == "deny":
        challenged = status == _S.CAPTURE and sim.fraud_status == "challenge"
        if not (status in open_states or status == _S.SETTLEMENT or challenged):
            raise _refuse()
        _pick_method(sim, method)
        sim.transaction_status = _S.DENY
        if sim.method == "credit_card":
            sim.fraud_status = "deny"
    elif step == "expire":
        if status != _S.PENDING:
            raise _refuse() if status else SimError(NOT_FOUND_MESSAGE, status_code="404", http_status=404)
        sim.transaction_status = _S.EXPIRE
    elif step == "cancel":
        if status not in {_S.PENDING, _S.CAPTURE}:
            raise _refuse() if status else SimError(NOT_FOUND_MESSAGE, status_code="404", http_status=404)
        sim.transaction_status = _S.CANCEL
    elif step in {"refund", "chargeback"}:
        if status not in {_S.SETTLEMENT, _S.CAPTURE} or sim.fraud_status == "challenge":
            raise _refuse() if status else SimError(NOT_FOUND_MESSAGE, status_code="404", http_status=404)
        sim.transaction_status = _S.REFUND if step == "refund" else _S.CHARGEBACK
    else:
        raise SimError(f"Unknown step {step!r}", status_code="400", http_status=400)
    return True


def _run_steps(
    *, order_id: str, steps: tuple[str, ...], method: str | None, notify_url: str | None
) -> ActResult:
    """Apply the steps in order; after each commits, post its notification synchronously.

    Each state is committed before its notification goes out, so a receiver that checks the
    status API (as it should) sees the state the notification describes.
    """
    result: ActResult | None = None
    last_body: str | None = None
    for step in steps:
        with transaction.atomic():
            sim = _find(order_id, lock=True)
            _lapse_if_due(sim)
            if step == "repeat":
                body = last_body
            else:
                if not _apply_step(sim, step, method):
                    continue
                sim.save()
                body = json.dumps(transaction_payload(sim=sim))
        if result is None:
            result = ActResult(transaction=sim)
        result.transaction = sim
        if body is None:
            raise SimError("Nothing to repeat", status_code="400", http_status=400)
        for url in [notify_url] if notify_url else sim.notification_urls:
            result.notifications.append(notification_send(sim=sim, url=url, body=body))
        last_body = body
    if result is None:
        result = ActResult(transaction=transaction_get(order_id=order_id))
    return result


def transaction_act(
    *, order_id: str, outcome: str, method: str | None = None, notify_url: str | None = None
) -> ActResult:
    """Do what the customer (or the bank) would: pick ``method`` and bring about ``outcome``.

    Outcomes are the keys of ``OUTCOMES``. Notifications go to the order's notification URLs,
    or only to ``notify_url`` when given. Call it outside any atomic block: receivers in other
    threads must see each committed state. Raises SimError for a change Midtrans would refuse.
    """
    if outcome not in OUTCOMES:
        raise SimError(
            f"Unknown outcome {outcome!r}; one of: {', '.join(OUTCOMES)}", status_code="400", http_status=400
        )
    if outcome in CARD_ONLY_OUTCOMES and method not in {None, "credit_card"}:
        raise SimError(f"{outcome} is for credit_card only", status_code="400", http_status=400)
    return _run_steps(order_id=order_id, steps=OUTCOMES[outcome], method=method, notify_url=notify_url)


def transaction_cancel(*, order_id: str) -> ActResult:
    """``POST /v2/<id>/cancel``: pending or captured only; a settled one is refused (412)."""
    return _run_steps(order_id=order_id, steps=("cancel",), method=None, notify_url=None)


def transaction_expire(*, order_id: str) -> ActResult:
    """``POST /v2/<id>/expire``: pending only."""
    return _run_steps(order_id=order_id, steps=("expire",), method=None, notify_url=None)


def transaction_approve(*, order_id: str) -> ActResult:
    """``POST /v2/<id>/approve``: accept a card payment under fraud challenge."""
    return _run_steps(order_id=order_id, steps=("accept",), method=None, notify_url=None)


def transaction_deny(*, order_id: str) -> ActResult:
    """``POST /v2/<id>/deny``: deny a card payment under fraud challenge."""
    sim = transaction_get(order_id=order_id)
    if not (sim.transaction_status == _S.CAPTURE and sim.fraud_status == "challenge"):
        raise (
            _refuse()
            if sim.method_picked
            else SimError(NOT_FOUND_MESSAGE, status_code="404", http_status=404)
        )
    return _run_steps(order_id=order_id, steps=("deny",), method=None, notify_url=None)


def transaction_lapse(*, order_id: str) -> SimTransaction:
    """Let the order's expiry pass now, sending nothing (a lost or never-sent notification)."""
    with transaction.atomic():
        sim = _find(order_id, lock=True)
        sim.expiry_at = timezone.now() - datetime.timedelta(seconds=1)
        sim.save(update_fields=["expiry_at"])
    _lapse_if_due(sim)
    return sim


# --- Notifications -------------------------------------------------------------------------------


def notification_send(*, sim: SimTransaction, url: str, body: str) -> SimNotification:
    """POST one notification body and log it with the receiver's answer (no retry)."""
    payload = json.loads(body)
    record = SimNotification(
        transaction=sim,
        url=url,
        body=body,
        transaction_status=payload.get("transaction_status", ""),
        status_code=payload.get("status_code", ""),
    )
    try:
        response = requests.post(
            url,
            data=body.encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "Veritrans",
            },
            timeout=NOTIFICATION_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        record.error = f"{type(error).__name__}: {error}"[:500]
    else:
        record.response_status = response.status_code
        record.response_body = response.text[:2000]
    record.save()
    return record


def notification_resend(*, order_id: str, notify_url: str | None = None) -> list[SimNotification]:
    """Post the order's last notification again, byte for byte (a Midtrans retry)."""
    sim = _find(order_id)
    last = sim.notifications.order_by("-id").first()
    if last is None:
        raise SimError("No notification has been sent for this order yet", status_code="404", http_status=404)
    urls = [notify_url] if notify_url else sim.notification_urls
    return [notification_send(sim=sim, url=url, body=last.body) for url in urls]


# --- Faults --------------------------------------------------------------------------------------


FAULT_MAX_SECONDS = 600


def _fault_seconds(seconds: Any) -> float:
    """A number of seconds from 0 to FAULT_MAX_SECONDS (not a bool, not NaN or infinite)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Decimal)):
        value = None
    else:
        value = float(seconds) if abs(seconds) <= FAULT_MAX_SECONDS else None
    if value is None or not 0 <= value <= FAULT_MAX_SECONDS:  # NaN fails every comparison
        raise SimError(
            f"seconds must be a number from 0 to {FAULT_MAX_SECONDS}", status_code="400", http_status=400
        )
    return value


def fault_arm(*, endpoint: str, behaviour: str, seconds: Any = 0) -> SimFault:
    """Make the next call to ``endpoint`` misbehave once (a timeout sleeps ``seconds``)."""
    seconds = _fault_seconds(seconds)
    if endpoint not in FaultEndpoint.values:
        raise SimError(
            f"Unknown endpoint {endpoint!r}; one of: {', '.join(FaultEndpoint.values)}", http_status=400
        )
    if behaviour not in FaultBehaviour.values:
        raise SimError(
            f"Unknown behaviour {behaviour!r}; one of: {', '.join(FaultBehaviour.values)}", http_status=400
        )
    return SimFault.objects.create(endpoint=endpoint, behaviour=behaviour, seconds=seconds)


def fault_claim(*, endpoint: str) -> SimFault | None:
    """Take the oldest armed fault for ``endpoint``; a conditional update makes it fire once."""
    while True:
        fault = SimFault.objects.filter(endpoint=endpoint, consumed_at__isnull=True).order_by("id").first()
        if fault is None:
            return None
        claimed = SimFault.objects.filter(pk=fault.pk, consumed_at__isnull=True).update(
            consumed_at=timezone.now()
        )
        if claimed:
            return fault


# --- Load testing --------------------------------------------------------------------------------


BULK_AMOUNT_CEILING = 10**15


def _bulk_amount(value: Any, index: int) -> int:
    """A whole positive amount below BULK_AMOUNT_CEILING: an int, or a string of digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < BULK_AMOUNT_CEILING:
        raise SimError(
            f"transactions[{index}].gross_amount must be a whole number from 1 to 10^15",
            status_code="400",
            http_status=400,
        )
    return value


def transactions_settle_bulk(*, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store many orders as already paid, sending nothing; return the notifications Midtrans
    would send for them (for load tests that post them to the portal themselves).

    Each row: ``{"order_id", "gross_amount", "method"?}`` (method default ``bca_va``).
    """
    now = timezone.now()
    sims = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise SimError(f"transactions[{index}] must be an object", status_code="400", http_status=400)
        order_id, method = str(row.get("order_id", "")), str(row.get("method") or "bca_va")
        if not ORDER_ID_PATTERN.match(order_id) or len(order_id) > ORDER_ID_MAX_LENGTH:
            raise SimError(f"Bad order_id {order_id!r}", status_code="400", http_status=400)
        if method not in METHODS:
            raise SimError(f"Unknown payment method {method!r}", status_code="400", http_status=400)
        card = method == "credit_card"
        sims.append(
            SimTransaction(
                order_id=order_id,
                gross_amount=_bulk_amount(row.get("gross_amount"), index),
                expiry_at=now + DEFAULT_EXPIRY,
                method=method,
                transaction_id=uuid.uuid4(),
                transaction_status=_S.CAPTURE if card else _S.SETTLEMENT,
                fraud_status="accept" if card else "",
                transaction_time=now,
                settlement_time=None if card else now,
                method_details=method_details(method=method, order_id=order_id),
            )
        )
    try:
        with transaction.atomic():
            SimTransaction.objects.bulk_create(sims, batch_size=1000)
    except IntegrityError as error:
        raise SimError(
            "transaction_details.order_id sudah digunakan", status_code="400", http_status=400
        ) from error
    return [transaction_payload(sim=sim) for sim in sims]
