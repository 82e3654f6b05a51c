"""Celery tasks of arrears: thin and idempotent."""

from celery import shared_task
from django.utils import timezone

from arrears import services


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=28 * 60)
def late_fees_assess_nightly() -> dict:
    """Beat: charge today's denda steps. Running it twice (or twice at once) charges nothing twice."""
    result = services.late_fees_assess(on=timezone.localdate())
    return {"invoices": result.invoices_read, "fees": result.fees_charged, "amount": result.amount_charged}
