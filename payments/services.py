"""Writes that move money. Each owns its transaction, locks what it changes and writes its audit row.

Lock order, everywhere, so that concurrent payments queue instead of deadlocking: the customer
row first, then the invoices (by id), then the receipt sequence. The customer lock is what makes
a counter payment and an online settlement for the same customer take turns; the unique index
on live allocations is the database's last word that an invoice is settled once.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice
from customers.models import Customer
from payments import selectors
from payments.models import (
    RECEIPT_PREFIX,
    CashierShift,
    Channel,
    CreditEntry,
    CreditKind,
    OnlineOrder,
    OrderState,
    Payment,
    PaymentAllocation,
    PaymentReversal,
    ReceiptSequence,
    ReversalKind,
    ReviewItem,
    ReviewKind,
)
from payments.notices import payment_received_notice
from pdam.audit import audit_record
from pdam.money import format_rupiah
from pdam.transactions import require_atomic

logger = logging.getLogger(__name__)


def customer_lock(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def receipt_number_next(channel: str) -> str:
    """The next receipt number of `channel`, taken under a row lock held until commit."""
    sequence = ReceiptSequence.objects.select_for_update().filter(channel=channel).first()
    if sequence is None:
        ReceiptSequence.objects.get_or_create(channel=channel)
        sequence = ReceiptSequence.objects.select_for_update().get(channel=channel)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{RECEIPT_PREFIX[channel]}-{sequence.last_number:08d}"


def _lock_invoices(invoice_ids: list[int]) -> None:
    """Lock these invoice rows (in id order, as every service does) without loading them."""
    list(Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk").values_list("pk"))


def _oldest_first(invoices: list[Invoice]) -> list[Invoice]:
    return sorted(invoices, key=lambda invoice: (invoice.period.month, invoice.number))


def invoices_gone_message() -> str:
    """The refusal for a selection that is not (or no longer) outstanding for this number.

    The pay page answers an unknown customer number with it too, so that it does not tell which
    numbers exist.
    """
    return _(
        "These invoices are no longer outstanding: they were paid or cancelled a moment ago. "
        "Look the customer up again."
    )


def invoices_for_payment(*, customer_id: int, invoice_ids: list[int]) -> list[Invoice]:
    """Lock and check a counter selection: each invoice still outstanding, none skipped.

    Call with the customer locked. Raises ValidationError with a message for the cashier.
    """
    if not invoice_ids:
        raise ValidationError(_("Choose at least one invoice to pay."))
    _lock_invoices(invoice_ids)
    outstanding = list(selectors.invoices_outstanding(customer=customer_id))
    outstanding_ids = [invoice.pk for invoice in outstanding]
    if set(invoice_ids) - set(outstanding_ids):
        raise ValidationError(invoices_gone_message())
    chosen = outstanding[: len(set(invoice_ids))]
    if {invoice.pk for invoice in chosen} != set(invoice_ids):
        raise ValidationError(
            _("Pay the oldest invoices first: an older unpaid invoice cannot be skipped (%(number)s).")
            % {"number": next(i.number for i in chosen if i.pk not in set(invoice_ids))}
        )
    return chosen


def _allocate(payment: Payment, invoices: list[Invoice], surcharges: dict[int, int]) -> int:
    """Settle `invoices` whole: each allocation is the invoice's total plus its surcharge (denda),
    and records that surcharge apart, so that reports show denda apart from the principal."""
    allocations = [
        PaymentAllocation(
            payment=payment,
            invoice=invoice,
            amount=invoice.total + surcharges[invoice.pk],
            surcharge=surcharges[invoice.pk],
        )
        for invoice in invoices
    ]
    PaymentAllocation.objects.bulk_create(allocations)
    return sum(allocation.amount for allocation in allocations)


def _credit(
    customer_id: int, amount: int, kind: str, *, actor=None, payment=None, order=None, note=""
) -> None:
    if amount:
        CreditEntry.objects.create(
            customer_id=customer_id,
            amount=amount,
            kind=kind,
            payment=payment,
            order=order,
            note=note,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )


def cash_payment_take(
    *,
    cashier,
    customer: Customer,
    invoice_ids: list[int],
    tendered: int,
    use_credit: bool = True,
    today: datetime.date | None = None,
) -> Payment:
    """Take cash at the counter for the oldest outstanding invoices of `customer`.

    Refused (ValidationError, nothing changes) without an open shift, when an older invoice is
    skipped, when an invoice was settled meanwhile (by another cashier or online), or when the
    cash tendered is short. The customer's credit is used first when `use_credit`.
    A step of `payments.cashier.desk_payment_take`, which owns the transaction (and cancels live
    online orders first): it refuses to run outside one.
    """
    require_atomic("cash_payment_take")
    if isinstance(tendered, bool) or not isinstance(tendered, int) or tendered < 0:
        raise ValidationError(_("Enter the cash received in whole Rupiah."))
    with transaction.atomic():
        shift = CashierShift.objects.select_for_update().filter(cashier=cashier, state="open").first()
        if shift is None:
            raise ValidationError(_("Open a shift before taking payments."))
        locked = customer_lock(customer.pk)
        invoices = invoices_for_payment(customer_id=locked.pk, invoice_ids=list(invoice_ids))
        surcharges = selectors.invoices_surcharges(invoices)
        due = sum(invoice.total + surcharges[invoice.pk] for invoice in invoices)
        credit = min(selectors.credit_balance(customer=locked), due) if use_credit else 0
        credit = max(credit, 0)
        cash_due = due - credit
        if tendered < cash_due:
            raise ValidationError(
                _("The cash received (%(tendered)s) is less than the amount due (%(due)s).")
                % {"tendered": format_rupiah(tendered), "due": format_rupiah(cash_due)}
            )
        now = timezone.now()
        payment = Payment.objects.create(
            receipt_number=receipt_number_next(Channel.CASH),
            channel=Channel.CASH,
            customer=locked,
            amount=cash_due,
            credit_used=credit,
            paid_at=now,
            business_date=today or timezone.localdate(now),
            received_by=cashier,
            shift=shift,
            tendered=tendered,
            change=tendered - cash_due,
        )
        _allocate(payment, invoices, surcharges)
        _credit(locked.pk, -credit, CreditKind.USED, actor=cashier, payment=payment)
        audit_record(
            actor=cashier,
            action="payment.cash",
            obj=payment,
            changes={
                "invoices": [None, [invoice.number for invoice in invoices]],
                "amount": [None, cash_due],
                "credit_used": [None, credit],
            },
        )
        payment_received_notice(payment)
    return payment


def online_settlement_apply(
    *, order: OnlineOrder, paid_at: datetime.datetime, detail: str = ""
) -> Payment | None:
    """Record the money of a settled online order. Idempotent: a paid order changes nothing.

    Invoices that are still outstanding are settled oldest first; the money for any that were
    settled meanwhile (cash at the counter, another online attempt) or cancelled becomes the
    customer's credit, listed for review: never lost, never applied twice.
    Call inside a transaction, with the customer locked first.
    """
    require_atomic("online_settlement_apply")
    order = OnlineOrder.objects.select_for_update().get(pk=order.pk)
    if order.state == OrderState.PAID or Payment.objects.filter(order=order).exists():
        return None
    lines = list(
        order.lines.select_related("invoice__period").order_by("invoice__period__month", "invoice__number")
    )
    invoice_ids = [line.invoice_id for line in lines]
    _lock_invoices(invoice_ids)
    outstanding = set(selectors.invoices_outstanding_among(invoice_ids=invoice_ids))
    to_settle = [line.invoice for line in lines if line.invoice_id in outstanding]
    surcharges = selectors.invoices_surcharges(to_settle)
    if sum(invoice.total + surcharges[invoice.pk] for invoice in to_settle) > order.gross_amount:
        to_settle = []  # the invoices grew since the order was made (a surcharge): hold it all
    order.state = OrderState.PAID
    order.updated_at = timezone.now()
    order.save(update_fields=["state", "updated_at"])
    # The receipt number last, so that the sequence's row lock is held as briefly as possible.
    payment = Payment.objects.create(
        receipt_number=receipt_number_next(Channel.ONLINE),
        channel=Channel.ONLINE,
        customer_id=order.customer_id,
        amount=order.gross_amount,
        paid_at=paid_at,
        business_date=timezone.localdate(paid_at),
        order=order,
    )
    overpaid = order.gross_amount - _allocate(payment, to_settle, surcharges)
    if overpaid:
        payment.credit_created = overpaid
        payment.save(update_fields=["credit_created"])
        _credit(order.customer_id, overpaid, CreditKind.OVERPAYMENT, payment=payment, order=order)
        unpaid = [line.invoice.number for line in lines if line.invoice not in to_settle]
        ReviewItem.objects.create(
            kind=ReviewKind.OVERPAYMENT,
            customer_id=order.customer_id,
            order=order,
            payment=payment,
            amount=overpaid,
            detail=_("Already settled or cancelled when the online payment arrived: %(numbers)s.")
            % {"numbers": ", ".join(unpaid)},
        )
    audit_record(
        actor=None,
        action="payment.online",
        obj=payment,
        changes={
            "order": [None, order.order_id],
            "invoices": [None, [invoice.number for invoice in to_settle]],
            "amount": [None, order.gross_amount],
            "credit_created": [None, overpaid],
        },
        reason=detail,
    )
    payment_received_notice(payment)
    if overpaid:
        credit_apply(customer_id=order.customer_id)
    return payment


def payment_reverse(
    *,
    payment: Payment,
    kind: str,
    reason: str,
    requested_by=None,
    approved_by=None,
    shift: CashierShift | None = None,
    today: datetime.date | None = None,
) -> PaymentReversal:
    """Take a payment back: its invoices are outstanding again, its credit movements undone.

    The payment and its allocations stay (released, pointing at the reversal). Idempotent: a
    payment already reversed returns its reversal. A step of a void or of a Midtrans reversal,
    whose transaction it runs in.
    """
    require_atomic("payment_reverse")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the reversal."))
    with transaction.atomic():
        customer_lock(payment.customer_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = PaymentReversal.objects.filter(payment=locked).first()
        if existing is not None:
            return existing
        now = timezone.now()
        reversal = PaymentReversal.objects.create(
            payment=locked,
            kind=kind,
            reason=reason,
            requested_by=requested_by,
            approved_by=approved_by,
            shift=shift,
            business_date=today or timezone.localdate(now),
            created_at=now,
        )
        released = list(locked.allocations.filter(released_at__isnull=True).select_related("invoice"))
        PaymentAllocation.objects.filter(pk__in=[a.pk for a in released]).update(
            released_at=now, released_reason=kind
        )
        _credit(
            locked.customer_id, locked.credit_used, CreditKind.RESTORED, actor=requested_by, payment=locked
        )
        _credit(
            locked.customer_id,
            -locked.credit_created,
            CreditKind.REVERSED,
            actor=requested_by,
            payment=locked,
        )
        if locked.channel == Channel.ONLINE and kind != ReversalKind.VOID:
            balance = selectors.credit_balance(customer=locked.customer_id)
            ReviewItem.objects.create(
                kind=ReviewKind.REVERSAL if balance >= 0 else ReviewKind.NEGATIVE_CREDIT,
                customer_id=locked.customer_id,
                order_id=locked.order_id,
                payment=locked,
                amount=locked.amount,
                detail=reason,
            )
        audit_record(
            actor=requested_by,
            action=f"payment.{kind}",
            obj=locked,
            changes={
                "reversed": [False, True],
                "invoices": [[a.invoice.number for a in released], None],
                "approved_by": [None, str(approved_by) if approved_by else None],
            },
            reason=reason,
        )
    return reversal


def credit_apply(*, customer_id: int, actor=None) -> Payment | None:
    """Settle the oldest outstanding invoices that the customer's credit covers in full.

    Stops at the first invoice the credit does not cover (oldest first: none is skipped).
    Runs inside its caller's transaction (a settlement, a correction, `credit_settle`); locks the
    customer.
    """
    require_atomic("credit_apply")
    with transaction.atomic():
        customer_lock(customer_id)
        balance = selectors.credit_balance(customer=customer_id)
        if balance <= 0:
            return None
        covered, used = [], 0
        outstanding = list(selectors.invoices_outstanding(customer=customer_id))
        surcharges = selectors.invoices_surcharges(outstanding)
        for invoice in outstanding:
            due = invoice.total + surcharges[invoice.pk]
            if used + due > balance:
                break
            covered.append(invoice)
            used += due
        if not covered:
            return None
        _lock_invoices([invoice.pk for invoice in covered])
        now = timezone.now()
        payment = Payment.objects.create(
            receipt_number=receipt_number_next(Channel.CREDIT),
            channel=Channel.CREDIT,
            customer_id=customer_id,
            amount=0,
            credit_used=used,
            paid_at=now,
            business_date=timezone.localdate(now),
            received_by=actor if actor is not None and actor.is_authenticated else None,
        )
        _allocate(payment, covered, surcharges)
        _credit(customer_id, -used, CreditKind.USED, actor=actor, payment=payment)
        audit_record(
            actor=actor,
            action="payment.credit",
            obj=payment,
            changes={
                "invoices": [None, [invoice.number for invoice in covered]],
                "credit_used": [None, used],
            },
        )
    return payment


def credit_settle(*, customer_id: int, actor=None) -> Payment | None:
    """Settle what the customer's credit covers, in a transaction of its own (the nightly job)."""
    with transaction.atomic(durable=True):
        return credit_apply(customer_id=customer_id, actor=actor)


def credit_refund(*, customer: Customer, amount: int, actor, note: str) -> CreditEntry:
    """Pay credit back to the customer (recorded; the money leaves outside the portal)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say how the refund is paid (e.g. the bank transfer reference)."))
    with transaction.atomic(durable=True):
        locked = customer_lock(customer.pk)
        balance = selectors.credit_balance(customer=locked)
        if amount <= 0 or amount > balance:
            raise ValidationError(
                _("A refund must be more than Rp 0 and at most the credit (%(balance)s).")
                % {"balance": format_rupiah(balance)}
            )
        entry = CreditEntry.objects.create(
            customer=locked, amount=-amount, kind=CreditKind.REFUNDED, note=note, created_by=actor
        )
        audit_record(
            actor=actor,
            action="credit.refund",
            obj=locked,
            changes={"credit": [balance, balance - amount]},
            reason=note,
        )
    return entry


def invoice_replaced(original: Invoice, replacement: Invoice, actor) -> None:
    """Billing's replacement handler: money paid on a cancelled invoice becomes the customer's
    credit, which then settles the replacement if it covers it (otherwise it lowers what is due).
    Runs inside the correction's transaction."""
    require_atomic("invoice_replaced")
    live = list(
        PaymentAllocation.objects.select_for_update().filter(invoice=original, released_at__isnull=True)
    )
    if not live:
        return
    now = timezone.now()
    PaymentAllocation.objects.filter(pk__in=[a.pk for a in live]).update(
        released_at=now, released_reason="invoice_cancelled"
    )
    for allocation in live:
        CreditEntry.objects.create(
            customer_id=original.customer_id,
            amount=allocation.amount,
            kind=CreditKind.INVOICE_CANCELLED,
            payment_id=allocation.payment_id,
            note=_("Paid on %(original)s, replaced by %(replacement)s.")
            % {"original": original.number, "replacement": replacement.number},
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    credit_apply(customer_id=original.customer_id, actor=actor)


def invoice_credit_carried(invoice: Invoice, amount: int, actor) -> None:
    """Billing's credit carrier: a true-up's excess over the invoice's charges becomes the
    customer's credit (negative: taken back when a replacement carries less), which settles
    later invoices through `credit_apply`. Runs inside the transaction that wrote the invoice."""
    require_atomic("invoice_credit_carried")
    _credit(
        invoice.customer_id,
        amount,
        CreditKind.TRUE_UP,
        actor=actor,
        note=_("True-up excess on %(invoice)s.") % {"invoice": invoice.number},
    )
    audit_record(
        actor=actor,
        action="credit.true_up",
        obj=invoice,
        changes={"credit": [0, amount]},
        reason=str(_("True-up excess on %(invoice)s.") % {"invoice": invoice.number}),
    )
    if amount < 0:
        balance = selectors.credit_balance(customer=invoice.customer_id)
        if balance < 0:
            # The credit taken back was spent already (it paid older bills): the customer owes it
            # now, and a supervisor decides how to collect it. Nothing is lost or hidden.
            ReviewItem.objects.create(
                kind=ReviewKind.NEGATIVE_CREDIT,
                customer_id=invoice.customer_id,
                amount=-balance,
                detail=_(
                    "The correction of %(invoice)s takes back true-up credit that was already used: "
                    "the credit is %(balance)s."
                )
                % {"invoice": invoice.number, "balance": format_rupiah(balance)},
            )


def job_item_failed(*, job: str, error: BaseException, customer_id: int | None = None, order=None) -> None:
    """One item of a money job (sweeper, nightly credit settlement) failed: log it and raise a
    review item, so the job skips it and goes on with the rest. Own transaction: the failed
    item's work was rolled back already."""
    logger.error("%s failed for customer %s order %s", job, customer_id, order, exc_info=error)
    with transaction.atomic():
        ReviewItem.objects.create(
            kind=ReviewKind.JOB_FAILED,
            customer_id=customer_id if customer_id is not None else getattr(order, "customer_id", None),
            order=order,
            detail=f"{job}: {type(error).__name__}: {error}"[:2000],
        )


def credits_apply_all() -> int:
    """Nightly: every customer with credit gets their oldest invoices settled as far as the
    credit covers. One customer's failure is logged, reviewed and skipped; the rest go on."""
    customers = (
        CreditEntry.objects.values("customer_id").annotate(balance=Sum("amount")).filter(balance__gt=0)
    )
    settled = 0
    for customer_id in [row["customer_id"] for row in customers]:
        try:
            if credit_settle(customer_id=customer_id) is not None:
                settled += 1
        except Exception as error:  # noqa: BLE001 - isolate one customer, reviewed below
            job_item_failed(job="credits_apply", error=error, customer_id=customer_id)
    return settled


def review_item_resolve(*, item: ReviewItem, actor, resolution: str) -> ReviewItem:
    """Close a review item with what was done about it."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError(_("Say what was done about it."))
    with transaction.atomic():
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if locked.resolved_at is not None:
            raise ValidationError(_("Someone resolved this item already."))
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.resolution = resolution
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        audit_record(actor=actor, action="review_item.resolve", obj=locked, reason=resolution)
    return locked
