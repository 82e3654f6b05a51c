"""Telling customers that their payment arrived, through the outbox (cash and online)."""

from django.conf import settings
from django.urls import reverse

from customers.contact import customer_recipient
from payments.models import Payment
from pdam.messaging.models import MessageKind
from pdam.messaging.services import message_queue


def payment_received_notice(payment: Payment) -> None:
    """Queue the receipt message of `payment` (once per receipt number). Call inside the
    transaction that records the payment: the message is queued with it or not at all."""
    customer = payment.customer
    recipient = customer_recipient(customer, kind=MessageKind.INFORMATIONAL)
    if recipient is None:
        return
    base = settings.PORTAL_URL.rstrip("/")
    message_queue(
        recipient=recipient,
        template="payment_received",
        key=f"payment:{payment.receipt_number}:received",
        kind=MessageKind.INFORMATIONAL,
        language=settings.LANGUAGE_CODE,
        context={
            "name": customer.name,
            "customer_number": customer.number,
            "receipt_number": payment.receipt_number,
            "amount": payment.amount,
            "receipt_url": base + reverse("payments:receipt", args=[payment.receipt_number]),
        },
    )
