"""Receipts (kuitansi / bukti bayar): the data of one payment's receipt, its 80 mm thermal page and
its PDF, for every channel (cash at the counter, online, customer credit).

Who may see a receipt is decided here too (`receipt_for_viewer`): staff who read payments, the
customer whose connection it is, and the browser session that made the online order it paid
(not a signed-in account that has since lost the connection). Anyone else is told it does not
exist, as for a number that was never issued.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from payments import masking, selectors
from payments.models import Payment, PaymentAllocation
from pdam.pdf import render_pdf

VIEW_PAYMENT = "payments.view_payment"

# Stamps printed in both languages whatever the reader's: the same paper is shown to the customer,
# the cashier and an auditor.
COPY_STAMP = "SALINAN / COPY"
VOID_STAMP = "DIBATALKAN / VOID"


def receipt_masked(*, payment: Payment, user) -> bool:
    """Anyone but staff who read payments and the signed-in owner sees the masked name only."""
    return not (
        user.is_authenticated and (user.has_perm(VIEW_PAYMENT) or payment.customer.user_id == user.pk)
    )


def receipt_for_viewer(*, receipt_number: str, user, session_orders: list[str]) -> Payment:
    """The payment with that receipt number, if the viewer may see it (Payment.DoesNotExist)."""
    payment = selectors.payment_get(receipt_number=receipt_number)
    if user.is_authenticated and (user.has_perm(VIEW_PAYMENT) or payment.customer.user_id == user.pk):
        return payment
    in_session = payment.order_id is not None and payment.order.order_id in session_orders
    if in_session and not selectors.connection_lost_by(customer=payment.customer, user=user):
        return payment
    raise Payment.DoesNotExist


@dataclass(frozen=True)
class ReceiptLine:
    period: datetime.date
    invoice_number: str
    amount: int


@dataclass(frozen=True)
class Receipt:
    payment: Payment
    lines: list[ReceiptLine]
    paid_at_local: datetime.datetime
    cashier: str
    utility: dict

    @property
    def invoices_total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def voided(self) -> bool:
        return hasattr(self.payment, "reversal")

    masked: bool = False  # an anonymous viewer: the masked name, no address

    @property
    def customer_name(self) -> str:
        name = self.payment.customer.name
        return masking.mask_name(name) if self.masked else name

    @property
    def customer_address(self) -> str:
        return "" if self.masked else self.payment.customer.address

    @property
    def copy(self) -> bool:
        return self.payment.reprints > 0

    @property
    def stamps(self) -> list[str]:
        stamps = [VOID_STAMP] if self.voided else []
        if self.copy:
            stamps.append(f"{COPY_STAMP} #{self.payment.reprints}")
        return stamps

    @property
    def pdf_height_mm(self) -> int:
        """The roll is cut after the last line: the page is as long as the receipt."""
        return 125 + 9 * len(self.lines) + 12 * len(self.stamps) + (12 if self.voided else 0)


def receipt_data(*, payment: Payment, masked: bool = False) -> Receipt:
    """Everything the receipt prints. Use a payment from `selectors.payment_get` (its allocations
    prefetched): the lines are every invoice it paid, even after a void released them."""
    allocations: list[PaymentAllocation] = sorted(
        payment.allocations.all(), key=lambda a: (a.invoice.period.month, a.invoice.number)
    )
    lines = [
        ReceiptLine(period=a.invoice.period.month, invoice_number=a.invoice.number, amount=a.amount)
        for a in allocations
    ]
    received_by = payment.received_by
    return Receipt(
        payment=payment,
        lines=lines,
        paid_at_local=timezone.localtime(payment.paid_at),
        cashier=(received_by.get_full_name() or received_by.get_username()) if received_by else "",
        utility={
            "name": settings.UTILITY_NAME,
            "short_name": settings.UTILITY_SHORT_NAME,
            "address": settings.UTILITY_ADDRESS,
            "phone": settings.UTILITY_PHONE,
        },
        masked=masked,
    )


def receipt_html(*, receipt: Receipt, for_pdf: bool = False) -> str:
    return render_to_string("pdf/receipt.html", {"receipt": receipt, "for_pdf": for_pdf})


def receipt_pdf(*, payment: Payment, masked: bool = False) -> bytes:
    """The receipt on an 80 mm roll as a PDF (rendered on demand: its stamps change)."""
    return render_pdf(receipt_html(receipt=receipt_data(payment=payment, masked=masked), for_pdf=True))
