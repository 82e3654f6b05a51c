"""`make bench`: Midtrans notifications per second, over HTTP, with nothing lost or applied twice.

Two gunicorn servers on the benchmark database: the portal, and the Midtrans simulator (the
portal asks it for the status of every notification, as it asks Midtrans). Pending orders are
made in bulk and settled in the simulator without a notification; then the signed
notifications (plus replays of some of them) are posted to the portal concurrently.
Afterwards the database is checked: every order paid once, no replay applied.
"""

import concurrent.futures
import datetime
import json
import random
import time

import requests
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from customers.models import Customer
from payments.models import (
    CreditEntry,
    CreditKind,
    OnlineOrder,
    OrderInvoice,
    OrderState,
    Payment,
    PaymentAllocation,
)
from pdam.bench_server import gunicorn

METHODS = ["bca_va", "qris", "gopay", "indomaret"]


def _orders(count: int) -> list[OnlineOrder]:
    """`count` customers' oldest outstanding invoice, each in a pending order (as if Snap had
    answered: the Snap round trip is not what this benchmark measures)."""
    customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[: count * 2])
    rows = (
        Invoice.objects.filter(customer_id__in=customer_ids, status=InvoiceStatus.ISSUED)
        .exclude(allocations__released_at__isnull=True, allocations__isnull=False)
        .order_by("customer_id", "period__month")
        .values_list("customer_id", "id", "total")
    )
    first: dict[int, tuple[int, int]] = {}
    for customer_id, invoice_id, total in rows.iterator():
        first.setdefault(customer_id, (invoice_id, total))
    numbers = dict(Customer.objects.filter(pk__in=list(first)).values_list("pk", "number"))
    now = timezone.now()
    orders = OnlineOrder.objects.bulk_create(
        OnlineOrder(
            order_id=f"PDAM-{numbers[customer_id]}-BENCH-{i:05d}",
            customer_id=customer_id,
            gross_amount=total,
            invoice_key=str(invoice_id),
            state=OrderState.PENDING,
            expires_at=now + datetime.timedelta(days=1),
        )
        for i, (customer_id, (invoice_id, total)) in enumerate(list(first.items())[:count])
    )
    OrderInvoice.objects.bulk_create(
        OrderInvoice(order=order, invoice_id=int(order.invoice_key), amount=order.gross_amount)
        for order in orders
    )
    return orders


def _settle_in_simulator(sim_url: str, orders: list[OnlineOrder]) -> list[bytes]:
    """Settle each order in the simulator; return the notification bodies Midtrans would send."""
    bodies = []
    for start in range(0, len(orders), 2000):
        batch = orders[start : start + 2000]
        answer = requests.post(
            f"{sim_url}/midtrans-sim/_sim/bulk-settle",
            json={
                "transactions": [
                    {
                        "order_id": o.order_id,
                        "gross_amount": o.gross_amount,
                        "method": METHODS[o.pk % len(METHODS)],
                    }
                    for o in batch
                ]
            },
            timeout=300,
        )
        answer.raise_for_status()
        bodies += [json.dumps(payload).encode() for payload in answer.json()["notifications"]]
    return bodies


def bench_notifications(*, emit, count: int = 10_000, replays: int = 1_000, clients: int = 16) -> None:
    if connection.vendor != "postgresql":
        return
    rng = random.Random(11)  # noqa: S311 - which replays, not a secret
    # DEBUG on: the simulator exists only with DEBUG (and the portal talks to it only then).
    with gunicorn(workers=1, threads=8, env={"DEBUG": "1"}) as sim_url:
        settings.MIDTRANS_SIMULATOR_URL = f"{sim_url}/midtrans-sim"
        with gunicorn(
            workers=2, threads=4, env={"DEBUG": "1", "MIDTRANS_SIMULATOR_URL": f"{sim_url}/midtrans-sim"}
        ) as portal:
            started = time.perf_counter()
            orders = _orders(count)
            bodies = _settle_in_simulator(sim_url, orders)
            emit("notifications_setup_seconds", f"{time.perf_counter() - started:.1f}")
            posts = bodies + [rng.choice(bodies) for _ in range(replays)]
            rng.shuffle(posts)
            url = f"{portal}/payments/midtrans/notification/"
            answers: dict[int, int] = {}

            def post_all(chunk: list[bytes]) -> dict[int, int]:
                session, seen = requests.Session(), {}
                for body in chunk:
                    status = session.post(
                        url, data=body, headers={"Content-Type": "application/json"}, timeout=60
                    ).status_code
                    seen[status] = seen.get(status, 0) + 1
                return seen

            chunks = [posts[i::clients] for i in range(clients)]
            started = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                for seen in pool.map(post_all, chunks):
                    for status, n in seen.items():
                        answers[status] = answers.get(status, 0) + n
            seconds = time.perf_counter() - started
    order_ids = [order.pk for order in orders]
    paid = OnlineOrder.objects.filter(pk__in=order_ids, state=OrderState.PAID).count()
    payments = Payment.objects.filter(order_id__in=order_ids).count()
    allocations = PaymentAllocation.objects.filter(payment__order_id__in=order_ids, released_at=None)
    doubled_invoices = allocations.values("invoice_id").annotate(n=Count("id")).filter(n__gt=1).count()
    credited = CreditEntry.objects.filter(order_id__in=order_ids, kind=CreditKind.OVERPAYMENT).count()
    emit("notifications_posted", len(posts))
    emit("notifications_answered_200", answers.get(200, 0))
    emit("notifications_seconds", f"{seconds:.1f}")
    emit("notifications_per_second", f"{len(posts) / seconds:.0f}")
    emit("notifications_lost", len(orders) - paid)
    emit("notifications_double_applied", (payments - paid) + doubled_invoices + credited)
