"""The bill run with worked examples: exact Rupiah totals, policy, idempotence, crash and resume."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from billing import bill_run
from billing.models import BillRun, BillRunChunk, BillRunState, ChunkState, HeldCustomer, Invoice, InvoiceLine
from customers.models import CustomerStatus
from meters import services as meters
from meters.models import Anomaly, Period, PeriodState, Reading, ReadingMethod
from meters.services import VerifyAction
from tests.customers.factories import CustomerFactory, RouteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The rules' messages are compared with their English msgids (pages test Indonesian)."""
    with translation.override("en"):
        yield


def period(month: int) -> Period:
    return meters.period_get_or_open(month=datetime.date(2026, month, 1))


def connect(cs_user, route, tariff_class, status=CustomerStatus.ACTIVE, initial_stand=100):
    customer = CustomerFactory(route=route, tariff_class=tariff_class, connected_on=datetime.date(2020, 1, 1))
    meters.meter_install(
        actor=cs_user,
        customer=customer,
        serial_number=f"M-{customer.number}",
        installed_on=datetime.date(2020, 1, 1),
        size="1/2",
        initial_stand=initial_stand,
    )
    if status != CustomerStatus.ACTIVE:
        customer.status = status
        customer.save()
    return customer


def read(cs_user, customer, month, stand=None, anomaly=""):
    p = period(month)
    return meters.reading_record(
        actor=cs_user,
        customer=customer,
        period=p,
        stand=stand,
        anomaly=anomaly,
        read_on=p.month,
        method=ReadingMethod.FIELD,
    )


def run(actor, month, supplementary=False, django_capture_on_commit_callbacks=None) -> BillRun:
    """Start a run and process every chunk, as the workers would."""
    started = bill_run.bill_run_start(actor=actor, period=period(month), supplementary=supplementary)
    for chunk in BillRunChunk.objects.filter(bill_run=started):
        bill_run.bill_run_chunk_process(chunk_id=chunk.pk)
    started.refresh_from_db()
    return started


def lines_of(invoice):
    return [(line.kind, line.quantity_m3, line.unit_price, line.amount) for line in invoice.lines.all()]


def test_invoice_from_a_verified_reading(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)  # 25 m3, no history: not flagged

    done = run(supervisor_user, 11)

    invoice = Invoice.objects.get(customer=customer)
    # 10 × 1.100 + 10 × 1.480 + 5 × 2.000 = 35.800 water, + 11.500 administration = 47.300
    assert lines_of(invoice) == [
        ("water_block", 10, 1_100, 11_000),
        ("water_block", 10, 1_480, 14_800),
        ("water_block", 5, 2_000, 10_000),
        ("fixed", None, 11_500, 11_500),
    ]
    assert invoice.total == 47_300
    assert invoice.number == f"202611-{customer.number}"
    # Issued on 25 November (conftest's today): 20 November has passed, so 25 Nov + 14 days.
    assert invoice.due_date == datetime.date(2026, 12, 9)
    assert (invoice.previous_stand, invoice.current_stand, invoice.usage_m3) == (100, 125, 25)
    assert (done.state, done.issued, done.total_amount) == (BillRunState.DONE, 1, 47_300)
    assert Period.objects.get(month=datetime.date(2026, 11, 1)).state == PeriodState.BILLING


@pytest.mark.parametrize(
    ("run_at", "due"),
    [
        # On time: 2 November + 14 days = 16 November, before the period's due day, the 20th.
        (datetime.datetime(2026, 11, 2, 1, 0, tzinfo=datetime.UTC), datetime.date(2026, 11, 20)),
        # Late: November's run made on 4 December would be overdue on arrival; 4 Dec + 14 = 18 Dec.
        (datetime.datetime(2026, 12, 4, 1, 0, tzinfo=datetime.UTC), datetime.date(2026, 12, 18)),
    ],
)
def test_due_date_is_never_sooner_than_the_minimum_days_after_issue(
    cs_user, supervisor_user, route, rt_a, run_at, due
):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    with time_machine.travel(run_at, tick=False):
        run(supervisor_user, 11)
    assert Invoice.objects.get(customer=customer).due_date == due
    assert bill_run.due_date(period(11), datetime.date(2026, 12, 4)) == datetime.date(2026, 12, 18)


def test_due_date_minimum_days_is_a_setting(settings):
    settings.BILL_MIN_DAYS_TO_PAY = 30
    assert bill_run.due_date(period(11), datetime.date(2026, 11, 1)) == datetime.date(2026, 12, 1)
    settings.BILL_MIN_DAYS_TO_PAY = 0
    assert bill_run.due_date(period(11), datetime.date(2026, 11, 1)) == datetime.date(2026, 11, 20)


def test_minimum_usage_is_billed_below_ten(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=104)
    run(supervisor_user, 11)
    invoice = Invoice.objects.get(customer=customer)
    # 4 m3 used, 6 m3 top-up at the first block: 10 × 1.100 = 11.000, + 11.500 = 22.500
    assert lines_of(invoice) == [
        ("water_block", 4, 1_100, 4_400),
        ("minimum_topup", 6, 1_100, 6_600),
        ("fixed", None, 11_500, 11_500),
    ]
    assert invoice.total == 22_500


def test_policy_sealed_disconnected_closed_held_and_estimated(cs_user, supervisor_user, route, rt_a):
    sealed = connect(cs_user, route, rt_a, status=CustomerStatus.SEALED)
    disconnected = connect(cs_user, route, rt_a, status=CustomerStatus.DISCONNECTED)
    closed = connect(cs_user, route, rt_a, status=CustomerStatus.CLOSED)
    flagged = connect(cs_user, route, rt_a)
    read(cs_user, flagged, 11, stand=100)  # zero usage: held for verification
    unread = connect(cs_user, route, rt_a)
    for month, stand in [(8, 120), (9, 142), (10, 160)]:  # 20, 22, 18 m3: the estimate is 20
        read(cs_user, unread, month, stand=stand)

    done = run(supervisor_user, 11)

    assert Invoice.objects.get(customer=sealed).total == 11_500  # fixed charges only
    assert lines_of(Invoice.objects.get(customer=sealed)) == [("fixed", None, 11_500, 11_500)]
    assert not Invoice.objects.filter(customer__in=[disconnected, closed, flagged]).exists()
    estimate = Invoice.objects.get(customer=unread)
    # 20 m3 estimated: 11.000 + 14.800 + 11.500 = 37.300
    assert (estimate.estimated, estimate.usage_m3, estimate.total) == (True, 20, 37_300)
    assert Reading.objects.get(customer=unread, period__month=datetime.date(2026, 11, 1)).estimated
    assert list(HeldCustomer.objects.values_list("customer", flat=True)) == [flagged.pk]
    assert (done.issued, done.estimated, done.held, done.skipped) == (2, 1, 1, 2)


def test_held_customer_is_billed_by_a_supplementary_run(cs_user, supervisor_user, route, rt_a):
    flagged = connect(cs_user, route, rt_a)
    reading = read(cs_user, flagged, 11, stand=100)
    run(supervisor_user, 11)
    assert not Invoice.objects.filter(customer=flagged).exists()

    # The held reading can still be verified while the period is billing; billed ones cannot.
    meters.reading_verify(actor=supervisor_user, reading=reading, action=VerifyAction.CONFIRM)
    with pytest.raises(ValidationError):
        read(cs_user, flagged, 11, stand=101)
    extra = run(supervisor_user, 11, supplementary=True)

    assert extra.issued == 1
    assert Invoice.objects.get(customer=flagged).total == 22_500  # 0 m3: the minimum 10 m3


def test_running_twice_issues_nothing_twice(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    first = run(supervisor_user, 11)
    with pytest.raises(ValidationError, match="supplementary"):
        bill_run.bill_run_start(actor=supervisor_user, period=period(11))
    chunk = BillRunChunk.objects.get(bill_run=first)
    assert bill_run.bill_run_chunk_process(chunk_id=chunk.pk) is False  # done chunks stay done
    again = run(supervisor_user, 11, supplementary=True)
    assert again.issued == 0
    assert Invoice.objects.count() == 1


def test_a_crash_midway_then_resume(cs_user, supervisor_user, rt_a):
    routes = [RouteFactory(code=f"02-00{i}") for i in range(3)]
    customers = []
    for r in routes:
        for _ in range(2):
            customer = connect(cs_user, r, rt_a)
            read(cs_user, customer, 11, stand=115)
            customers.append(customer)
    started = bill_run.bill_run_start(actor=supervisor_user, period=period(11))
    chunks = list(BillRunChunk.objects.filter(bill_run=started).order_by("route__code"))

    bill_run.bill_run_chunk_process(chunk_id=chunks[0].pk)
    real_insert = bill_run._insert
    with (
        mock.patch.object(bill_run, "_insert", side_effect=RuntimeError("worker killed")),
        pytest.raises(RuntimeError),
    ):
        bill_run.bill_run_chunk_process(chunk_id=chunks[1].pk)
    assert bill_run._insert is real_insert
    chunks[1].refresh_from_db()
    assert chunks[1].state == ChunkState.RUNNING  # claimed, its work rolled back
    assert Invoice.objects.count() == 2
    assert bill_run.bill_run_chunk_process(chunk_id=chunks[1].pk) is False  # someone holds it

    assert bill_run.bill_run_resume(actor=supervisor_user, bill_run=started) == 2
    for chunk in chunks[1:]:
        assert bill_run.bill_run_chunk_process(chunk_id=chunk.pk)

    started.refresh_from_db()
    assert (started.state, started.issued, started.chunks_done) == (BillRunState.DONE, 6, 3)
    assert Invoice.objects.count() == 6
    assert sorted(Invoice.objects.values_list("customer", flat=True)) == sorted(c.pk for c in customers)
    # 15 m3: 11.000 + 5 × 1.480 = 18.400, + 11.500 = 29.900 each
    assert started.total_amount == 6 * 29_900


def test_two_starts_for_one_period_cannot_both_proceed(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    bill_run.bill_run_start(actor=supervisor_user, period=period(11))
    with pytest.raises(ValidationError, match="already running"):
        bill_run.bill_run_start(actor=supervisor_user, period=period(11), supplementary=True)
    assert BillRun.objects.count() == 1


def test_true_up_after_one_estimated_month(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    for month, stand in [(7, 120), (8, 140), (9, 160)]:
        read(cs_user, customer, month, stand=stand)
    read(cs_user, customer, 10, anomaly=Anomaly.LOCKED)  # October estimated: 20 m3
    run(supervisor_user, 10)
    october = Invoice.objects.get(customer=customer, period__month=datetime.date(2026, 10, 1))
    assert (october.estimated, october.usage_m3, october.total) == (True, 20, 37_300)

    read(cs_user, customer, 11, stand=210)  # 160 → 210: 50 m3 over October and November
    run(supervisor_user, 11)

    november = Invoice.objects.get(customer=customer, period__month=datetime.date(2026, 11, 1))
    # Each month gets 25 m3. October re-rated: 11.000 + 14.800 + 5 × 2.000 = 35.800 against
    # 25.800 billed: +10.000. November: 35.800 + 11.500 = 47.300. Total 57.300.
    assert lines_of(november) == [
        ("water_block", 10, 1_100, 11_000),
        ("water_block", 10, 1_480, 14_800),
        ("water_block", 5, 2_000, 10_000),
        ("fixed", None, 11_500, 11_500),
        ("adjustment", 5, 10_000, 10_000),
    ]
    assert november.total == 57_300
    assert (november.usage_m3, november.billed_usage_m3) == (50, 25)


def test_true_up_after_three_estimated_months_with_a_tariff_change(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    for month, stand in [(5, 120), (6, 140), (7, 160)]:
        read(cs_user, customer, month, stand=stand)
    for month in (8, 9, 10):  # three estimated months of 20 m3; the tariff changes in October
        read(cs_user, customer, month, anomaly=Anomaly.BURIED)
        run(supervisor_user, month)
    billed = {i.period.month.month: i.total for i in Invoice.objects.filter(customer=customer)}
    # Old tariff: 10.000 + 13.000 + 10.000 admin = 33.000; October new: 25.800 + 11.500 = 37.300
    assert billed == {8: 33_000, 9: 33_000, 10: 37_300}

    read(cs_user, customer, 11, stand=280)  # 160 → 280: 120 m3 over four months, 30 each
    run(supervisor_user, 11)

    november = Invoice.objects.get(customer=customer, period__month=datetime.date(2026, 11, 1))
    adjustments = [(line.quantity_m3, line.amount) for line in november.lines.filter(kind="adjustment")]
    # August and September at the old tariff: 30 m3 = 10.000 + 13.000 + 18.000 = 41.000 against
    # 23.000 billed: +18.000 each. October at the new one: 45.800 against 25.800: +20.000.
    assert adjustments == [(10, 18_000), (10, 18_000), (10, 20_000)]
    # November's own 30 m3: 11.000 + 14.800 + 20.000 + 11.500 = 57.300; with the true-up 113.300.
    assert november.total == 113_300
    # Never the top block on accumulated usage: 120 m3 in one month would have cost 299.300.
    assert not InvoiceLine.objects.filter(invoice=november, unit_price=2_700).exists()


def test_spread_usage_is_exact():
    assert bill_run.spread_usage(65, 3) == [22, 22, 21]
    assert bill_run.spread_usage(0, 2) == [0, 0]
    assert sum(bill_run.spread_usage(1_000_003, 7)) == 1_000_003


@pytest.mark.parametrize(
    ("status", "reading", "meter", "treatment"),
    [
        ("active", "ok", True, bill_run.Treatment.BILL_READING),
        ("active", None, True, bill_run.Treatment.ESTIMATE),
        ("active", None, False, bill_run.Treatment.HOLD),
        ("active", "flagged", True, bill_run.Treatment.HOLD),
        ("active", "reread", True, bill_run.Treatment.HOLD),
        ("sealed", None, True, bill_run.Treatment.FIXED_ONLY),
        ("disconnected", "ok", True, bill_run.Treatment.SKIP),
        ("closed", None, False, bill_run.Treatment.SKIP),
    ],
)
def test_policy_in_one_place(status, reading, meter, treatment):
    assert bill_run.customer_treatment(status=status, reading_status=reading, has_meter=meter)[0] is treatment


def test_copy_text_escapes_what_copy_would_misread():
    row = (7, None, True, "Air 0\t10 m³\\ baris\nbaru", datetime.date(2026, 11, 20))
    assert bill_run._copy_text(row) == "7\t\\N\tt\tAir 0\\t10 m³\\\\ baris\\nbaru\t2026-11-20\n"


def test_lines_are_described_in_the_utilitys_language_whoever_runs_it(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    with translation.override("en"):
        run(supervisor_user, 11)
    descriptions = list(Invoice.objects.get(customer=customer).lines.values_list("description", flat=True))
    assert descriptions[0] == "Air 1–10 m³"
