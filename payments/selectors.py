"""Reads about money received: what a customer owes, what is paid, what credit they have."""

from django.db.models import Exists, OuterRef, QuerySet, Sum

from billing.models import Invoice, InvoiceStatus
from customers.models import Customer
from payments import extensions
from payments.models import (
    LIVE_ORDER_STATES,
    CashierShift,
    CreditEntry,
    OnlineOrder,
    OrderInvoice,
    Payment,
    PaymentAllocation,
    ReviewItem,
    ShiftState,
)
from pdam.audit import audit_entries_for


def _live_allocation() -> Exists:
    return Exists(PaymentAllocation.objects.filter(invoice=OuterRef("pk"), released_at__isnull=True))


def invoices_outstanding(*, customer: Customer | int) -> QuerySet[Invoice]:
    """Issued invoices that no live payment settles, oldest first (the order they must be paid in)."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    return invoices_outstanding_of(customer_ids=[customer_id])


def invoices_outstanding_of(*, customer_ids: list[int]) -> QuerySet[Invoice]:
    """`invoices_outstanding` for several customers in one query (a landlord's connections)."""
    return (
        # A Rp 0 invoice (a true-up carried to credit) owes nothing: it is never outstanding.
        Invoice.objects.filter(customer_id__in=customer_ids, status=InvoiceStatus.ISSUED, total__gt=0)
        .filter(~_live_allocation())
        .select_related("period")
        .order_by("period__month", "number")
    )


def invoices_outstanding_among(*, invoice_ids: list[int]) -> list[int]:
    """Which of these invoices are issued and settled by no live payment (ids)."""
    return list(
        Invoice.objects.filter(pk__in=invoice_ids, status=InvoiceStatus.ISSUED)
        .filter(~_live_allocation())
        .values_list("pk", flat=True)
    )


def invoices_paid(*, customer: Customer, limit: int = 24) -> list[Invoice]:
    """Invoices settled by a live payment, newest first, each with `.allocation` (and its payment)."""
    allocations = (
        PaymentAllocation.objects.filter(invoice__customer=customer, released_at__isnull=True)
        .select_related("invoice__period", "payment")
        .order_by("-invoice__period__month", "-invoice__number")[:limit]
    )
    invoices = []
    for allocation in allocations:
        invoice = allocation.invoice
        invoice.allocation = allocation
        invoices.append(invoice)
    return invoices


def invoice_amount_due(invoice: Invoice) -> int:
    """What settles `invoice`: its total plus what later apps add to it (denda)."""
    return invoice.total + extensions.surcharges(invoice)


def invoices_surcharges(invoices: list[Invoice]) -> dict[int, int]:
    """{invoice id: what later apps add to it (denda)} for outstanding invoices, in one go: what
    settles each is its total plus this."""
    return extensions.surcharges_of(invoices)


def invoice_paid_amount(invoice: Invoice) -> int:
    """Rupiah that live payments put on `invoice` (billing's paid-amount provider)."""
    paid = PaymentAllocation.objects.filter(invoice=invoice, released_at__isnull=True).aggregate(
        s=Sum("amount")
    )
    return int(paid["s"] or 0)


def invoice_is_settled(invoice: Invoice) -> bool:
    return PaymentAllocation.objects.filter(invoice=invoice, released_at__isnull=True).exists()


def credit_balance(*, customer: Customer | int) -> int:
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    total = CreditEntry.objects.filter(customer_id=customer_id).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def credit_entries(*, customer: Customer, limit: int = 50) -> QuerySet[CreditEntry]:
    return (
        CreditEntry.objects.filter(customer=customer)
        .select_related("payment", "order")
        .order_by("-created_at", "-pk")[:limit]
    )


def payments_for_customer(*, customer: Customer, limit: int = 50) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(customer=customer)
        .select_related("reversal", "order", "received_by")
        .prefetch_related("allocations__invoice__period")
        .order_by("-paid_at", "-pk")[:limit]
    )


def payment_get(*, receipt_number: str) -> Payment:
    return (
        Payment.objects.select_related("customer__route__zone", "customer__tariff_class", "reversal", "order")
        .select_related("received_by", "shift")
        .prefetch_related("allocations__invoice__period")
        .get(receipt_number=receipt_number)
    )


def orders_live_for_invoices(*, invoice_ids: list[int]) -> QuerySet[OnlineOrder]:
    """Live online orders (created or waiting for payment) that cover any of these invoices."""
    order_ids = OrderInvoice.objects.filter(invoice_id__in=invoice_ids).values("order_id")
    return OnlineOrder.objects.filter(pk__in=order_ids, state__in=LIVE_ORDER_STATES).order_by("created_at")


def shift_open_for(*, cashier) -> CashierShift | None:
    return CashierShift.objects.filter(cashier=cashier, state=ShiftState.OPEN).first()


def review_items_open() -> QuerySet[ReviewItem]:
    return (
        ReviewItem.objects.filter(resolved_at__isnull=True)
        .select_related("customer", "order", "payment", "notification")
        .order_by("created_at")
    )


def connection_lost_by(*, customer: Customer, user) -> bool:
    """`user` held `customer`'s connection in the portal and holds it no longer (it was taken out
    of their account, or they took it out themselves). Their old orders and receipts for it are
    then not theirs any more, whatever their browser session remembers."""
    if not user.is_authenticated or customer.user_id == user.pk:
        return False
    return (
        audit_entries_for(customer)
        .filter(action="customer.portal_unlink", changes__user__0=user.get_username())
        .exists()
    )


def connection_of(*, user, number: str) -> Customer | None:
    """The connection `number` when it is in `user`'s account, else None."""
    return Customer.objects.filter(number=number, user=user).first()
