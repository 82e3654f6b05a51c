"""Benchmark of the outbox, run by `make bench`: queueing many messages once each, and sending
them through the local provider with two worker processes."""

import os
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection, connections
from django.test.utils import override_settings
from django.utils import timezone

from pdam.messaging.models import Message, MessageState
from pdam.messaging.services import Draft, Recipient, messages_queue_many

WORKERS = 2
SEND_SECONDS = 20.0


def _drafts(count: int, start: int = 0):
    for n in range(start, start + count):
        yield Draft(
            recipient=Recipient(channel="whatsapp", address=f"62812{n:08d}", name=f"BENCH {n}"),
            template="payment_received",
            key=f"bench:payment:{n}",
            context={
                "name": f"Pelanggan {n}",
                "customer_number": f"99{n:08d}",
                "receipt_number": f"BENCH-{n:08d}",
                "amount": 47_300 + n % 1000,
                "receipt_url": f"{settings.PORTAL_URL}/payments/receipts/BENCH-{n:08d}/",
            },
        )


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def bench_messages(*, emit) -> None:
    count = int(os.environ.get("BENCH_MESSAGES", "100000"))
    # Queue only: no channel is on while queueing, so the eager "send on commit" finds nothing.
    off = {"email": "", "whatsapp": "", "sms": ""}
    with override_settings(MESSAGING_PROVIDERS=off):
        started = time.perf_counter()
        queued = messages_queue_many(drafts=_drafts(count))
        emit("messages_queued", queued)
        emit("messages_queue_seconds", f"{time.perf_counter() - started:.1f}")
        # The same keys again (a task run twice) must queue nothing.
        again = messages_queue_many(drafts=_drafts(min(count, 10_000)))
    rows = Message.objects.filter(key__startswith="bench:").count()

    connections.close_all()
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "1",
        "MESSAGING_WHATSAPP_PROVIDER": "local",
        "MESSAGING_WHATSAPP_PER_MINUTE": "0",
    }
    window_start = timezone.now()
    started = time.perf_counter()
    workers = [
        subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "manage.py", "messages_work", "--seconds", str(SEND_SECONDS)],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.wait()
    seconds = time.perf_counter() - started
    # Whatever the workers sent in their window (the seed's own leftovers come first in the queue).
    sent_count = Message.objects.filter(state=MessageState.SENT, sent_at__gte=window_start).count()
    # Sent twice would show as a second attempt of a message that never failed.
    twice = Message.objects.filter(
        key__startswith="bench:", state=MessageState.SENT, attempts__gt=1, last_error=""
    ).count()
    emit("messages_sent", sent_count)
    emit("messages_send_workers", WORKERS)
    emit("messages_sent_per_second", f"{sent_count / seconds:.0f}" if seconds else "n/a")
    emit("messages_duplicated", (rows - count) + again + twice)
