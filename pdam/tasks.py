"""Celery tasks of the kernel: thin, idempotent (every message is claimed by one worker)."""

from celery import shared_task


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def messages_send() -> dict:
    """Send what the outbox holds that is due; queued on commit after messages are queued, and
    by beat every minute (retries, rate-limited leftovers, messages of a dead worker)."""
    from pdam.messaging.services import messages_send as send

    result = send()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}
