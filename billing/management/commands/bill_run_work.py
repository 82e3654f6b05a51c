"""Work through the open chunks of a bill run in this process (without Celery, or beside it)."""

from django.core.management.base import BaseCommand

from billing.bill_run import bill_run_chunk_process
from billing.models import BillRunChunk, ChunkState


class Command(BaseCommand):
    help = "Process the pending chunks of a bill run; several of these may run at once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("bill_run", type=int, help="The bill run's id.")

    def handle(self, *args, bill_run: int, **options) -> None:
        done = 0
        while True:
            pending = list(
                BillRunChunk.objects.filter(bill_run_id=bill_run, state=ChunkState.PENDING)
                .order_by("?")
                .values_list("pk", flat=True)[:20]
            )
            if not pending:
                break
            done += sum(bill_run_chunk_process(chunk_id=pk) for pk in pending)
        self.stdout.write(f"chunks={done}")
