"""Money received, and what it paid.

- `Payment`: money received once, through one channel, with its own receipt number. Never
  deleted and never edited: a void, a gateway deny or a refund is a `PaymentReversal`.
- `PaymentAllocation`: the part of a payment that settles one invoice, always the whole invoice.
  The database allows one live allocation per invoice: an invoice cannot be settled twice, however
  the payments race.
- `CreditEntry`: the customer's credit ledger (overpayments, credit used, refunds). The balance
  is the sum of the entries; nothing stores it.
- `OnlineOrder` with `OrderInvoice`: one attempt to pay invoices online (a Midtrans Snap order)
  and its own states; `GatewayNotification`: every notification exactly as received.
- `CashierShift`: a cashier's drawer from the float to the count.
- `ReviewItem`: what needs a person (amount mismatches, overpayments, reversals, unknown orders).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    CASH = "cash", _("Counter (cash)")
    ONLINE = "online", _("Online (Midtrans)")
    CREDIT = "credit", _("Customer credit")


# Receipt numbers are sequential per channel: KAS-00000001, ONL-00000001, KRD-00000001.
RECEIPT_PREFIX = {Channel.CASH: "KAS", Channel.ONLINE: "ONL", Channel.CREDIT: "KRD"}


class ReceiptSequence(models.Model):
    """The last receipt number per channel. Taken under a row lock inside the payment's
    transaction, so numbers have no gaps (a rolled-back payment gives its number back) and no
    duplicates."""

    channel = models.CharField(max_length=16, choices=Channel.choices, primary_key=True)
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.channel} {self.last_number}"


class ShiftState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CashierShift(models.Model):
    """A cashier's shift: the drawer opens with a float and closes with a count."""

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        on_delete=models.PROTECT,
        related_name="cashier_shifts",
    )
    business_date = models.DateField(_("date"))
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opening_float = models.BigIntegerField(_("opening float"))
    state = models.CharField(_("state"), max_length=8, choices=ShiftState.choices, default=ShiftState.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    expected_cash = models.BigIntegerField(_("expected cash"), null=True, blank=True)
    counted_cash = models.BigIntegerField(_("counted cash"), null=True, blank=True)
    close_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("cashier shift")
        verbose_name_plural = _("cashier shifts")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cashier"], condition=Q(state="open"), name="one_open_shift_per_cashier"
            ),
            models.CheckConstraint(condition=Q(opening_float__gte=0), name="shift_float_not_negative"),
            models.CheckConstraint(
                condition=Q(counted_cash__isnull=True) | Q(counted_cash__gte=0),
                name="shift_count_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["business_date"], name="shift_business_date_idx")]

    def __str__(self) -> str:
        return f"{self.cashier} {self.business_date:%Y-%m-%d}"

    @property
    def difference(self) -> int | None:
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return self.counted_cash - self.expected_cash


class OrderState(models.TextChoices):
    CREATED = "created", _("Created")  # committed here, Snap not asked yet (or it failed to answer)
    PENDING = "pending", _("Waiting for payment")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")
    REVERSED = "reversed", _("Reversed")
    REVIEW = "review", _("Held for review")


LIVE_ORDER_STATES = (OrderState.CREATED, OrderState.PENDING)


class OnlineOrder(models.Model):
    """One attempt to pay a set of invoices online (a Midtrans Snap order).

    `order_id` is never reused. At most one live order (created or pending) per set of invoices:
    a second click on Pay finds and reuses it.
    """

    order_id = models.CharField(_("order"), max_length=50, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="online_orders",
    )
    gross_amount = models.BigIntegerField(_("amount"))
    # The sorted invoice ids, so that "one live order per set of invoices" is a unique index.
    invoice_key = models.CharField(max_length=400)
    state = models.CharField(
        _("state"), max_length=16, choices=OrderState.choices, default=OrderState.CREATED
    )
    snap_token = models.CharField(max_length=100, blank=True)
    redirect_url = models.URLField(max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What Midtrans last told us (confirmed through the status API).
    transaction_status = models.CharField(max_length=32, blank=True)
    payment_type = models.CharField(max_length=32, blank=True)
    transaction_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        verbose_name = _("online order")
        verbose_name_plural = _("online orders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_key"],
                condition=Q(state__in=["created", "pending"]),
                name="one_live_order_per_invoice_set",
            ),
            models.CheckConstraint(condition=Q(gross_amount__gt=0), name="order_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="order_state_updated_idx"),
            models.Index(fields=["customer", "state"], name="order_customer_state_idx"),
        ]

    def __str__(self) -> str:
        return self.order_id

    @property
    def live(self) -> bool:
        return self.state in LIVE_ORDER_STATES


class OrderInvoice(models.Model):
    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, related_name="lines")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "invoice"], name="order_invoice_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_invoice_amount_positive"),
        ]
        indexes = [models.Index(fields=["invoice"], name="order_invoice_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.invoice_id}"


class Payment(models.Model):
    """Money received once (a counter payment, an online settlement, or credit used on its own).

    `amount` is the money received: cash kept (tendered − change) or the online gross amount.
    `amount + credit_used` = the allocations + `credit_created` (the part that paid nothing and
    became the customer's credit).
    """

    receipt_number = models.CharField(_("receipt number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.BigIntegerField(_("amount received"))
    credit_used = models.BigIntegerField(_("credit used"), default=0)
    credit_created = models.BigIntegerField(_("credit created"), default=0)
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    business_date = models.DateField(_("date"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments_received",
    )
    shift = models.ForeignKey(
        CashierShift, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    order = models.OneToOneField(
        OnlineOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    tendered = models.BigIntegerField(_("cash tendered"), null=True, blank=True)
    change = models.BigIntegerField(_("change"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reprints = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(condition=Q(credit_used__gte=0), name="payment_credit_used_not_negative"),
            models.CheckConstraint(
                condition=Q(credit_created__gte=0), name="payment_credit_created_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(channel="cash") | Q(shift__isnull=False), name="cash_payment_in_a_shift"
            ),
            models.CheckConstraint(
                condition=~Q(channel="online") | Q(order__isnull=False), name="online_payment_has_order"
            ),
        ]
        permissions = [
            ("take_payment", "Can take payments at the counter"),
            ("review_payments", "Can see and resolve payments that need review"),
        ]
        indexes = [
            models.Index(fields=["customer", "paid_at"], name="payment_customer_paid_idx"),
            models.Index(fields=["business_date", "channel"], name="payment_date_channel_idx"),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class ReversalKind(models.TextChoices):
    VOID = "void", _("Void at the counter")
    DENY = "deny", _("Denied by the gateway after settlement")
    REFUND = "refund", _("Refunded")
    CHARGEBACK = "chargeback", _("Chargeback")


class PaymentReversal(models.Model):
    """A payment taken back. The payment and its allocations stay; the allocations point here,
    and the invoices they settled are outstanding again."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal")
    kind = models.CharField(_("kind"), max_length=16, choices=ReversalKind.choices)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A void at the counter takes the cash out of this shift's drawer.
    shift = models.ForeignKey(
        CashierShift, on_delete=models.PROTECT, null=True, blank=True, related_name="reversals"
    )
    business_date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("reversed at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment reversal")
        verbose_name_plural = _("payment reversals")
        permissions = [("approve_void", "Can approve voids")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.payment_id}"


class PaymentAllocation(models.Model):
    """The part of a payment that settled one invoice (the whole invoice, with its denda).

    `amount` is all of it; `surcharge` the part of it that was denda (the rest is the invoice's
    total, the principal), kept apart for the collection reports.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="allocations")
    amount = models.BigIntegerField()
    surcharge = models.BigIntegerField(_("late fee"), default=0)
    # Set when the payment is reversed, or when a correction cancels the invoice (the money then
    # moves to the customer's credit).
    released_at = models.DateTimeField(null=True, blank=True)
    released_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(released_at__isnull=True), name="invoice_settled_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=Q(surcharge__gte=0, surcharge__lte=models.F("amount")),
                name="allocation_surcharge_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}"


class CreditKind(models.TextChoices):
    OVERPAYMENT = "overpayment", _("Overpayment")
    INVOICE_CANCELLED = "invoice_cancelled", _("Paid on a cancelled invoice")
    USED = "used", _("Used for a payment")
    RESERVED = "reserved", _("Held for an online order")
    RELEASED = "released", _("Released from an online order")
    RESTORED = "restored", _("Given back by a reversal")
    REVERSED = "reversed", _("Taken back by a reversal")
    REFUNDED = "refunded", _("Refunded")
    TRUE_UP = "true_up", _("True-up excess from an invoice")


class CreditEntry(models.Model):
    """One movement of the customer's credit (positive: the customer has more)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_entries", db_index=False
    )
    amount = models.BigIntegerField(_("amount"))
    kind = models.CharField(_("kind"), max_length=20, choices=CreditKind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="credit_entry_not_zero")]
        indexes = [models.Index(fields=["customer", "created_at"], name="credit_customer_idx")]
        permissions = [("refund_credit", "Can refund customer credit")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class NotificationOutcome(models.TextChoices):
    RECEIVED = "received", _("Received")
    APPLIED = "applied", _("Applied")
    NO_CHANGE = "no_change", _("Changed nothing")
    FORGED = "forged", _("Bad signature")
    UNKNOWN_ORDER = "unknown_order", _("Unknown order")
    MISMATCH = "mismatch", _("Amount differs")
    FAILED = "failed", _("Failed")


class GatewayNotification(models.Model):
    """A Midtrans notification exactly as it arrived, stored before anything else is done."""

    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    body = models.TextField()
    remote_addr = models.CharField(max_length=64, blank=True)
    # The order id as sent, even when it names no order of ours (or is garbage).
    sent_order_id = models.CharField(_("order"), max_length=100, blank=True)
    order = models.ForeignKey(
        OnlineOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    transaction_status = models.CharField(max_length=32, blank=True)
    signature_valid = models.BooleanField(null=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=NotificationOutcome.choices, default=NotificationOutcome.RECEIVED
    )
    detail = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("gateway notification")
        verbose_name_plural = _("gateway notifications")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["sent_order_id"], name="notification_order_idx")]

    def __str__(self) -> str:
        return f"{self.sent_order_id} {self.transaction_status}"


class ReviewKind(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the order")
    OVERPAYMENT = "overpayment", _("Overpayment")
    REVERSAL = "reversal", _("Payment reversed by the gateway")
    UNKNOWN_ORDER = "unknown_order", _("Notification for an unknown order")
    NEGATIVE_CREDIT = "negative_credit", _("Credit below zero after a reversal")
    VOID_REFUSED = "void_refused", _("Void refused: the payment was moved by a correction")
    JOB_FAILED = "job_failed", _("A money job failed on this item")
    STATUS_MISMATCH = "status_mismatch", _("Status API names another order or currency")


class ReviewItem(models.Model):
    """Something that needs a person: listed on the staff review page until resolved."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReviewKind.choices)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    notification = models.ForeignKey(
        GatewayNotification, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.BigIntegerField(_("amount"), default=0)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="review_open_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


class OneTimeCode(models.Model):
    """A code e-mailed to the address on file for a connection: the second way to prove it.

    Only a keyed hash of the code is stored. Short-lived, single-use, and dead after
    ``ONE_TIME_CODE_MAX_ATTEMPTS`` wrong tries.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["customer", "expires_at"], name="one_time_code_live_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.created_at:%Y-%m-%d %H:%M}"
