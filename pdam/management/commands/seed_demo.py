"""Build the demo utility: every app seeds its own part, left to right along the app direction."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from arrears.demo import seed_late_fee_rules
from billing.demo import seed_invoices, seed_tariffs
from billing.models import BillRun, BillRunState
from billing.notices import invoice_notices_queue
from customers.demo import seed_registry
from customers.models import Customer, CustomerStatus
from meters.demo import seed_meters
from pdam.roles import Role, roles_sync, user_create

DEMO_PASSWORD = "pdam-demo-2026"  # noqa: S105 - documented demo logins, never production

DEMO_USERS = [
    ("admin", Role.ADMIN, "Admin", "Sistem"),
    ("supervisor", Role.SUPERVISOR, "Rahmawati", "Supervisor"),
    ("manager", Role.MANAGER, "Hendra", "Manajer"),
    ("kasir", Role.CASHIER, "Nurul", "Kasir"),
    ("cs", Role.CS, "Dewi", "Pelayanan"),
    ("pelanggan", Role.CUSTOMER, "Budi", "Santoso"),
    ("pelanggan2", Role.CUSTOMER, "Siti", "Rahmah"),
]


class Command(BaseCommand):
    help = "Create a believable fictional utility: zones, routes, tariff classes, customers, users."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=300, help="How many customers (default 300).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for repeatable data.")
        parser.add_argument("--quiet", action="store_true", help="Print only key=value figures.")
        parser.add_argument(
            "--demo-logins-in-production",
            action="store_true",
            help="Create the demo logins (public password) even though DEBUG is off.",
        )

    def handle(
        self,
        *args,
        customers: int,
        seed: int,
        quiet: bool,
        demo_logins_in_production: bool = False,
        **options,
    ) -> None:
        if not settings.DEBUG and not demo_logins_in_production:
            raise CommandError(
                "DEBUG is off: seed_demo would create demo logins whose password is public. "
                "Create a real administrator with `python manage.py createsuperuser` instead, or pass "
                "--demo-logins-in-production if this really is a throw-away demo server."
            )
        if customers < 1:
            self.stderr.write("--customers must be at least 1")
            raise SystemExit(2)
        roles_sync()
        started = time.perf_counter()
        created = seed_registry(customers=customers, seed=seed)
        seconds = time.perf_counter() - started
        if created:
            self.stdout.write(f"seed_customers={created}")
            self.stdout.write(f"seed_seconds={seconds:.1f}")
        elif not quiet:
            self.stdout.write("The registry already has customers; left as it is.")
        tariffs = seed_tariffs(effective_from=timezone.localdate().replace(day=1))
        if tariffs:
            self.stdout.write(f"seed_tariff_versions={tariffs}")
        started = time.perf_counter()
        readings = seed_meters(stdout=None if quiet else self.stdout)
        if readings:
            self.stdout.write(f"seed_readings={readings}")
            self.stdout.write(f"seed_meters_seconds={time.perf_counter() - started:.1f}")
        # A year of history is billed at once: nobody is told of last year's bills.
        with override_settings(MESSAGING_INVOICE_NOTICES=False):
            invoices = seed_invoices(stdout=None if quiet else self.stdout)
        if invoices:
            self.stdout.write(f"seed_invoices={invoices}")
            self.stdout.write(f"seed_messages={self._latest_invoice_messages()}")
        rules, fees = seed_late_fee_rules(today=timezone.localdate())
        if rules:
            self.stdout.write(f"seed_late_fee_rules={rules}")
        if fees:
            self.stdout.write(f"seed_late_fees={fees}")
        self._users()
        if not quiet:
            self._print_logins()

    def _latest_invoice_messages(self) -> int:
        """The latest bill run's "new invoice" messages, so that the outbox shows them. In
        development e-mail goes to the local provider too, not hundreds of e-mails to the console."""
        latest = BillRun.objects.filter(state=BillRunState.DONE).order_by("-period__month").first()
        if latest is None:
            return 0
        # The latest billed month's runs: its main run and any supplementary ones (the estimates
        # billed when the period was closed).
        runs = BillRun.objects.filter(state=BillRunState.DONE, period_id=latest.period_id).order_by("pk")
        providers = settings.MESSAGING_PROVIDERS
        if settings.DEBUG:
            providers = {**providers, "email": "local"}
        with override_settings(MESSAGING_PROVIDERS=providers):
            return sum(invoice_notices_queue(bill_run_id=run.pk) for run in runs)

    @transaction.atomic
    def _users(self) -> None:
        users = get_user_model().objects
        for username, role, first, last in DEMO_USERS:
            if users.filter(username=username).exists():
                continue
            user = user_create(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.pdam.example",
            )
            if role is Role.CUSTOMER:
                # Budi holds two connections (his house and his shop); Siti holds one.
                count = 2 if username == "pelanggan" else 1
                free = Customer.objects.filter(user=None, status=CustomerStatus.ACTIVE).order_by("number")
                ids = list(free.values_list("id", flat=True)[:count])
                Customer.objects.filter(id__in=ids).update(user=user)

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, _first, _last in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role.label}")
        # Dev-only: a connection without an account, to try registration with its code.
        free = Customer.objects.filter(user=None, status=CustomerStatus.ACTIVE).order_by("number").first()
        if free is not None:
            self.stdout.write(
                f"To register a customer account: number {free.number}, "
                f"registration code {free.registration_code_grouped}"
            )
