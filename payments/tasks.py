"""Celery tasks of payments: thin, idempotent."""

from celery import shared_task
from django.conf import settings
from django.db.models import Sum

from payments import online, services
from payments.models import CreditEntry


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def online_orders_sweep() -> dict:
    """Beat: ask Midtrans about stale pending orders; expire those whose page expired silently."""
    return online.orders_sweep()


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def credits_apply() -> int:
    """Beat: customers with credit get their oldest invoices settled as far as the credit covers."""
    customers = (
        CreditEntry.objects.values("customer_id").annotate(balance=Sum("amount")).filter(balance__gt=0)
    )
    settled = 0
    for row in customers.iterator():
        if services.credit_apply(customer_id=row["customer_id"]) is not None:
            settled += 1
    return settled


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def notifications_purge() -> int:
    """Beat: stored Midtrans notifications past NOTIFICATION_RETENTION_DAYS go, unless tied to money."""
    return online.notifications_purge(older_than_days=settings.NOTIFICATION_RETENTION_DAYS)
