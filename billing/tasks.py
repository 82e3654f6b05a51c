"""Celery tasks of billing: thin, idempotent, taking ids."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from billing import bill_run, notices


@shared_task(acks_late=True, time_limit=20 * 60, soft_time_limit=18 * 60)
def bill_run_chunk(chunk_id: int) -> bool:
    """Bill one route. A chunk another worker holds, or one already done, is left alone."""
    return bill_run.bill_run_chunk_process(chunk_id=chunk_id)


@shared_task(time_limit=5 * 60)
def bill_run_scheduled() -> str:
    """Beat: on BILL_RUN_DAY start this month's bill run if nobody has."""
    today = timezone.localdate()
    if not settings.BILL_RUN_DAY or today.day != settings.BILL_RUN_DAY:
        return "not today"
    return bill_run.bill_run_start_scheduled(month=today.replace(day=1))


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=28 * 60)
def invoice_notices_queue(bill_run_id: int) -> int:
    """After a run: queue the "new invoice" messages (idempotent: one per invoice)."""
    return notices.invoice_notices_queue(bill_run_id=bill_run_id)
