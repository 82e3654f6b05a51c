"""Charging denda: the nightly run, the at-once figure, and settling it with its invoice.

One household (golongan 2A) under Pasaman's rule (2.500 / 5.000 / 7.500 / 10.000): January's
bill of Rp 47.300 and February's of Rp 52.100, due on the 20th of their month."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from arrears import tasks
from arrears.models import LateFee, LateFeeShape
from arrears.services import late_fees_assess, late_fees_charge
from billing.models import InvoiceStatus
from payments import accounts, cashier, gateway, selectors, services
from payments.models import OnlineOrder, PaymentAllocation
from pdam.money import format_rupiah
from tests.arrears.factories import golongan, rule
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


def at(day: datetime.date):
    """10:00 in Makassar on `day`."""
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(2, 0), tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def pasaman():
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.STEPS, step_totals=[2_500, 5_000, 7_500, 10_000])
    return tariff_class


@pytest.fixture
def bills(customer, pasaman):
    customer.tariff_class = pasaman
    customer.save()
    return [invoice_for(customer, JAN, 47_300), invoice_for(customer, FEB, 52_100)]


@pytest.fixture
def shift(cashier_user):
    with at(datetime.date(2026, 1, 2)):
        return cashier.shift_open(cashier=cashier_user, opening_float=100_000)


def fees() -> list[tuple[int, int, int]]:
    return list(LateFee.objects.order_by("invoice_id", "step").values_list("invoice_id", "step", "amount"))


# --- The nightly run --------------------------------------------------------------------------------


def test_three_runs_on_a_day_charge_each_step_once(bills):
    jan, feb = bills
    on = datetime.date(2026, 3, 21)  # January: 3 months late; February: 2 months
    first = late_fees_assess(on=on)
    assert (first.invoices_read, first.fees_charged, first.amount_charged) == (2, 5, 12_500)
    for _ in range(2):
        again = late_fees_assess(on=on)
        assert (again.fees_charged, again.amount_charged) == (0, 0)
    assert fees() == [
        (jan.pk, 1, 2_500),
        (jan.pk, 2, 2_500),
        (jan.pk, 3, 2_500),
        (feb.pk, 1, 2_500),
        (feb.pk, 2, 2_500),
    ]


def test_runs_month_after_month_add_one_step_each_up_to_the_cap(bills):
    jan, _feb = bills
    charged = [
        late_fees_assess(on=datetime.date(2026, month, 21), chunk_size=1).fees_charged
        for month in range(1, 8)
    ]
    # Jan: January month 1. Feb: January 2, February 1. Mar, Apr: one each. May: February 4.
    # June, July: both at the cap.
    assert charged == [1, 2, 2, 2, 1, 0, 0]
    assert late_fees_charge(invoices=bills, on=datetime.date(2026, 7, 21)) == {
        jan.pk: 10_000,
        bills[1].pk: 10_000,
    }


def test_the_nightly_task_charges_today(bills):
    with at(datetime.date(2026, 1, 21)):
        assert tasks.late_fees_assess_nightly.delay().get() == {"invoices": 1, "fees": 1, "amount": 2_500}
    assert fees() == [(bills[0].pk, 1, 2_500)]


def test_a_cancelled_invoice_gets_no_denda(bills):
    jan, feb = bills
    jan.status = InvoiceStatus.CANCELLED
    jan.save()
    late_fees_assess(on=datetime.date(2026, 3, 1))
    assert fees() == [(feb.pk, 1, 2_500)]
    assert late_fees_charge(invoices=[jan], on=datetime.date(2026, 3, 1)) == {jan.pk: 0}


def test_an_invoice_paid_by_its_due_date_gets_none(bills, cashier_user, shift):
    jan, _feb = bills
    with at(datetime.date(2026, 1, 20)):
        payment = services.cash_payment_take(
            cashier=cashier_user, customer=jan.customer, invoice_ids=[jan.pk], tendered=47_300
        )
    assert payment.allocations.get().surcharge == 0
    late_fees_assess(on=datetime.date(2026, 6, 1))
    assert [invoice_id for invoice_id, _step, _amount in fees()] == [bills[1].pk] * 4
    assert late_fees_charge(invoices=[jan], on=datetime.date(2026, 6, 1)) == {jan.pk: 0}


# --- Paying denda with its invoice ----------------------------------------------------------------


def test_cash_settles_principal_and_denda_together_and_records_the_denda_apart(bills, cashier_user, shift):
    jan, feb = bills
    with at(datetime.date(2026, 2, 25)):  # January: 2 months late (5.000); February: 1 (2.500)
        desk = cashier.desk_view(customer=jan.customer)
        assert [(row.amount_due, row.surcharge) for row in desk.invoices] == [
            (52_300, 5_000),
            (54_600, 2_500),
        ]
        payment = services.cash_payment_take(
            cashier=cashier_user, customer=jan.customer, invoice_ids=[jan.pk, feb.pk], tendered=110_000
        )
    assert payment.amount == 106_900
    assert payment.change == 3_100
    allocations = list(
        payment.allocations.order_by("invoice__period__month").values_list("amount", "surcharge")
    )
    assert allocations == [(52_300, 5_000), (54_600, 2_500)]
    # Settled: nothing more is owed, and later runs charge these invoices no further step.
    late_fees_assess(on=datetime.date(2026, 9, 1))
    assert sum(amount for _i, _s, amount in fees()) == 7_500
    assert late_fees_charge(invoices=bills, on=datetime.date(2026, 9, 1)) == {jan.pk: 0, feb.pk: 0}


def test_the_principal_alone_does_not_settle_an_invoice_with_denda(bills, cashier_user, shift):
    jan, _feb = bills
    with at(datetime.date(2026, 1, 25)), pytest.raises(ValidationError, match="less than the amount due"):
        services.cash_payment_take(
            cashier=cashier_user, customer=jan.customer, invoice_ids=[jan.pk], tendered=47_300
        )
    assert not PaymentAllocation.objects.exists()
    assert late_fees_charge(invoices=[jan], on=datetime.date(2026, 1, 25)) == {jan.pk: 2_500}


def test_a_reversed_payment_owes_its_denda_again(bills, cashier_user, shift):
    jan, _feb = bills
    with at(datetime.date(2026, 1, 25)):
        payment = services.cash_payment_take(
            cashier=cashier_user, customer=jan.customer, invoice_ids=[jan.pk], tendered=49_800
        )
        services.payment_reverse(
            payment=payment, kind="void", reason="salah input", requested_by=cashier_user
        )
        assert selectors.invoice_amount_due(jan) == 49_800


# --- The same figure everywhere -------------------------------------------------------------------


@pytest.fixture
def snap(monkeypatch, settings):
    settings.MIDTRANS_SERVER_KEY = settings.MIDTRANS_SERVER_KEY or "SB-Mid-server-test"
    calls = []

    def create(parameters):
        calls.append(parameters)
        return {"token": "tok", "redirect_url": "https://snap.example/v2/vtweb/tok"}

    monkeypatch.setattr(gateway, "snap_create", create)
    monkeypatch.setattr(gateway, "transaction_status", lambda order_id: None)
    return calls


def test_desk_bill_check_and_online_pay_show_the_same_figure(bills, snap, desk_login):
    jan, feb = bills
    with at(datetime.date(2026, 3, 5)):  # January 2 months late (5.000), February 1 (2.500)
        expected = [(52_300, 5_000), (54_600, 2_500)]
        desk = cashier.desk_view(customer=jan.customer)
        assert [(row.amount_due, row.surcharge) for row in desk.invoices] == expected
        check = accounts.bill_check(number=jan.customer.number)
        assert [(row.amount_due, row.surcharge) for row in check.outstanding.invoices] == expected
        response = Client().post(
            reverse("payments:pay"),
            {"number": jan.customer.number, "invoice": [jan.pk, feb.pk], "next": "/"},
        )
        assert response.status_code == 302
        order = OnlineOrder.objects.get()
        assert order.gross_amount == 106_900
        assert sorted(order.lines.values_list("amount", flat=True)) == [52_300, 54_600]
        assert snap[0]["transaction_details"]["gross_amount"] == 106_900
        # The pages label the denda line.
        desk_page = desk_login.get(reverse("payments:desk"), {"q": jan.customer.number}).content.decode()
        assert f'data-late-fee="{jan.pk}">{format_rupiah(5_000)}<' in desk_page
        assert f'data-late-fee="{feb.pk}">{format_rupiah(2_500)}<' in desk_page
        assert "Denda" in desk_page
        check_page = Client().get(reverse("home"), {"nomor": jan.customer.number}).content.decode()
        assert f'data-late-fee="{jan.pk}"' in check_page
    # Each step was charged once, whoever asked.
    assert sum(amount for _i, _s, amount in fees()) == 7_500


@pytest.fixture
def desk_login(cashier_user):
    client = Client()
    client.force_login(cashier_user)
    return client


def test_the_invoice_page_shows_its_denda_as_its_own_block(bills, persona_client):
    jan, feb = bills
    late_fees_assess(on=datetime.date(2026, 2, 20))  # January: month 1 (2.500); February: due today
    cashier_page = persona_client("cashier")
    page = cashier_page.get(reverse("billing:invoice_detail", args=[jan.number])).content.decode()
    assert 'id="invoice-late-fees"' in page
    assert f"data-late-fee-total>{format_rupiah(2_500)}<" in page
    assert "Denda" in page
    other = cashier_page.get(reverse("billing:invoice_detail", args=[feb.number])).content.decode()
    assert 'id="invoice-late-fees"' not in other


def test_a_run_racing_another_writes_and_counts_nothing_twice(bills):
    """Two runs that read before either wrote offer the same steps: the second writes none."""
    from arrears.services import _fees_insert

    late_fees_assess(on=datetime.date(2026, 1, 21))
    offered = [
        LateFee(
            invoice_id=bills[0].pk,
            step=1,
            amount=2_500,
            rule_id=LateFee.objects.get().rule_id,
            rule_snapshot={},
            assessed_on=datetime.date(2026, 1, 21),
        )
    ]
    written = _fees_insert(offered)
    assert LateFee.objects.count() == 1
    if connection.vendor == "postgresql":
        assert written == []
