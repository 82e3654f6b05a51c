"""Celery tasks of payments: thin, idempotent."""

from celery import shared_task
from django.conf import settings

from payments import online, services


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def online_orders_sweep() -> dict:
    """Beat: ask Midtrans about stale pending orders; expire those whose page expired silently."""
    return online.orders_sweep()


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def credits_apply() -> int:
    """Beat: customers with credit get their oldest invoices settled as far as the credit covers."""
    return services.credits_apply_all()


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def notifications_purge() -> int:
    """Beat: stored Midtrans notifications past NOTIFICATION_RETENTION_DAYS go, unless tied to money."""
    return online.notifications_purge(older_than_days=settings.NOTIFICATION_RETENTION_DAYS)
