"""Telling customers about their new invoices through the outbox, after a bill run.

Queued by a task once the run is done (never inside the run's time), in chunks, one message per
invoice at most (the key), to whom the customer's contact preferences allow.
"""

from django.conf import settings

from billing.documents import payment_url
from billing.models import Invoice, InvoiceStatus
from customers.contact import customer_recipient
from pdam.messaging.models import MessageKind
from pdam.messaging.services import Draft, messages_queue_many

CHUNK = 2000


def invoice_notice_draft(invoice: Invoice) -> Draft | None:
    customer = invoice.customer
    recipient = customer_recipient(customer, kind=MessageKind.INFORMATIONAL)
    if recipient is None:
        return None
    return Draft(
        recipient=recipient,
        template="invoice_issued",
        key=f"invoice:{invoice.number}:issued",
        kind=MessageKind.INFORMATIONAL,
        language=settings.LANGUAGE_CODE,
        context={
            "name": customer.name,
            "customer_number": customer.number,
            "invoice_number": invoice.number,
            "period_month": invoice.period.month.isoformat(),
            "amount": invoice.total,
            "due_date": invoice.due_date.isoformat(),
            "pay_url": payment_url(customer_number=customer.number),
        },
    )


def invoice_notices_queue(*, bill_run_id: int) -> int:
    """Queue the "new invoice" message of every invoice a run issued. Returns how many were new;
    running it again queues nothing twice."""
    invoices = (
        Invoice.objects.filter(bill_run_id=bill_run_id, status=InvoiceStatus.ISSUED)
        .select_related("customer", "period")
        .order_by("pk")
    )
    queued, drafts = 0, []
    for invoice in invoices.iterator(chunk_size=CHUNK):
        draft = invoice_notice_draft(invoice)
        if draft is not None:
            drafts.append(draft)
        if len(drafts) >= CHUNK:
            queued += messages_queue_many(drafts=drafts)
            drafts = []
    if drafts:
        queued += messages_queue_many(drafts=drafts)
    return queued
