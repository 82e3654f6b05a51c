"""Send the outbox from this process until it is empty (or for --seconds): a worker without
Celery, used by the benchmark and handy on a server to drain a backlog."""

import time

from django.core.management.base import BaseCommand

from pdam.messaging.models import MessageChannel
from pdam.messaging.providers import channel_available
from pdam.messaging.services import SendResult, messages_send_batch


class Command(BaseCommand):
    help = "Send queued messages in claimed batches until none is due (or --seconds have passed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seconds", type=float, default=0, help="Stop after this long (0: when empty).")

    def handle(self, *args, seconds: float, **options) -> None:
        deadline = time.monotonic() + seconds if seconds else None
        total = SendResult()
        channels = [channel for channel in MessageChannel.values if channel_available(channel)]
        while deadline is None or time.monotonic() < deadline:
            claimed = 0
            for channel in channels:
                batch = messages_send_batch(channel=channel)
                total.add(batch)
                claimed += batch.sent + batch.retried + batch.failed
            if not claimed:
                break
        self.stdout.write(f"sent={total.sent} retried={total.retried} failed={total.failed}")
