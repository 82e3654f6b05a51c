"""Benchmark of the cashier desk lookup (`make bench`): the desk page of a customer with a year of
invoices, under concurrent load, through gunicorn on the seeded database.

The seed gives readings and invoices to the first 20,000 customers only; here every active or
sealed customer gets an issued invoice for each of the last 12 billed months (one INSERT … SELECT,
no lines: the desk does not show them), and most customers have paid all but their last one to
three months (one payment each, allocated by SQL). One customer in ten has paid nothing: twelve
invoices outstanding on the page.

The lookup is measured as a cashier sees it: logged in (a session row made here), `GET
/payments/desk/?q=<number>` for random customers, CONCURRENCY clients at once for DURATION
seconds against gunicorn with WORKERS processes and DEBUG off.
"""

import http.client
import random
import secrets
import statistics
import threading
import time
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection, connections
from django.utils import timezone

from customers.models import Customer
from meters.models import Period
from meters.selectors import month_add
from meters.services import period_get_or_open
from payments.models import CashierShift
from pdam.bench_server import gunicorn
from pdam.roles import Role, user_create

MONTHS = 12
WORKERS = 2  # the machine's cores
CONCURRENCY = 8
DURATION = 20.0
WARMUP = 2.0
SAMPLE = 2_000  # customers the clients pick from
BENCH_CASHIER = "bench_kasir"

INVOICES_SQL = """
INSERT INTO billing_invoice (number, customer_id, period_id, reading_id, tariff_version_id, tariff_class_id,
    route_id, meter_size, previous_stand, current_stand, usage_m3, billed_usage_m3, estimated, fixed_only,
    total, due_date, status, issued_at, bill_run_id, replaces_id, cancelled_at, cancel_reason)
SELECT to_char(p.month, 'YYYYMM') || '-' || c.number, c.id, p.id, NULL, v.id, c.tariff_class_id,
       c.route_id, '', NULL, NULL, u.usage, u.usage, false, false,
       20000 + u.usage * 1750, p.month + 19, 'issued', now(), NULL, NULL, NULL, ''
FROM customers_customer c
CROSS JOIN meters_period p
CROSS JOIN LATERAL (SELECT 10 + (c.id * 7919 + p.id * 31) %% 21 AS usage) u
JOIN LATERAL (SELECT tv.id FROM billing_tariffversion tv WHERE tv.tariff_class_id = c.tariff_class_id
              ORDER BY tv.effective_from LIMIT 1) v ON true
WHERE p.month >= %s AND p.month <= %s
  AND c.status IN ('active', 'sealed')
  AND NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.customer_id = c.id AND i.period_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM billing_invoice i
                  WHERE i.number = to_char(p.month, 'YYYYMM') || '-' || c.number)
"""

# Customers whose id is not a multiple of ten paid everything but their last 1–3 months: one
# payment each (cash, in the bench cashier's shift), allocated to those invoices.
PAID_SQL = """
CREATE TEMP TABLE bench_paid AS
SELECT i.id AS invoice_id, i.customer_id, i.total
FROM billing_invoice i
JOIN meters_period p ON p.id = i.period_id
WHERE i.status = 'issued' AND i.total > 0 AND i.customer_id %% 10 <> 0
  AND p.month < (%s::date - make_interval(months => (i.customer_id %% 3)::int))
  AND NOT EXISTS (SELECT 1 FROM payments_paymentallocation a
                  WHERE a.invoice_id = i.id AND a.released_at IS NULL);
INSERT INTO payments_payment (receipt_number, channel, customer_id, amount, credit_used, credit_created,
    paid_at, business_date, received_by_id, shift_id, order_id, tendered, change, created_at, reprints)
SELECT 'BENCH-' || b.customer_id, 'cash', b.customer_id, sum(b.total), 0, 0, now(), current_date, %s, %s,
       NULL, sum(b.total), 0, now(), 0
FROM bench_paid b GROUP BY b.customer_id;
INSERT INTO payments_paymentallocation
    (payment_id, invoice_id, amount, surcharge, released_at, released_reason)
SELECT pay.id, b.invoice_id, b.total, 0, NULL, ''
FROM bench_paid b JOIN payments_payment pay ON pay.receipt_number = 'BENCH-' || b.customer_id;
DROP TABLE bench_paid;
"""


def _prepare(emit) -> list[str]:
    """A year of invoices for everyone, most of them paid; returns the customer numbers to look up."""
    latest = Period.objects.order_by("-month").first()
    last = latest.month if latest else timezone.localdate().replace(day=1)
    first = month_add(last, -(MONTHS - 1))
    for i in range(MONTHS):
        period_get_or_open(month=month_add(first, i))
    cashier = _bench_cashier()
    # The bench payments sit in one closed shift of the bench cashier.
    shift = CashierShift.objects.create(
        cashier=cashier,
        business_date=timezone.localdate(),
        opening_float=0,
        state="closed",
        closed_at=timezone.now(),
        expected_cash=0,
        counted_cash=0,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(INVOICES_SQL, [first, last])
        emit("cashier_lookup_invoices_added", cursor.rowcount)
        cursor.execute("ANALYZE billing_invoice")
        cursor.execute(PAID_SQL, [month_add(last, 1), cashier.pk, shift.pk])
        cursor.execute("ANALYZE payments_payment; ANALYZE payments_paymentallocation")
        cursor.execute("SELECT count(*) FROM billing_invoice")
        emit("cashier_lookup_invoices", cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM payments_paymentallocation WHERE released_at IS NULL")
        emit("cashier_lookup_allocations", cursor.fetchone()[0])
    emit("cashier_lookup_prepare_seconds", f"{time.perf_counter() - started:.1f}")
    count = Customer.objects.count()
    emit("cashier_lookup_customers", count)
    rng = random.Random(11)
    ids = sorted(rng.sample(range(1, count + 1), min(SAMPLE, count))) if count else []
    return list(Customer.objects.filter(pk__in=ids).values_list("number", flat=True))


def _bench_cashier():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=BENCH_CASHIER).first()
    return user or user_create(username=BENCH_CASHIER, password=secrets.token_urlsafe(16), role=Role.CASHIER)


def _session_cookie(user) -> str:
    """A logged-in session for `user`, made the way the login view makes one."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.LANGUAGE_COOKIE_NAME}=id"


# gunicorn as production runs it (DEBUG off), but on plain HTTP on localhost: no HTTPS redirect,
# no secure-only cookies, static files unhashed. The session made here is signed with this
# process's key: the server must share it.
SERVER_ENV = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "STATIC_MANIFEST": "0",
}


def _load(port: int, cookie: str, numbers: list[str], *, concurrency: int, duration: float) -> dict:
    """CONCURRENCY clients, each on its own keep-alive connection, looking customers up for
    `duration` seconds after a warm-up. Returns latencies (ms) and failures."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start_at = time.monotonic() + WARMUP
    stop_at = start_at + duration

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            number = rng.choice(numbers)
            began = time.perf_counter()
            try:
                conn.request("GET", f"/payments/desk/?q={number}", headers={"Cookie": cookie})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    failures.append(repr(error))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = (time.perf_counter() - began) * 1000
            if response.status != 200 or number.encode() not in body:
                with lock:
                    failures.append(f"{response.status} {number}")
            elif now >= start_at:
                mine.append(elapsed)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "failures": failures}


def bench_cashier_lookup(
    *, emit, concurrency: int = CONCURRENCY, duration: float = DURATION, prepare: bool = True
) -> None:
    """`cashier_lookup_p95_ms` and `cashier_lookup_rps`: the desk lookup with `concurrency` clients
    at once; then the same with one client per gunicorn worker (`…_c2`), the latency of a
    lookup that does not queue behind another."""
    numbers = _prepare(emit) if prepare else list(Customer.objects.values_list("number", flat=True)[:SAMPLE])
    if not numbers:
        emit("cashier_lookup_p95_ms", "n/a")
        return
    cookie = _session_cookie(_bench_cashier())
    connections.close_all()
    with gunicorn(workers=WORKERS, env={**SERVER_ENV, "SECRET_KEY": settings.SECRET_KEY}) as url:
        port = urlsplit(url).port
        for level, suffix in ((concurrency, ""), (WORKERS, f"_c{WORKERS}")):
            result = _load(port, cookie, numbers, concurrency=level, duration=duration)
            _emit_result(emit, result, level=level, suffix=suffix, duration=duration)


def _emit_result(emit, result: dict, *, level: int, suffix: str, duration: float) -> None:
    latencies = result["latencies"]
    emit(f"cashier_lookup_concurrency{suffix}", level)
    emit(f"cashier_lookup_requests{suffix}", len(latencies))
    emit(f"cashier_lookup_failures{suffix}", len(result["failures"]))
    if len(latencies) > 1:
        emit(f"cashier_lookup_p50_ms{suffix}", f"{statistics.median(latencies):.1f}")
        emit(f"cashier_lookup_p95_ms{suffix}", f"{statistics.quantiles(latencies, n=20)[-1]:.1f}")
        emit(f"cashier_lookup_rps{suffix}", f"{len(latencies) / duration:.0f}")
    else:
        emit(f"cashier_lookup_p95_ms{suffix}", "n/a")
