"""The desk's services and reads: what a scan finds, what the cashier sees, cancelling a live
online order before taking cash, shift reports and the supervisor's day view."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from payments import cashier, online, selectors, services
from payments.models import OnlineOrder, OrderInvoice, OrderState, Payment
from pdam.audit import audit_entries_for
from pdam.roles import Role, user_create
from tests.conftest import PASSWORD
from tests.payments.desk import FEB, JAN, MAR, TODAY, _today  # noqa: F401 - the day's fixture

pytestmark = pytest.mark.django_db


def live_order(customer, invoices, order_id="PDAM-DESK-1") -> OnlineOrder:
    order = OnlineOrder.objects.create(
        order_id=order_id,
        customer=customer,
        gross_amount=sum(i.total for i in invoices),
        invoice_key=",".join(str(i.pk) for i in sorted(invoices, key=lambda i: i.pk)),
        state=OrderState.PENDING,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.bulk_create(OrderInvoice(order=order, invoice=i, amount=i.total) for i in invoices)
    return order


@pytest.mark.parametrize(
    ("scanned", "number"),
    [
        ("0101000001", "0101000001"),
        ("  0101000001\n", "0101000001"),
        ("http://127.0.0.1:8000/?nomor=0101000001", "0101000001"),
        ("https://portal.pdam.example/?nomor=0101000001&utm=x", "0101000001"),
        ("?nomor=0101000001", "0101000001"),
        ("202604-0101000001", "0101000001"),
        ("202604-0101000001-K1", "0101000001"),
        ("0101 000 001", "0101000001"),
        ("", None),
        ("Budi", None),
        ("12345", None),
        ("https://evil.example/?nomor=abc", None),
    ],
)
def test_scans_and_typing_find_the_customer_number(scanned, number):
    assert cashier.desk_query_parse(scanned) == number


def test_desk_view_shows_the_oldest_first_with_credit_and_live_orders(customer, invoices):
    services.credit_apply(customer_id=customer.pk)  # nothing to apply: no credit
    order = live_order(customer, invoices[:2])
    view = cashier.desk_view(customer=customer)
    assert [(row.invoice.number, row.amount_due) for row in view.invoices] == [
        (invoices[0].number, 47_300),
        (invoices[1].number, 52_100),
        (invoices[2].number, 38_900),
    ]
    assert view.total_due == 138_300
    assert view.credit_balance == 0
    assert view.live_orders == [order]
    assert [len(row.live_orders) for row in view.invoices] == [1, 1, 0]


def test_desk_payment_cancels_the_live_order_first(customer, invoices, shift, cashier_user, monkeypatch):
    order = live_order(customer, invoices[:1])
    calls = []

    def cancel(*, order, actor):
        calls.append((order.order_id, actor))
        OnlineOrder.objects.filter(pk=order.pk).update(state=OrderState.CANCELLED)
        return True

    monkeypatch.setattr(online, "order_cancel", cancel)
    taken = cashier.desk_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    assert calls == [(order.order_id, cashier_user)]
    assert (taken.payment.amount, taken.payment.change, taken.orders_not_cancelled) == (47_300, 2_700, [])


def test_desk_payment_refused_when_the_order_was_just_paid_online(
    customer, invoices, shift, cashier_user, monkeypatch
):
    order = live_order(customer, invoices[:2])

    def paid(*, order, actor):
        # What the online side does when Midtrans says "settlement": it records the payment.
        services.online_settlement_apply(order=order, paid_at=timezone.now())
        raise ValidationError("paid")

    monkeypatch.setattr(online, "order_cancel", paid)
    with pytest.raises(ValidationError, match="just paid online") as refused:
        cashier.desk_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
        )
    assert order.order_id in refused.value.messages[0]
    assert not Payment.objects.filter(channel="cash").exists()
    assert [i.number for i in selectors.invoices_outstanding(customer=customer)] == [invoices[2].number]


def test_desk_payment_goes_on_when_the_gateway_cannot_be_reached(
    customer, invoices, shift, cashier_user, monkeypatch
):
    order = live_order(customer, invoices[:1])
    monkeypatch.setattr(online, "order_cancel", lambda *, order, actor: False)
    taken = cashier.desk_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=47_300
    )
    assert taken.orders_not_cancelled == [order.order_id]
    assert taken.payment.receipt_number == "KAS-00000001"


def test_shift_report_totals(customer, invoices, shift, cashier_user, supervisor_user):
    from payments.models import CreditEntry, CreditKind

    CreditEntry.objects.create(customer=customer, amount=5_000, kind=CreditKind.OVERPAYMENT)
    first = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[1].pk], tendered=60_000
    )
    cashier.payment_void(payment=first, cashier=cashier_user, approver=supervisor_user, reason="Salah bulan")
    report = cashier.shift_report(shift=shift)
    # January: 47.300 − 5.000 credit = 42.300 cash, voided later. February: 52.100 cash.
    assert [p.amount for p in report.payments] == [42_300, 52_100]
    assert (report.cash_taken, report.cash_voided, report.credit_used) == (94_400, 42_300, 5_000)
    assert report.expected_cash == 200_000 + 94_400 - 42_300 == 252_100
    assert [(c.channel, c.count, c.amount) for c in report.by_channel] == [
        ("cash", 2, 94_400),
        ("credit", 1, 5_000),
    ]
    assert selectors.credit_balance(customer=customer) == 5_000  # the void gave the credit back
    assert [v.payment.receipt_number for v in report.voids] == [first.receipt_number]


def test_day_view_shows_every_shift_and_its_difference(customer, invoices, cashier_user, supervisor_user):
    other = user_create(username="andi_kasir", password=PASSWORD, role=Role.CASHIER)
    cashier.shift_open(cashier=cashier_user, opening_float=200_000)
    cashier.shift_open(cashier=other, opening_float=100_000)
    services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    services.cash_payment_take(
        cashier=other, customer=customer, invoice_ids=[invoices[1].pk], tendered=52_100
    )
    cashier.shift_close(cashier=cashier_user, counted_cash=247_000)  # 300 short
    day = cashier.shifts_of_day(date=TODAY, user=supervisor_user)
    rows = {row.shift.cashier.username: row for row in day.shifts}
    assert (
        rows["nurul_kasir"].cash_taken,
        rows["nurul_kasir"].expected_cash,
        rows["nurul_kasir"].difference,
    ) == (
        47_300,
        247_300,
        -300,
    )
    assert (
        rows["andi_kasir"].cash_taken,
        rows["andi_kasir"].expected_cash,
        rows["andi_kasir"].difference,
    ) == (
        52_100,
        152_100,
        None,
    )
    assert (day.cash_taken, day.difference, day.open_shifts) == (99_400, -300, 1)
    # A cashier sees only their own shifts; another day has none.
    assert [r.shift.cashier for r in cashier.shifts_of_day(date=TODAY, user=other).shifts] == [other]
    assert cashier.shifts_of_day(date=TODAY - datetime.timedelta(days=1), user=supervisor_user).shifts == []


def test_who_sees_all_shifts(cashier_user, supervisor_user, manager_user, admin_user):
    assert not cashier.can_see_all_shifts(cashier_user)
    assert cashier.can_see_all_shifts(supervisor_user)
    assert cashier.can_see_all_shifts(manager_user)
    assert cashier.can_see_all_shifts(admin_user)


def test_reprint_counts_and_is_audited(customer, invoices, shift, cashier_user):
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    cashier.receipt_reprint(payment=payment, actor=cashier_user)
    cashier.receipt_reprint(payment=payment, actor=cashier_user)
    payment.refresh_from_db()
    assert payment.reprints == 2
    reprints = [e for e in audit_entries_for(payment) if e.action == "payment.reprint"]
    assert [e.changes["reprints"] for e in reprints] == [[1, 2], [0, 1]]
