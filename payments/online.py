"""Online payment through Midtrans Snap: orders, notifications, the sweeper.

The rules (DESIGN.md §3): the local order is committed before Snap is called; an order id is
never reused; a notification is stored before anything else, its signature checked in constant
time, and what it says is confirmed with the status API before anything changes; processing is
idempotent, so duplicates, replays and stale notifications change nothing.

Order states: created → pending → paid → reversed; created/pending → expired / cancelled /
failed; an amount that differs from the order → review. STATUS_TABLE decides, for every Midtrans
answer and order state, which step applies; every state change is audited.
"""

import dataclasses
import datetime
import json
import logging
import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice
from customers.models import Customer
from payments import gateway, masking, selectors, services
from payments.models import (
    LIVE_ORDER_STATES,
    GatewayNotification,
    NotificationOutcome,
    OnlineOrder,
    OrderInvoice,
    OrderState,
    Payment,
    ReversalKind,
    ReviewItem,
    ReviewKind,
)
from pdam.audit import audit_record

log = logging.getLogger(__name__)

# Midtrans statuses (DESIGN.md §3 "Payments").
UNPAID_FINAL = {
    "deny": OrderState.FAILED,
    "cancel": OrderState.CANCELLED,
    "expire": OrderState.EXPIRED,
    "failure": OrderState.FAILED,
}
# What a Midtrans answer does to an order, by the order's state: every cell decided (DESIGN.md §3).
# The answer is the status API's `transaction_status` (a capture split by its fraud status); the
# step names are the functions in STEPS below. Every state change is audited ("online_order.state").
#   settle          record the money (an amount that differs from the order holds it for review;
#                   invoices settled meanwhile make the money credit, services' overpayment rules)
#   wait            created -> pending: a method was picked, the payer has not paid yet
#   close_unpaid    final without money: expired / cancelled / failed
#   reverse_payment the recorded payment is taken back (its invoices are due again) -> reversed
#   review_note     money went back at Midtrans that was never (or only partly) recorded here:
#                   a review item for a person, no money moves
#   nothing         stale, repeated or out of order: changes nothing
SETTLEMENT = "settlement"
CAPTURE_ACCEPT = "capture_accept"
CAPTURE_CHALLENGE = "capture_challenge"  # capture without fraud_status accept
PENDING = "pending"
DENY, CANCEL, EXPIRE, FAILURE = "deny", "cancel", "expire", "failure"
REFUND, PARTIAL_REFUND = "refund", "partial_refund"
CHARGEBACK, PARTIAL_CHARGEBACK = "chargeback", "partial_chargeback"
OTHER = "other"  # any status Midtrans may add later (authorize, ...)
ANSWERS = (
    SETTLEMENT,
    CAPTURE_ACCEPT,
    CAPTURE_CHALLENGE,
    PENDING,
    DENY,
    CANCEL,
    EXPIRE,
    FAILURE,
    REFUND,
    PARTIAL_REFUND,
    CHARGEBACK,
    PARTIAL_CHARGEBACK,
    OTHER,
)
# The answers that are Midtrans's own transaction_status values (capture is split above).
MIDTRANS_STATUSES = frozenset(ANSWERS) - {CAPTURE_ACCEPT, CAPTURE_CHALLENGE, OTHER}
_C, _P, _D = OrderState.CREATED, OrderState.PENDING, OrderState.PAID
_E, _X, _F = OrderState.EXPIRED, OrderState.CANCELLED, OrderState.FAILED
_R, _V = OrderState.REVERSED, OrderState.REVIEW
STATUS_TABLE: dict[tuple[str, str], str] = {
    # paid: the money arrived. Settled even on an order closed unpaid or held for review (money is
    # never lost); a paid or reversed order is never paid twice.
    (SETTLEMENT, _C): "settle",
    (SETTLEMENT, _P): "settle",
    (SETTLEMENT, _D): "nothing",
    (SETTLEMENT, _E): "settle",
    (SETTLEMENT, _X): "settle",
    (SETTLEMENT, _F): "settle",
    (SETTLEMENT, _R): "nothing",
    (SETTLEMENT, _V): "settle",
    (CAPTURE_ACCEPT, _C): "settle",
    (CAPTURE_ACCEPT, _P): "settle",
    (CAPTURE_ACCEPT, _D): "nothing",
    (CAPTURE_ACCEPT, _E): "settle",
    (CAPTURE_ACCEPT, _X): "settle",
    (CAPTURE_ACCEPT, _F): "settle",
    (CAPTURE_ACCEPT, _R): "nothing",
    (CAPTURE_ACCEPT, _V): "settle",
    # waits: only a fresh order moves (to pending); a later stale "pending" changes nothing.
    (CAPTURE_CHALLENGE, _C): "wait",
    (CAPTURE_CHALLENGE, _P): "nothing",
    (CAPTURE_CHALLENGE, _D): "nothing",
    (CAPTURE_CHALLENGE, _E): "nothing",
    (CAPTURE_CHALLENGE, _X): "nothing",
    (CAPTURE_CHALLENGE, _F): "nothing",
    (CAPTURE_CHALLENGE, _R): "nothing",
    (CAPTURE_CHALLENGE, _V): "nothing",
    (PENDING, _C): "wait",
    (PENDING, _P): "nothing",
    (PENDING, _D): "nothing",
    (PENDING, _E): "nothing",
    (PENDING, _X): "nothing",
    (PENDING, _F): "nothing",
    (PENDING, _R): "nothing",
    (PENDING, _V): "nothing",
    # unpaid final: a live order or one held for review closes; deny and cancel take a settled
    # payment back (Midtrans can deny or cancel after a capture); expire and failure cannot
    # follow a settlement and change nothing.
    (DENY, _C): "close_unpaid",
    (DENY, _P): "close_unpaid",
    (DENY, _D): "reverse_payment",
    (DENY, _E): "nothing",
    (DENY, _X): "nothing",
    (DENY, _F): "nothing",
    (DENY, _R): "nothing",
    (DENY, _V): "close_unpaid",
    (CANCEL, _C): "close_unpaid",
    (CANCEL, _P): "close_unpaid",
    (CANCEL, _D): "reverse_payment",
    (CANCEL, _E): "nothing",
    (CANCEL, _X): "nothing",
    (CANCEL, _F): "nothing",
    (CANCEL, _R): "nothing",
    (CANCEL, _V): "close_unpaid",
    (EXPIRE, _C): "close_unpaid",
    (EXPIRE, _P): "close_unpaid",
    (EXPIRE, _D): "nothing",
    (EXPIRE, _E): "nothing",
    (EXPIRE, _X): "nothing",
    (EXPIRE, _F): "nothing",
    (EXPIRE, _R): "nothing",
    (EXPIRE, _V): "close_unpaid",
    (FAILURE, _C): "close_unpaid",
    (FAILURE, _P): "close_unpaid",
    (FAILURE, _D): "nothing",
    (FAILURE, _E): "nothing",
    (FAILURE, _X): "nothing",
    (FAILURE, _F): "nothing",
    (FAILURE, _R): "nothing",
    (FAILURE, _V): "close_unpaid",
    # reversing: a recorded payment is taken back in full, or listed for a person when partly;
    # on an order whose money was never recorded here nothing moves, a person is told.
    (REFUND, _C): "review_note",
    (REFUND, _P): "review_note",
    (REFUND, _D): "reverse_payment",
    (REFUND, _E): "review_note",
    (REFUND, _X): "review_note",
    (REFUND, _F): "review_note",
    (REFUND, _R): "nothing",
    (REFUND, _V): "review_note",
    (PARTIAL_REFUND, _C): "review_note",
    (PARTIAL_REFUND, _P): "review_note",
    (PARTIAL_REFUND, _D): "review_note",
    (PARTIAL_REFUND, _E): "review_note",
    (PARTIAL_REFUND, _X): "review_note",
    (PARTIAL_REFUND, _F): "review_note",
    (PARTIAL_REFUND, _R): "nothing",
    (PARTIAL_REFUND, _V): "review_note",
    (CHARGEBACK, _C): "review_note",
    (CHARGEBACK, _P): "review_note",
    (CHARGEBACK, _D): "reverse_payment",
    (CHARGEBACK, _E): "review_note",
    (CHARGEBACK, _X): "review_note",
    (CHARGEBACK, _F): "review_note",
    (CHARGEBACK, _R): "nothing",
    (CHARGEBACK, _V): "review_note",
    (PARTIAL_CHARGEBACK, _C): "review_note",
    (PARTIAL_CHARGEBACK, _P): "review_note",
    (PARTIAL_CHARGEBACK, _D): "review_note",
    (PARTIAL_CHARGEBACK, _E): "review_note",
    (PARTIAL_CHARGEBACK, _X): "review_note",
    (PARTIAL_CHARGEBACK, _F): "review_note",
    (PARTIAL_CHARGEBACK, _R): "nothing",
    (PARTIAL_CHARGEBACK, _V): "review_note",
    # anything else: not ours to guess.
    (OTHER, _C): "nothing",
    (OTHER, _P): "nothing",
    (OTHER, _D): "nothing",
    (OTHER, _E): "nothing",
    (OTHER, _X): "nothing",
    (OTHER, _F): "nothing",
    (OTHER, _R): "nothing",
    (OTHER, _V): "nothing",
}
# A Midtrans notification is about 1-2 KB of flat JSON. Anything larger or nested deeper is not
# one: answered 400 and stored only as a short summary.
NOTIFICATION_MAX_BYTES = 16_000
NOTIFICATION_MAX_DEPTH = 4
NOTIFICATION_SUMMARY_CHARS = 500
CURRENCY = "IDR"


def _unavailable() -> ValidationError:
    return ValidationError(
        _(
            "Online payment is not available right now. Nothing was charged; "
            "please try again in a few minutes."
        )
    )


def is_paid(status: dict) -> bool:
    """Paid only on settlement, or capture with fraud_status accept."""
    return answer_of(status) in (SETTLEMENT, CAPTURE_ACCEPT)


def order_id_new(customer: Customer) -> str:
    """`PDAM-<customer>-<yymmddHHMMSS>-<random>`: letters, digits and dashes, ≤ 50 characters."""
    stamp = timezone.localtime().strftime("%y%m%d%H%M%S")
    return f"PDAM-{customer.number}-{stamp}-{secrets.token_hex(3).upper()}"


def _invoice_key(invoices: list[Invoice]) -> str:
    return ",".join(str(pk) for pk in sorted(invoice.pk for invoice in invoices))


def _item_name(invoice: Invoice) -> str:
    return (_("Water bill %(month)s") % {"month": invoice.period.month.strftime("%m/%Y")})[:50]


def _snap_parameters(order: OnlineOrder, lines: list[OrderInvoice], finish_url: str) -> dict:
    customer = order.customer
    start = timezone.localtime(order.created_at)
    minutes = max(1, int((order.expires_at - order.created_at).total_seconds() // 60))
    owner_pays = order.created_by_id is not None and order.created_by_id == customer.user_id
    return {
        "transaction_details": {"order_id": order.order_id, "gross_amount": int(order.gross_amount)},
        "item_details": [
            {
                "id": line.invoice.number[:50],
                "price": int(line.amount),
                "quantity": 1,
                "name": _item_name(line.invoice),
            }
            for line in lines
        ],
        "customer_details": {
            # Midtrans learns the full name only when the signed-in owner of the connection pays.
            "first_name": (customer.name if owner_pays else masking.mask_name(customer.name))[:50],
            "email": getattr(order.created_by, "email", "") or "",
        },
        "expiry": {
            "start_time": start.strftime("%Y-%m-%d %H:%M:%S %z"),
            "unit": "minute",
            "duration": minutes,
        },
        "callbacks": {"finish": finish_url},
        "enabled_payments": list(settings.MIDTRANS_ENABLED_PAYMENTS),
    }


def _live_order(key: str) -> OnlineOrder | None:
    return OnlineOrder.objects.filter(invoice_key=key, state__in=LIVE_ORDER_STATES).first()


def _reusable(order: OnlineOrder | None, now: datetime.datetime) -> bool:
    margin = datetime.timedelta(minutes=5)
    return (
        order is not None and order.state == OrderState.PENDING and bool(order.redirect_url)
    ) and order.expires_at > now + margin


def order_start(
    *, customer: Customer, invoice_ids: list[int], finish_url, created_by=None, session_orders=None
) -> OnlineOrder:
    """The Snap order for paying these invoices (the oldest outstanding ones, none skipped).

    A second click on Pay for the same invoices reuses the live order. The order row is
    committed before Snap is called; if Snap fails, the order is marked failed, nothing is
    charged and the customer gets a clear message. `finish_url(order)` gives Snap's finish URL.
    """
    if not gateway.enabled():
        raise _unavailable()
    invoice_ids = [int(pk) for pk in invoice_ids]
    now = timezone.now()
    with transaction.atomic():
        services.customer_lock(customer.pk)
        invoices = services.invoices_for_payment(customer_id=customer.pk, invoice_ids=invoice_ids)
        key = _invoice_key(invoices)
        existing = _live_order(key)
    if existing is not None and not _reusable(existing, now):
        order_refresh(order=existing)
        existing.refresh_from_db()
    if existing is not None and existing.state in LIVE_ORDER_STATES:
        if session_orders is not None and not _started_by(existing, created_by, session_orders):
            # Another visitor's live order: never theirs to see, and never a lock on the bills.
            _supersede(existing, customer)
        elif _reusable(existing, now) or existing.state == OrderState.CREATED:
            return existing
        else:
            _order_set_state(existing, OrderState.EXPIRED, detail="replaced by a new order near its expiry")
    try:
        with transaction.atomic():
            services.customer_lock(customer.pk)
            invoices = services.invoices_for_payment(customer_id=customer.pk, invoice_ids=invoice_ids)
            surcharges = selectors.invoices_surcharges(invoices)
            amounts = {invoice.pk: invoice.total + surcharges[invoice.pk] for invoice in invoices}
            order = OnlineOrder.objects.create(
                order_id=order_id_new(customer),
                customer=customer,
                gross_amount=sum(amounts.values()),
                invoice_key=key,
                state=OrderState.CREATED,
                created_at=now,
                updated_at=now,
                expires_at=now + datetime.timedelta(minutes=settings.MIDTRANS_ORDER_EXPIRY_MINUTES),
                created_by=created_by if created_by is not None and created_by.is_authenticated else None,
            )
            lines = OrderInvoice.objects.bulk_create(
                OrderInvoice(order=order, invoice=invoice, amount=amounts[invoice.pk]) for invoice in invoices
            )
    except IntegrityError:
        # Another click made the live order for these invoices a moment ago: use that one.
        other = _live_order(key)
        if other is None:
            raise
        if session_orders is not None and not _may_view(other, created_by, session_orders):
            raise _in_progress() from None
        return other
    try:
        answer = gateway.snap_create(_snap_parameters(order, lines, finish_url(order)))
    except (gateway.GatewayError, gateway.GatewayRefused) as error:
        log.warning("Snap create failed for %s: %s", order.order_id, error)
        _order_set_state(order, OrderState.FAILED, detail=str(error), from_states=(OrderState.CREATED,))
        raise _unavailable() from error
    _order_set_state(
        order,
        OrderState.PENDING,
        from_states=(OrderState.CREATED,),
        snap_token=answer["token"][:100],
        redirect_url=answer["redirect_url"][:500],
    )
    order.refresh_from_db()
    return order


def _started_by(order: OnlineOrder, user, session_orders: list[str]) -> bool:
    """This browser session, or this signed-in user, started the order."""
    if order.order_id in session_orders:
        return True
    return bool(user is not None and user.is_authenticated and order.created_by_id == user.pk)


def _supersede(order: OnlineOrder, customer: Customer) -> None:
    """Cancel another visitor's unpaid live order for the same bills, so that anyone holding the
    bill can always pay (a stranger's order would otherwise lock them for up to a day).

    The signed-in owner's own order is never cancelled by someone else. If the old order is paid
    anyway (its Snap page was still open), that money becomes credit: never applied twice.
    """
    if order.created_by_id is not None and order.created_by_id == customer.user_id:
        raise _in_progress()
    try:
        cancelled = order_cancel(order=order, detail="superseded by a new order from another visitor")
    except ValidationError:
        raise ValidationError(services.invoices_gone_message()) from None
    if not cancelled:
        raise _unavailable()


def _order_set_state(
    order: OnlineOrder, state: str, *, detail: str = "", from_states=LIVE_ORDER_STATES, **fields
) -> None:
    """Move an order still in `from_states` (live) to `state`, audited; any other order stays."""
    with transaction.atomic():
        locked = OnlineOrder.objects.select_for_update().filter(pk=order.pk, state__in=from_states).first()
        if locked is None:
            return
        before = locked.state
        OnlineOrder.objects.filter(pk=locked.pk).update(
            state=state, updated_at=timezone.now(), failure=detail[:1000], **fields
        )
        _state_audit(locked, before, state, reason=detail)


def _state_audit(order: OnlineOrder, before: str, after: str, *, reason: str) -> None:
    audit_record(
        actor=None,
        action="online_order.state",
        obj=order,
        changes={"state": [str(before), str(after)]},
        reason=reason[:1000],
    )


# No water bill comes near this; an amount beyond it (or NaN, Infinity) is no amount.
_AMOUNT_CEILING = Decimal(10) ** 15


def _amount(text) -> Decimal | None:
    try:
        amount = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or abs(amount) >= _AMOUNT_CEILING:
        return None
    return amount


def answer_of(status: dict) -> str:
    """The row of STATUS_TABLE for a status API answer."""
    state = status.get("transaction_status", "")
    if state == "capture":
        return CAPTURE_ACCEPT if status.get("fraud_status") == "accept" else CAPTURE_CHALLENGE
    return state if isinstance(state, str) and state in MIDTRANS_STATUSES else OTHER


@dataclasses.dataclass
class _Apply:
    """What one step works on: the locked order, the status API's answer, the notification."""

    order: OnlineOrder
    status: dict
    answer: str
    notification: GatewayNotification | None


def _nothing(step: _Apply) -> str:
    return NotificationOutcome.NO_CHANGE


def _wait(step: _Apply) -> str:
    step.order.state = OrderState.PENDING
    return NotificationOutcome.APPLIED


def _close_unpaid(step: _Apply) -> str:
    step.order.state = UNPAID_FINAL[step.answer]
    return NotificationOutcome.APPLIED


def _settle(step: _Apply) -> str:
    order = step.order
    amounts = [_amount(step.status.get("gross_amount"))]
    if step.notification is not None:
        amounts.append(_amount(json.loads(step.notification.body).get("gross_amount")))
    if any(amount != order.gross_amount for amount in amounts):
        _hold_for_review(step, amounts)
        return NotificationOutcome.MISMATCH
    order.save()
    services.online_settlement_apply(order=order, paid_at=_settled_at(step.status), detail=step.answer)
    order.refresh_from_db()
    return NotificationOutcome.APPLIED


def _hold_for_review(step: _Apply, amounts: list) -> None:
    """The amount differs from the order: nothing is applied, a person decides (once)."""
    order = step.order
    if order.state == OrderState.REVIEW:
        return
    order.state = OrderState.REVIEW
    ReviewItem.objects.create(
        kind=ReviewKind.AMOUNT_MISMATCH,
        customer_id=order.customer_id,
        order=order,
        notification=step.notification,
        amount=order.gross_amount,
        detail=_("Order %(order)s is for %(expected)s; Midtrans reports %(reported)s.")
        % {
            "order": order.order_id,
            "expected": order.gross_amount,
            "reported": ", ".join(str(a) for a in amounts),
        },
    )


def _reverse_payment(step: _Apply) -> str:
    kind = {
        DENY: ReversalKind.DENY,
        CANCEL: ReversalKind.DENY,
        REFUND: ReversalKind.REFUND,
        CHARGEBACK: ReversalKind.CHARGEBACK,
    }[step.answer]
    reason = (
        _("Midtrans reports %(status)s after the settlement.")
        if kind == ReversalKind.DENY
        else _("Midtrans reports %(status)s.")
    ) % {"status": step.answer}
    services.payment_reverse(payment=Payment.objects.get(order=step.order), kind=kind, reason=reason)
    step.order.state = OrderState.REVERSED
    return NotificationOutcome.APPLIED


def _review_note(step: _Apply) -> str:
    """Money went back at Midtrans: listed once for a person; nothing moves here."""
    order = step.order
    if ReviewItem.objects.filter(order=order, kind=ReviewKind.REVERSAL, resolved_at=None).exists():
        return NotificationOutcome.NO_CHANGE
    if order.state == OrderState.PAID:
        detail = _("Midtrans reports %(status)s: part of the payment went back; settle it by hand.")
    else:
        detail = _(
            "Midtrans reports %(status)s for an order whose payment was never recorded here; "
            "no money was moved."
        )
    ReviewItem.objects.create(
        kind=ReviewKind.REVERSAL,
        customer_id=order.customer_id,
        order=order,
        notification=step.notification,
        amount=order.gross_amount,
        detail=detail % {"status": step.answer},
    )
    return NotificationOutcome.APPLIED


STEPS = {
    "settle": _settle,
    "wait": _wait,
    "close_unpaid": _close_unpaid,
    "reverse_payment": _reverse_payment,
    "review_note": _review_note,
    "nothing": _nothing,
}


def _identity_mismatch(order: OnlineOrder, status: dict, notification: GatewayNotification | None) -> None:
    """The status API answered about another order or in another currency: never applied."""
    if order.state not in (OrderState.PAID, OrderState.REVERSED, OrderState.REVIEW):
        order.state = OrderState.REVIEW
    if not ReviewItem.objects.filter(order=order, kind=ReviewKind.STATUS_MISMATCH, resolved_at=None).exists():
        ReviewItem.objects.create(
            kind=ReviewKind.STATUS_MISMATCH,
            customer_id=order.customer_id,
            order=order,
            notification=notification,
            amount=order.gross_amount,
            detail=_("Asked about order %(order)s, Midtrans answered about %(other)s in %(currency)s.")
            % {
                "order": order.order_id,
                "other": str(status.get("order_id", ""))[:100],
                "currency": str(status.get("currency", ""))[:8],
            },
        )


def status_apply(*, order: OnlineOrder, status: dict, notification: GatewayNotification | None = None) -> str:
    """Apply what the status API says about `order` (the truth, whatever a notification said).

    The step is STATUS_TABLE's cell for (answer, order state). Returns the notification outcome.
    Idempotent: applying the same status twice changes nothing. Locks the customer, then the order.
    """
    state = status.get("transaction_status", "")
    with transaction.atomic(durable=True):
        services.customer_lock(order.customer_id)
        order = OnlineOrder.objects.select_for_update().get(pk=order.pk)
        before = order.state
        if status.get("order_id") != order.order_id or status.get("currency") != CURRENCY:
            _identity_mismatch(order, status, notification)
            outcome = NotificationOutcome.MISMATCH
            reason = "status names another order or currency"
        else:
            order.transaction_status = str(state)[:32]
            order.payment_type = str(status.get("payment_type", order.payment_type))[:32]
            order.transaction_id = str(status.get("transaction_id", order.transaction_id))[:64]
            order.last_checked_at = timezone.now()
            answer = answer_of(status)
            step = STATUS_TABLE[(answer, order.state)]
            outcome = STEPS[step](
                _Apply(order=order, status=status, answer=answer, notification=notification)
            )
            reason = f"midtrans {answer}: {step}"
        if order.state != before:
            order.updated_at = timezone.now()
            _state_audit(order, before, order.state, reason=reason)
        order.save()
    return outcome


def _settled_at(status: dict) -> datetime.datetime:
    """When Midtrans settled it (its times are Jakarta time, WIB); now when it does not say."""
    text = status.get("settlement_time") or status.get("transaction_time")
    try:
        return datetime.datetime.strptime(f"{text} +0700", "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return timezone.now()


def notification_receive(*, body: bytes, remote_addr: str = "") -> int:
    """Handle a Midtrans HTTP notification; returns the HTTP status to answer.

    200 once it is stored and handled (also for an unknown order, stored and flagged for review,
    and for anything that changes nothing); 400 for a body that is not a notification; 403 for a
    bad signature (stored, nothing changes); 503 when Midtrans cannot be asked to confirm or the
    handling fails, so that Midtrans retries later.
    """
    if len(body) > NOTIFICATION_MAX_BYTES:
        notification = GatewayNotification.objects.create(body=_summary(body), remote_addr=remote_addr[:64])
        _note(notification, NotificationOutcome.FAILED, f"body of {len(body)} bytes is too large")
        return 400
    notification = GatewayNotification.objects.create(
        body=body.decode("utf-8", errors="replace"), remote_addr=remote_addr[:64]
    )
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or _depth(payload) > NOTIFICATION_MAX_DEPTH:
        notification.body = _summary(body)
        _note(notification, NotificationOutcome.FAILED, "not a flat JSON object")
        return 400
    notification.sent_order_id = str(payload.get("order_id", ""))[:100]
    notification.transaction_status = str(payload.get("transaction_status", ""))[:32]
    notification.signature_valid = gateway.signature_valid(payload)
    if not notification.signature_valid:
        _note(notification, NotificationOutcome.FORGED, "signature does not verify")
        return 403
    order = OnlineOrder.objects.filter(order_id=notification.sent_order_id).first()
    if order is None:
        ReviewItem.objects.create(
            kind=ReviewKind.UNKNOWN_ORDER,
            notification=notification,
            amount=int(_amount(payload.get("gross_amount")) or 0),
            detail=_("Midtrans sent %(status)s for order %(order)s, which this portal never made.")
            % {"status": notification.transaction_status, "order": notification.sent_order_id},
        )
        _note(notification, NotificationOutcome.UNKNOWN_ORDER, "")
        return 200
    notification.order = order
    try:
        status = gateway.transaction_status(order.order_id)
    except (gateway.GatewayError, gateway.GatewayRefused) as error:
        _note(notification, NotificationOutcome.FAILED, f"status API: {error}")
        return 503
    if status is None:
        _note(notification, NotificationOutcome.NO_CHANGE, "the status API does not know the transaction")
        return 200
    try:
        outcome = status_apply(order=order, status=status, notification=notification)
    except Exception as error:
        log.exception("Midtrans notification %s failed", notification.pk)
        _note(notification, NotificationOutcome.FAILED, f"{type(error).__name__}: {error}"[:2000])
        return 500
    _note(notification, outcome, f"status API: {status.get('transaction_status')}")
    return 200


def _summary(body: bytes) -> str:
    """A compact stored form of a refused body: its start and its length."""
    text = body[:NOTIFICATION_SUMMARY_CHARS].decode("utf-8", errors="replace")
    if len(body) > NOTIFICATION_SUMMARY_CHARS:
        text += f"... [{len(body)} bytes]"
    return text


def _depth(value, limit: int = NOTIFICATION_MAX_DEPTH) -> int:
    """How deeply `value` nests (a flat object is 1), counting no further than limit + 1."""
    level, current = 0, [value]
    while current and level <= limit:
        level += 1
        nested = []
        for item in current:
            if isinstance(item, dict):
                nested.extend(item.values())
            elif isinstance(item, list):
                nested.extend(item)
        current = [item for item in nested if isinstance(item, (dict, list))]
    return level + (1 if current else 0)


def notifications_purge(*, older_than_days: int, batch: int = 5000) -> int:
    """Delete stored notifications older than `older_than_days`, keeping every one tied to money:
    its order has a payment (and so any reversal), or a review item names it or its order."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    purgeable = (
        GatewayNotification.objects.filter(received_at__lt=cutoff)
        .exclude(order__payment__isnull=False)
        .exclude(Exists(ReviewItem.objects.filter(notification=OuterRef("pk"))))
        .exclude(Exists(ReviewItem.objects.filter(order_id=OuterRef("order_id"))))
    )
    deleted = 0
    while True:
        ids = list(purgeable.values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += GatewayNotification.objects.filter(pk__in=ids).delete()[0]


def _note(notification: GatewayNotification, outcome: str, detail: str) -> None:
    notification.outcome = outcome
    notification.detail = detail
    notification.processed_at = timezone.now()
    notification.save()


def order_refresh(*, order: OnlineOrder) -> OnlineOrder:
    """Ask Midtrans for the order's true status and apply it (the finish page, the sweeper).

    An order Midtrans does not know past its expiry (the Snap page expired before a method was
    picked) expires here. When Midtrans cannot be asked, the order stays as it is.
    """
    try:
        status = gateway.transaction_status(order.order_id)
    except (gateway.GatewayError, gateway.GatewayRefused) as error:
        log.warning("Status of %s unavailable: %s", order.order_id, error)
        return order
    if status is None:
        now = timezone.now()
        if order.state in LIVE_ORDER_STATES and order.expires_at <= now:
            _order_set_state(order, OrderState.EXPIRED, detail="expired without a payment method chosen")
        else:
            OnlineOrder.objects.filter(pk=order.pk).update(last_checked_at=now)
    else:
        status_apply(order=order, status=status)
    order.refresh_from_db()
    return order


def orders_sweep(*, stale_minutes: int = 15, limit: int = 500) -> dict:
    """Ask Midtrans about live orders nobody heard of lately; expire those that expired silently."""
    now = timezone.now()
    stale = now - datetime.timedelta(minutes=stale_minutes)
    orders = list(
        OnlineOrder.objects.filter(state__in=LIVE_ORDER_STATES, updated_at__lte=stale)
        .exclude(last_checked_at__gt=stale)
        .order_by("updated_at")[:limit]
    )
    counts = {"checked": 0, "paid": 0, "expired": 0}
    for order in orders:
        try:
            refreshed = order_refresh(order=order)
        except Exception as error:  # noqa: BLE001 - one bad order never stalls the sweep
            services.job_item_failed(job="orders_sweep", error=error, order=order)
            counts["failed"] = counts.get("failed", 0) + 1
            continue
        counts["checked"] += 1
        if refreshed.state == OrderState.PAID:
            counts["paid"] += 1
        elif refreshed.state == OrderState.EXPIRED:
            counts["expired"] += 1
    return counts


def order_cancel(
    *, order: OnlineOrder, actor=None, detail: str = "cancelled for a payment at the counter"
) -> bool:
    """Cancel a live online order before the counter takes cash for its invoices.

    True when the order is dead (cancelled now, or it already was). Raises ValidationError when
    Midtrans says it was paid (that payment is applied first). False when Midtrans could not be
    reached: the counter may go on; if the customer pays online too, it becomes credit.
    """
    order.refresh_from_db()
    if order.state not in LIVE_ORDER_STATES:
        if order.state == OrderState.PAID:
            raise ValidationError(
                _("These invoices were just paid online (order %(order)s).") % {"order": order}
            )
        return True
    try:
        gateway.transaction_cancel(order.order_id)
    except gateway.GatewayRefused as refused:
        if refused.status_code == 404:  # no method picked yet: nothing to cancel at Midtrans
            _order_set_state(order, OrderState.CANCELLED, detail=detail)
            return True
        refreshed = order_refresh(order=order)
        if refreshed.state == OrderState.PAID:
            raise ValidationError(
                _("These invoices were just paid online (order %(order)s).") % {"order": order}
            ) from refused
        return refreshed.state not in LIVE_ORDER_STATES
    except gateway.GatewayError:
        return False
    _order_set_state(order, OrderState.CANCELLED, detail=detail)
    return True


def _may_view(order: OnlineOrder, user, session_orders: list[str]) -> bool:
    """Staff who read payments, the customer who owns the connection, or the browser session
    (or signed-in user) that started the order, unless that user has since lost the connection."""
    if user is not None and user.is_authenticated:
        if user.has_perm("payments.view_payment") or order.customer.user_id == user.pk:
            return True
        started = order.order_id in session_orders or order.created_by_id == user.pk
        return started and not selectors.connection_lost_by(customer=order.customer, user=user)
    return order.order_id in session_orders


def _in_progress() -> ValidationError:
    return ValidationError(
        _("A payment for these bills is already in progress. Try again when it is finished or has expired."),
        code="in_progress",
    )


def order_for_viewer(*, order_id: str, user, session_orders: list[str]) -> OnlineOrder:
    """The order, if the viewer may see it (see _may_view). Raises OnlineOrder.DoesNotExist otherwise."""
    order = OnlineOrder.objects.select_related("customer").get(order_id=order_id)
    if _may_view(order, user, session_orders):
        return order
    raise OnlineOrder.DoesNotExist


def order_summary(order: OnlineOrder) -> dict:
    payment = Payment.objects.filter(order=order).select_related("reversal").first()
    return {
        "order": order,
        "lines": list(order.lines.select_related("invoice__period").order_by("invoice__period__month")),
        "payment": payment,
    }
