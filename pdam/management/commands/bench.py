"""`make bench`: every benchmark of the project, printed as one `name=value` line per figure.

It runs on a throw-away database created next to the one in DATABASE_URL (``test_<name>``), so
it never touches real data. BENCH_CUSTOMERS (default 1,000,000) scales it down for a quick run.
"""

import os
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.module_loading import import_string

# Each benchmark takes `emit(name, value)`; later issues append theirs, in app order.
BENCHMARKS = [
    "customers.bench.bench_search",
    "meters.bench.bench_reading_import",
    "billing.bench.bench_bill_run",
    "billing.bench_preview.bench_bill_run_preview",
    "billing.bench_documents.bench_documents",
    "payments.bench.bench_cashier_lookup",
    "payments.bench_notifications.bench_notifications",
    "arrears.bench.bench_late_fees",
    "pdam.messaging.bench.bench_messages",
]


class Command(BaseCommand):
    help = "Run the benchmarks on PostgreSQL and print name=value figures."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=int(os.environ.get("BENCH_CUSTOMERS", "1000000")),
            help="Customers to seed (default BENCH_CUSTOMERS or 1000000).",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
        parser.add_argument(
            "--only",
            default="",
            help="Run only the benchmarks whose path contains this (e.g. notifications).",
        )

    def handle(self, *args, customers: int, keep: bool, only: str, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Benchmarks run on PostgreSQL: set DATABASE_URL=postgres://…")
        creation = connection.creation
        old_name = connection.settings_dict["NAME"]
        # Its own name, so that it never clobbers the test suite's kept database.
        connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench"
        creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        # The bill run's worker processes measure billing alone; the outbox has its own figures.
        os.environ["MESSAGING_INVOICE_NOTICES"] = "0"
        try:
            self.stdout.write(f"bench_database={connection.settings_dict['NAME']}")
            started = time.perf_counter()
            call_command(
                "seed_demo",
                customers=customers,
                quiet=True,
                demo_logins_in_production=True,
                stdout=self.stdout,
            )
            self.stdout.write(f"seed_total_seconds={time.perf_counter() - started:.1f}")
            for path in BENCHMARKS:
                if only in path:
                    import_string(path)(emit=self._emit)
        finally:
            if not keep:
                creation.destroy_test_db(old_name, verbosity=0)

    def _emit(self, name: str, value) -> None:
        self.stdout.write(f"{name}={value}")
        self.stdout.flush()
