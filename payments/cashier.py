"""The cashier desk (loket): lookups, cash payments, shifts, voids and reprints.

Writes here own their transaction and audit row like `payments.services`, whose money rules they
reuse (`cash_payment_take`, `payment_reverse`). Reads for the desk, the shift report and the
supervisor's day view are here too, next to the writes they serve.

Cash in a drawer: expected = the shift's float + the cash kept by its payments − the cash given
back by the voids recorded in it. A void is recorded in the shift of the cashier who gives the
money back (their drawer), which may be a later shift than the payment's.
"""

import datetime
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from billing.models import Invoice
from customers.models import Customer
from payments import selectors, services
from payments.models import (
    LIVE_ORDER_STATES,
    CashierShift,
    Channel,
    CreditEntry,
    CreditKind,
    OnlineOrder,
    OrderInvoice,
    Payment,
    PaymentReversal,
    ReversalKind,
    ReviewItem,
    ReviewKind,
    ShiftState,
)
from pdam.audit import audit_record

APPROVE_VOID = "payments.approve_void"
TAKE_PAYMENT = "payments.take_payment"

# What a scanner or a keyboard gives the desk: the customer number itself, the invoice's QR code
# (the bill check URL ``…/?nomor=<number>``) or its barcode (the invoice number
# ``YYYYMM-<number>``, ``-K1`` on a replacement).
CUSTOMER_NUMBER_RE = re.compile(r"^\d{6,12}$")
INVOICE_NUMBER_RE = re.compile(r"^\d{6}-(\d{6,12})(?:-K\d+)?$")


# --- The desk -----------------------------------------------------------------------------------


def desk_query_parse(text: str) -> str | None:
    """The customer number in what was typed or scanned, or None when there is none."""
    text = (text or "").strip()
    if not text:
        return None
    if "nomor=" in text:
        numbers = parse_qs(urlsplit(text).query).get("nomor") or parse_qs(text.split("?")[-1]).get("nomor")
        text = (numbers or [""])[0].strip()
    text = text.replace(" ", "")
    if CUSTOMER_NUMBER_RE.match(text):
        return text
    match = INVOICE_NUMBER_RE.match(text)
    return match[1] if match else None


@dataclass(frozen=True)
class DeskInvoice:
    invoice: Invoice
    amount_due: int  # the invoice's total plus its denda
    live_orders: list[OnlineOrder]
    surcharge: int = 0  # denda


@dataclass(frozen=True)
class DeskView:
    """What the cashier sees for one customer."""

    customer: Customer
    invoices: list[DeskInvoice]
    credit_balance: int
    live_orders: list[OnlineOrder]
    last_receipt: str | None = None
    last_paid_at: datetime.datetime | None = None

    @property
    def total_due(self) -> int:
        return sum(row.amount_due for row in self.invoices)

    @property
    def credit_usable(self) -> int:
        return max(0, min(self.credit_balance, self.total_due))


def _desk_customers() -> QuerySet[Customer]:
    """Customers with what the desk shows in the same row: the credit balance and the latest
    receipt (the desk is the hot page: one query fewer each is a queue that moves)."""
    credit = (
        CreditEntry.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    latest = Payment.objects.filter(customer=OuterRef("pk")).order_by("-paid_at", "-pk")
    return Customer.objects.select_related("route__zone", "tariff_class").annotate(
        desk_credit=Coalesce(Subquery(credit), Value(0), output_field=BigIntegerField()),
        desk_last_receipt=Subquery(latest.values("receipt_number")[:1]),
        desk_last_paid_at=Subquery(latest.values("paid_at")[:1]),
    )


def desk_customer_get(*, number: str) -> Customer:
    """The customer with that number, with what the desk shows (Customer.DoesNotExist)."""
    return _desk_customers().get(number=number)


def desk_view(*, customer: Customer) -> DeskView:
    """Outstanding invoices oldest first with their amounts (each marked when a live online order
    covers it), the credit and the latest receipt. One query for a customer from
    `desk_customer_get`; the live orders take two more, only when there are any."""
    live_line = OrderInvoice.objects.filter(invoice=OuterRef("pk"), order__state__in=LIVE_ORDER_STATES)
    invoices = list(selectors.invoices_outstanding(customer=customer).annotate(live_order=Exists(live_line)))
    orders: list[OnlineOrder] = []
    if any(invoice.live_order for invoice in invoices):
        orders = list(
            selectors.orders_live_for_invoices(invoice_ids=[i.pk for i in invoices]).prefetch_related("lines")
        )
    orders_by_invoice: dict[int, list[OnlineOrder]] = {}
    for order in orders:
        for line in order.lines.all():
            orders_by_invoice.setdefault(line.invoice_id, []).append(order)
    surcharges = selectors.invoices_surcharges(invoices)
    rows = [
        DeskInvoice(
            invoice=invoice,
            amount_due=invoice.total + surcharges[invoice.pk],
            live_orders=orders_by_invoice.get(invoice.pk, []),
            surcharge=surcharges[invoice.pk],
        )
        for invoice in invoices
    ]
    if not hasattr(customer, "desk_credit"):
        customer = desk_customer_get(number=customer.number)
    return DeskView(
        customer=customer,
        invoices=rows,
        credit_balance=int(customer.desk_credit),
        live_orders=orders,
        last_receipt=customer.desk_last_receipt,
        last_paid_at=customer.desk_last_paid_at,
    )


def _order_cancel(*, order: OnlineOrder, actor) -> bool:
    # Imported when needed: the online side (the Midtrans client) is the lead's module.
    from payments import online

    return online.order_cancel(order=order, actor=actor)


@dataclass(frozen=True)
class DeskPayment:
    payment: Payment
    # Live online orders Midtrans could not be asked to cancel (unreachable): if the customer
    # pays one of them anyway, that money becomes their credit.
    orders_not_cancelled: list[str]


def desk_payment_take(
    *,
    cashier,
    customer: Customer,
    invoice_ids: list[int],
    tendered: int,
    use_credit: bool = True,
    today: datetime.date | None = None,
) -> DeskPayment:
    """Take cash for the chosen invoices, after cancelling any live online order for them.

    A live order is cancelled at Midtrans first, outside any transaction (a network call must
    not hold row locks). When Midtrans says that order was already paid, nothing is taken: the
    invoices were just paid online (the online side records that settlement). When Midtrans
    cannot be reached the cash is taken all the same, and the order is named in the result.
    Raises ValidationError with a message for the cashier; nothing changes then.
    """
    invoice_ids = [int(pk) for pk in invoice_ids]
    not_cancelled = []
    for order in selectors.orders_live_for_invoices(invoice_ids=invoice_ids):
        try:
            cancelled = _order_cancel(order=order, actor=cashier)
        except ValidationError:
            raise ValidationError(
                _(
                    "These invoices were just paid online (order %(order)s): no cash was taken. "
                    "Look the customer up again."
                )
                % {"order": order.order_id},
                code="paid_online",
            ) from None
        if not cancelled:
            not_cancelled.append(order.order_id)
    with transaction.atomic(durable=True):
        payment = services.cash_payment_take(
            cashier=cashier,
            customer=customer,
            invoice_ids=invoice_ids,
            tendered=tendered,
            use_credit=use_credit,
            today=today,
        )
    return DeskPayment(payment=payment, orders_not_cancelled=not_cancelled)


# --- Shifts -------------------------------------------------------------------------------------


def shift_open(*, cashier, opening_float: int, today: datetime.date | None = None) -> CashierShift:
    """Open the cashier's drawer with `opening_float` Rupiah. One open shift per cashier."""
    if isinstance(opening_float, bool) or not isinstance(opening_float, int) or opening_float < 0:
        raise ValidationError({"opening_float": _("Enter the float in whole Rupiah, Rp 0 or more.")})
    with transaction.atomic(durable=True):
        # The user row serialises two opens by the same cashier (a double click); the partial
        # unique index would refuse the second anyway.
        get_user_model().objects.select_for_update().filter(pk=cashier.pk).first()
        if CashierShift.objects.filter(cashier=cashier, state=ShiftState.OPEN).exists():
            raise ValidationError(_("You already have an open shift: close it before opening another."))
        now = timezone.now()
        shift = CashierShift.objects.create(
            cashier=cashier,
            business_date=today or timezone.localdate(now),
            opened_at=now,
            opening_float=opening_float,
        )
        audit_record(
            actor=cashier,
            action="shift.open",
            obj=shift,
            changes={"opening_float": [None, opening_float]},
        )
    return shift


def shift_cash_taken(shift: CashierShift) -> int:
    total = Payment.objects.filter(shift=shift, channel=Channel.CASH).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def shift_cash_voided(shift: CashierShift) -> int:
    total = PaymentReversal.objects.filter(
        shift=shift, kind=ReversalKind.VOID, payment__channel=Channel.CASH
    ).aggregate(s=Sum("payment__amount"))["s"]
    return int(total or 0)


def shift_expected_cash(shift: CashierShift) -> int:
    """Float + cash kept by the shift's payments − cash given back by the voids recorded in it."""
    return shift.opening_float + shift_cash_taken(shift) - shift_cash_voided(shift)


def shift_close(*, cashier, counted_cash: int, note: str = "") -> CashierShift:
    """Close the cashier's open shift with the cash counted in the drawer.

    Records the expected cash and the count; the difference is theirs to explain (`note`).
    Payments waiting for the shift's lock are refused once it is closed.
    """
    if isinstance(counted_cash, bool) or not isinstance(counted_cash, int) or counted_cash < 0:
        raise ValidationError({"counted_cash": _("Enter the cash counted in whole Rupiah, Rp 0 or more.")})
    with transaction.atomic(durable=True):
        shift = (
            CashierShift.objects.select_for_update().filter(cashier=cashier, state=ShiftState.OPEN).first()
        )
        if shift is None:
            raise ValidationError(_("You have no open shift to close."))
        shift.expected_cash = shift_expected_cash(shift)
        shift.counted_cash = counted_cash
        shift.close_note = (note or "").strip()
        shift.state = ShiftState.CLOSED
        shift.closed_at = timezone.now()
        shift.save(update_fields=["expected_cash", "counted_cash", "close_note", "state", "closed_at"])
        audit_record(
            actor=cashier,
            action="shift.close",
            obj=shift,
            changes={
                "state": [ShiftState.OPEN, ShiftState.CLOSED],
                "expected_cash": [None, shift.expected_cash],
                "counted_cash": [None, counted_cash],
                "difference": [None, shift.difference],
            },
            reason=shift.close_note,
        )
    return shift


def can_see_all_shifts(user) -> bool:
    """Cashiers see their own shifts; those who take no payments (managers) or approve voids
    (supervisors, admins) see everyone's."""
    return user.has_perm("payments.view_cashiershift") and (
        not user.has_perm(TAKE_PAYMENT) or user.has_perm(APPROVE_VOID)
    )


def shifts_visible_to(user) -> QuerySet[CashierShift]:
    shifts = CashierShift.objects.select_related("cashier")
    return shifts if can_see_all_shifts(user) else shifts.filter(cashier=user)


@dataclass(frozen=True)
class ChannelTotal:
    channel: str
    label: str
    count: int
    amount: int


@dataclass(frozen=True)
class ShiftReport:
    shift: CashierShift
    payments: list[Payment]
    voids: list[PaymentReversal]
    cash_taken: int
    cash_voided: int
    credit_used: int
    by_channel: list[ChannelTotal]

    @property
    def expected_cash(self) -> int:
        if self.shift.expected_cash is not None:
            return self.shift.expected_cash
        return self.shift.opening_float + self.cash_taken - self.cash_voided

    @property
    def invoices_settled(self) -> int:
        return sum(len(payment.allocations.all()) for payment in self.payments)


def shift_report(*, shift: CashierShift) -> ShiftReport:
    """The shift's payments (with their invoices and any reversal), the voids recorded in it,
    and totals by channel. Four queries."""
    payments = list(
        Payment.objects.filter(shift=shift)
        .select_related("customer", "reversal")
        .prefetch_related("allocations__invoice__period")
        .order_by("paid_at", "pk")
    )
    voids = list(
        PaymentReversal.objects.filter(shift=shift, kind=ReversalKind.VOID)
        .select_related("payment__customer", "requested_by", "approved_by")
        .order_by("created_at", "pk")
    )
    cash_taken = sum(p.amount for p in payments if p.channel == Channel.CASH)
    cash_voided = sum(v.payment.amount for v in voids if v.payment.channel == Channel.CASH)
    credit_used = sum(p.credit_used for p in payments)
    labels = dict(Channel.choices)
    by_channel = [
        ChannelTotal(
            Channel.CASH,
            labels[Channel.CASH],
            sum(1 for p in payments if p.channel == Channel.CASH),
            cash_taken,
        ),
        ChannelTotal(
            Channel.CREDIT,
            labels[Channel.CREDIT],
            sum(1 for p in payments if p.credit_used),
            credit_used,
        ),
    ]
    return ShiftReport(
        shift=shift,
        payments=payments,
        voids=voids,
        cash_taken=cash_taken,
        cash_voided=cash_voided,
        credit_used=credit_used,
        by_channel=by_channel,
    )


@dataclass(frozen=True)
class DayShift:
    shift: CashierShift
    payments: int
    cash_taken: int
    cash_voided: int

    @property
    def expected_cash(self) -> int:
        if self.shift.expected_cash is not None:
            return self.shift.expected_cash
        return self.shift.opening_float + self.cash_taken - self.cash_voided

    @property
    def difference(self) -> int | None:
        return self.shift.difference


@dataclass(frozen=True)
class DayReport:
    date: datetime.date
    shifts: list[DayShift]

    @property
    def cash_taken(self) -> int:
        return sum(row.cash_taken for row in self.shifts)

    @property
    def cash_voided(self) -> int:
        return sum(row.cash_voided for row in self.shifts)

    @property
    def difference(self) -> int:
        return sum(row.difference or 0 for row in self.shifts)

    @property
    def open_shifts(self) -> int:
        return sum(1 for row in self.shifts if row.shift.state == ShiftState.OPEN)


def shifts_of_day(*, date: datetime.date, user) -> DayReport:
    """Every shift of a business date (those `user` may see), with cash taken, voided, expected,
    counted and the difference. Three queries whatever the number of shifts."""
    shifts = list(shifts_visible_to(user).filter(business_date=date).order_by("opened_at", "pk"))
    ids = [shift.pk for shift in shifts]
    taken = {
        row["shift"]: row
        for row in Payment.objects.filter(shift_id__in=ids)
        .values("shift")
        .annotate(n=Count("pk"), cash=Sum("amount", filter=Q(channel=Channel.CASH)))
        .order_by()
    }
    voided = dict(
        PaymentReversal.objects.filter(
            shift_id__in=ids, kind=ReversalKind.VOID, payment__channel=Channel.CASH
        )
        .values("shift")
        .annotate(cash=Sum("payment__amount"))
        .order_by()
        .values_list("shift", "cash")
    )
    rows = [
        DayShift(
            shift=shift,
            payments=taken.get(shift.pk, {}).get("n", 0),
            cash_taken=int(taken.get(shift.pk, {}).get("cash") or 0),
            cash_voided=int(voided.get(shift.pk) or 0),
        )
        for shift in shifts
    ]
    return DayReport(date=date, shifts=rows)


# --- Voids and reprints ---------------------------------------------------------------------------


def payment_void_refusal(*, payment: Payment, cashier, today: datetime.date | None = None) -> str | None:
    """Why `cashier` cannot void `payment` now, or None when they can ask for it."""
    today = today or timezone.localdate()
    if payment.channel != Channel.CASH:
        return _("Only cash payments taken at the counter can be voided here.")
    if hasattr(payment, "reversal"):
        return _("This payment is already reversed.")
    if payment.business_date != today:
        return _("A payment can be voided only on the day it was taken (%(date)s).") % {
            "date": date_format(payment.business_date, "DATE_FORMAT")
        }
    if not cashier.has_perm(TAKE_PAYMENT):
        return _("Only a cashier can void a payment: the cash goes back from their drawer.")
    if _moved_by_correction(payment):
        return MOVED_BY_CORRECTION
    return None


MOVED_BY_CORRECTION = _lazy(
    "This payment was moved to the customer's credit by an invoice correction, so it cannot be "
    "voided at the counter. It has been passed to a supervisor for review."
)


def _moved_by_correction(payment: Payment) -> bool:
    """A correction released this payment's allocation into credit (which may have settled the
    replacement already): voiding it would return the cash and leave the credit standing."""
    return CreditEntry.objects.filter(payment=payment, kind=CreditKind.INVOICE_CANCELLED).exists()


def payment_void(
    *,
    payment: Payment,
    cashier,
    approver,
    reason: str,
    today: datetime.date | None = None,
) -> PaymentReversal:
    """Void a cash payment of today at the counter, approved on the spot by a supervisor.

    The cash goes back from `cashier`'s open shift; the payment gets a reversing record, its
    invoices are outstanding again and any credit it used is restored (`payment_reverse`).
    `approver` is a user whose credentials were checked (a supervisor who typed their password
    at the counter); they need ``payments.approve_void`` and must not be the cashier.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the void.")})
    if approver is None or not approver.is_active or not approver.has_perm(APPROVE_VOID):
        raise ValidationError(_("The approver must be a supervisor who may approve voids."))
    if approver.pk == cashier.pk:
        raise ValidationError(_("A void needs another person's approval: you cannot approve your own."))
    today = today or timezone.localdate()
    moved = None
    with transaction.atomic(durable=True):
        shift = (
            CashierShift.objects.select_for_update().filter(cashier=cashier, state=ShiftState.OPEN).first()
        )
        if shift is None:
            raise ValidationError(_("Open a shift first: the cash goes back from your drawer."))
        services.customer_lock(payment.customer_id)
        locked = Payment.objects.select_related("reversal").get(pk=payment.pk)
        refusal = payment_void_refusal(payment=locked, cashier=cashier, today=today)
        if refusal is MOVED_BY_CORRECTION:
            # Refused, nothing moves: the cash and the credit stay. A supervisor reviews it; the
            # review item commits with this block, the refusal is raised after it.
            moved = ReviewItem.objects.create(
                kind=ReviewKind.VOID_REFUSED,
                customer_id=locked.customer_id,
                payment=locked,
                amount=locked.amount,
                detail=_("Void of %(receipt)s asked by %(cashier)s: %(reason)s")
                % {"receipt": locked.receipt_number, "cashier": cashier.get_username(), "reason": reason},
            )
            audit_record(actor=cashier, action="payment.void_refused", obj=locked, reason=reason)
        elif refusal:
            raise ValidationError(refusal)
        else:
            reversal = _void_locked(
                locked=locked, shift=shift, cashier=cashier, approver=approver, reason=reason, today=today
            )
    if moved is not None:
        raise ValidationError(str(MOVED_BY_CORRECTION))
    return reversal


def _void_locked(
    *, locked: Payment, shift: CashierShift, cashier, approver, reason: str, today
) -> PaymentReversal:
    reversal = services.payment_reverse(
        payment=locked,
        kind=ReversalKind.VOID,
        reason=reason,
        requested_by=cashier,
        approved_by=approver,
        shift=shift,
        today=today,
    )
    audit_record(
        actor=cashier,
        action="shift.void",
        obj=shift,
        changes={
            "receipt_number": [None, locked.receipt_number],
            "cash_returned": [None, locked.amount],
            "approved_by": [None, approver.get_username()],
        },
        reason=reason,
    )
    return reversal


def receipt_reprint(*, payment: Payment, actor) -> Payment:
    """Count one more printed copy of the receipt (marked SALINAN / COPY) and audit it."""
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(reprints=F("reprints") + 1)
        payment.refresh_from_db(fields=["reprints"])
        audit_record(
            actor=actor,
            action="payment.reprint",
            obj=payment,
            changes={"reprints": [payment.reprints - 1, payment.reprints]},
        )
    return payment
