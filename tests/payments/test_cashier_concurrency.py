"""Races on PostgreSQL, each attempt in its own thread with its own connection.

- Receipt numbers under concurrency: no gaps and no duplicates per channel, even when some
  payments roll back.
- Two cashiers on one customer at the same moment: one wins, the other is told.
- 50 attempts to settle the same invoice at once, half at the desk and half as online
  settlements: exactly one settles it; the cash ones are refused, the online ones credited, and
  the totals are exact.
"""

import datetime
import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone, translation

from payments import cashier, online, selectors, services
from payments.models import (
    Channel,
    OnlineOrder,
    OrderInvoice,
    OrderState,
    Payment,
    PaymentAllocation,
    ReceiptSequence,
)
from pdam.roles import Role, user_create
from tests.conftest import PASSWORD
from tests.customers.factories import CustomerFactory
from tests.payments.factories import invoice_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

MAR = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _sequences(db):
    # A transactional test empties every table, the migration's sequence rows too.
    for channel in Channel.values:
        ReceiptSequence.objects.get_or_create(channel=channel)


def cashiers_with_shifts(count: int) -> list:
    users = []
    for i in range(count):
        user = user_create(username=f"kasir{i:02d}", password=PASSWORD, role=Role.CASHIER)
        cashier.shift_open(cashier=user, opening_float=100_000)
        users.append(user)
    return users


def run_together(jobs) -> list:
    """Run each job in its own thread, all released at once; their outcomes, in job order."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, job):
        try:
            translation.activate("en")  # each thread has its own language
            barrier.wait()
            outcomes[index] = job()
        except ValidationError as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def order_for(customer, invoice, order_id: str, state=OrderState.EXPIRED) -> OnlineOrder:
    order = OnlineOrder.objects.create(
        order_id=order_id,
        customer=customer,
        gross_amount=invoice.total,
        invoice_key=str(invoice.pk),
        state=state,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.create(order=order, invoice=invoice, amount=invoice.total)
    return order


def settle_online(order):
    def job():
        with transaction.atomic():
            services.customer_lock(order.customer_id)
            return services.online_settlement_apply(order=order, paid_at=timezone.now())

    return job


def take_cash(who, customer, invoice, tendered: int):
    def job():
        return cashier.desk_payment_take(
            cashier=who, customer=customer, invoice_ids=[invoice.pk], tendered=tendered
        ).payment

    return job


def numbers(channel: str) -> list[int]:
    return sorted(
        int(number.split("-")[1])
        for number in Payment.objects.filter(channel=channel).values_list("receipt_number", flat=True)
    )


def test_receipt_numbers_have_no_gaps_or_duplicates_per_channel(cs_user):
    desk = cashiers_with_shifts(6)
    customers = [CustomerFactory() for _ in range(24)]
    invoices = [invoice_for(c, MAR, 40_000 + i * 100) for i, c in enumerate(customers)]
    jobs = []
    for i, (customer, invoice) in enumerate(zip(customers, invoices, strict=True)):
        if i % 3 == 2:
            jobs.append(settle_online(order_for(customer, invoice, f"PDAM-SEQ-{i}")))
        else:
            # Every fourth counter payment is short of cash: refused, its number given back.
            tendered = invoice.total - 1 if i % 4 == 3 else invoice.total

            jobs.append(take_cash(desk[i % len(desk)], customer, invoice, tendered))
    outcomes = run_together(jobs)
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    cash = numbers(Channel.CASH)
    onl = numbers(Channel.ONLINE)
    short = sum(1 for i in range(24) if i % 3 != 2 and i % 4 == 3)
    assert (len(cash), len(refused)) == (16 - short, short)
    assert len(onl) == 8
    assert cash == list(range(1, len(cash) + 1))
    assert onl == list(range(1, 9))
    assert ReceiptSequence.objects.get(channel=Channel.CASH).last_number == len(cash)


def test_two_cashiers_same_customer_same_moment(customer):
    first, second = cashiers_with_shifts(2)
    invoices = [invoice_for(customer, datetime.date(2026, m, 1), 40_000 + m) for m in (1, 2, 3)]
    ids = [i.pk for i in invoices]

    def take(who):
        return lambda: cashier.desk_payment_take(
            cashier=who, customer=customer, invoice_ids=ids, tendered=200_000
        )

    outcomes = run_together([take(first), take(second)])
    won = [o for o in outcomes if not isinstance(o, ValidationError)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 1
    assert "no longer outstanding" in lost[0].messages[0]
    assert Payment.objects.count() == 1
    assert won[0].payment.amount == 120_006
    assert won[0].payment.change == 200_000 - 120_006


def test_fifty_attempts_to_settle_one_invoice(customer, monkeypatch):
    invoice = invoice_for(customer, MAR, 47_300)
    desk = cashiers_with_shifts(25)
    orders = [order_for(customer, invoice, f"PDAM-RACE-{i:02d}") for i in range(24)]
    orders.append(order_for(customer, invoice, "PDAM-RACE-LIVE", state=OrderState.PENDING))
    # The desk cancels the live order first; here Midtrans cannot be reached, so the counter goes
    # on (a payment of that order would become credit).
    monkeypatch.setattr(online, "order_cancel", lambda *, order, actor: False)

    def take(who):
        return lambda: cashier.desk_payment_take(
            cashier=who, customer=customer, invoice_ids=[invoice.pk], tendered=50_000
        )

    jobs = [
        job
        for pair in zip([take(who) for who in desk], [settle_online(o) for o in orders], strict=True)
        for job in pair
    ]
    assert len(jobs) == 50
    outcomes = run_together(jobs)

    live = list(PaymentAllocation.objects.filter(released_at__isnull=True))
    assert [(a.invoice_id, a.amount) for a in live] == [(invoice.pk, 47_300)]
    winner = live[0].payment
    cash_outcomes = outcomes[0::2]
    cash_won = [o for o in cash_outcomes if not isinstance(o, ValidationError)]
    cash_refused = [o for o in cash_outcomes if isinstance(o, ValidationError)]
    online_payments = Payment.objects.filter(channel=Channel.ONLINE)
    if winner.channel == Channel.CASH:
        assert len(cash_won) == 1 and len(cash_refused) == 24
        assert online_payments.count() == 25
        assert all(p.credit_created == 47_300 for p in online_payments)
    else:
        assert cash_won == [] and len(cash_refused) == 25
        assert online_payments.count() == 25
        credited = Counter(p.credit_created for p in online_payments)
        assert credited == {0: 1, 47_300: 24}
    assert all("no longer outstanding" in e.messages[0] for e in cash_refused)
    assert Payment.objects.filter(channel=Channel.CASH).count() == len(cash_won)
    # Every Rupiah received is either on the invoice or the customer's credit.
    received = Payment.objects.aggregate(s=Sum("amount"))["s"]
    settled = PaymentAllocation.objects.filter(released_at__isnull=True).aggregate(s=Sum("amount"))["s"]
    assert settled == invoice.total
    assert selectors.credit_balance(customer=customer) == received - settled
    assert received == 47_300 * (25 + len(cash_won))
    assert numbers(Channel.ONLINE) == list(range(1, 26))
    assert selectors.invoices_outstanding(customer=customer).count() == 0
