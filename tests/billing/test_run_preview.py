"""Issue 11 §1 and §3: a bill run is previewed before it is confirmed, outliers can be held back
and released, and a run of a period too little read needs a confirmation with a reason.

The worked example, on one route with Rumah Tangga A (Rp 1.000 / 1.300 / 1.800 / 2.500 and
Rp 10.000 administration until September 2026, Rp 1.100 / 1.480 / 2.000 / 2.700 and Rp 11.500
from October; today is 25 November 2026):

- A, B, C and E use 20 m³ in August and September: Rp 33.000 each month (10 × 1.000 +
  10 × 1.300 + 10.000). In October A, C and E use 20 m³ again (Rp 37.300: 10 × 1.100 +
  10 × 1.480 + 11.500); B's October stand is an absurd import (+29.000 m³), held for
  verification and never verified: October bills A, C, E for Rp 111.900, 60 m³.
- November: A reads 20 m³ (Rp 37.300); B and C are not read, so the run estimates them from
  verified actual months only: 20 m³, Rp 37.300 each (not 29.000 m³); E's stand says 520 m³,
  which a supervisor confirmed: 10 × 1.100 + 10 × 1.480 + 10 × 2.000 + 490 × 2.700 + 11.500 =
  Rp 1.380.300, against E's usual (33.000 + 33.000 + 37.300) ÷ 3 = Rp 34.433.
"""

import datetime

import pytest
from django.urls import reverse

from billing import run_guard
from billing.models import BillRun, HeldCustomer, Invoice
from billing.selectors import customers_held
from meters import services as meters
from meters.models import Period, ReadingStatus
from meters.services import VerifyAction
from pdam.models import AuditEntry
from tests.billing.test_bill_run import connect, period, read, run

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


@pytest.fixture
def example(cs_user, supervisor_user, route, rt_a):
    a, b, c, e = (connect(cs_user, route, rt_a) for _ in range(4))
    stands = dict.fromkeys((a, b, c, e), 100)
    for month in (8, 9, 10):
        for customer in (a, b, c, e):
            if month == 10 and customer is b:
                read(cs_user, b, 10, stand=stands[b] + 29_000)  # absurd: held for verification
                continue
            stands[customer] += 20
            read(cs_user, customer, month, stand=stands[customer])
        run(supervisor_user, month)
    read(cs_user, a, 11, stand=stands[a] + 20)
    huge = read(cs_user, e, 11, stand=stands[e] + 520)
    assert huge.status == ReadingStatus.FLAGGED
    meters.reading_verify(actor=supervisor_user, reading=huge, action=VerifyAction.CONFIRM)
    return {"a": a, "b": b, "c": c, "e": e}


def test_preview_compares_with_the_previous_month_and_lists_the_outlier(example):
    assert Invoice.objects.filter(period__month=datetime.date(2026, 10, 1)).count() == 3

    preview = run_guard.bill_run_preview(period=period(11))

    assert preview.figures == run_guard.Figures(customers=4, m3=580, amount=1_492_200, estimated=2)
    assert preview.figures.estimated_percent == 50.0
    assert preview.previous_period.month == datetime.date(2026, 10, 1)
    assert preview.previous == run_guard.Figures(customers=3, m3=60, amount=111_900, estimated=0)
    assert preview.total_flagged
    assert preview.held == 0
    assert preview.outlier_count == 1
    (outlier,) = preview.outliers
    assert (outlier.number, outlier.usage_m3, outlier.amount, outlier.usual, outlier.has_history) == (
        example["e"].number,
        520,
        1_380_300,
        34_433,
        True,
    )
    assert outlier.ratio == 40.1
    # Nothing was written: no run, no invoice, no estimated reading for November.
    assert not BillRun.objects.filter(period__month=NOVEMBER).exists()
    assert not Invoice.objects.filter(period__month=NOVEMBER).exists()
    assert period(11).readings.count() == 2
    # Half of November is read: the run needs a confirmation.
    assert (preview.read_share, preview.needs_confirmation) == (0.5, True)


def test_held_customers_of_a_period_is_one_query_for_held_readings_and_holds(example, supervisor_user):
    """October held B (its absurd stand awaits verification): `customers_held` says so, as it
    says so of a supervisor's hold (below). Period close relies on this one selector."""
    october = Period.objects.get(month=datetime.date(2026, 10, 1))
    assert list(customers_held(period=october)) == [example["b"]]


def test_the_preview_matches_what_the_run_bills(example, supervisor_user):
    preview = run_guard.bill_run_preview(period=period(11))

    done = run(supervisor_user, 11)

    assert (done.issued, done.estimated, done.total_amount) == (4, 2, preview.figures.amount)
    # No absurd estimate: B's held October stand is not part of its average.
    assert Invoice.objects.get(customer=example["b"], period__month=NOVEMBER).billed_usage_m3 == 20
    assert Invoice.objects.get(customer=example["b"], period__month=NOVEMBER).total == 37_300


def test_a_new_customer_is_compared_with_an_estimates_bill(cs_user, route, rt_a):
    """No invoice yet: the usual is what the fallback estimate (10 m³) would bill, Rp 22.500
    (10 × 1.100 + 11.500). 30 m³ (Rp 57.300) is within 3 × (Rp 67.500); 40 m³ (Rp 84.300) is not."""
    modest, big = connect(cs_user, route, rt_a), connect(cs_user, route, rt_a)
    read(cs_user, modest, 11, stand=130)
    read(cs_user, big, 11, stand=140)

    preview = run_guard.bill_run_preview(period=period(11))

    assert preview.previous is None
    assert not preview.total_flagged
    assert [(o.number, o.amount, o.usual, o.has_history) for o in preview.outliers] == [
        (big.number, 84_300, 22_500, False)
    ]


def test_a_large_bill_falling_far_is_listed_a_small_one_is_not(
    cs_user, supervisor_user, route, rt_a, settings
):
    """Low outliers only where the usual is at least BILL_RUN_OUTLIER_LOW_FROM: 80 m³ a month
    (Rp 192.300 in October: 10 × 1.100 + 10 × 1.480 + 10 × 2.000 + 50 × 2.700 + 11.500), then
    0 m³ confirmed: Rp 22.500, below 192.300 ÷ 3."""
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 10, stand=180)
    run(supervisor_user, 10)
    assert Invoice.objects.get(customer=customer).total == 192_300
    zero = read(cs_user, customer, 11, stand=180)
    meters.reading_verify(actor=supervisor_user, reading=zero, action=VerifyAction.CONFIRM)

    preview = run_guard.bill_run_preview(period=period(11))
    assert [(o.amount, o.usual) for o in preview.outliers] == [(22_500, 192_300)]

    settings.BILL_RUN_OUTLIER_LOW_FROM = 200_000
    assert run_guard.bill_run_preview(period=period(11)).outliers == []


def test_starting_sends_the_supervisor_to_the_preview_first(persona_client, example):
    client = persona_client("supervisor")

    response = client.post(reverse("billing:run_start"), {"period": "2026-11"})

    assert response["Location"] == reverse("billing:run_preview", args=["2026-11"])
    assert not BillRun.objects.filter(period__month=NOVEMBER).exists()
    page = client.get(response["Location"]).content.decode()
    figures = page.split('id="preview-figures"')[1].split("</table>")[0]
    assert "Rp 1.492.200" in figures
    assert "Rp 111.900" in figures
    assert "580" in figures
    assert 'id="preview-total-flagged"' in page
    outliers = page.split('id="preview-outliers"')[1].split("</table>")[0]
    assert example["e"].number in outliers
    assert "Rp 1.380.300" in outliers
    assert example["a"].number not in outliers
    assert "perkiraan" in page.lower()  # labelled an estimate
    assert 'name="read_confirmed"' in page


def test_a_run_of_a_period_little_read_needs_a_confirmation_and_a_reason(
    persona_client, example, supervisor_user, django_capture_on_commit_callbacks
):
    client = persona_client("supervisor")
    start = reverse("billing:run_start")

    for refused in (
        {},
        {"read_confirmed": "1"},
        {"read_confirmed": "1", "read_reason": "   "},
        {"read_reason": "Pembaca sakit"},
    ):
        response = client.post(start, {"period": "2026-11", "previewed": "1", **refused}, follow=True)
        assert not BillRun.objects.filter(period__month=NOVEMBER).exists()
        assert "Baru 50 % dari" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("billing:run_preview", args=["2026-11"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            start,
            {"period": "2026-11", "previewed": "1", "read_confirmed": "1", "read_reason": "Banjir rute 01"},
        )
    started = BillRun.objects.get(period__month=NOVEMBER)
    assert response["Location"] == reverse("billing:run_detail", args=[started.pk])
    started.refresh_from_db()
    assert (started.issued, started.total_amount) == (4, 1_492_200)
    entry = AuditEntry.objects.get(action="billrun.confirm_low_read")
    assert (entry.actor, entry.reason) == (supervisor_user, "Banjir rute 01")
    assert entry.changes == {"read_share": [None, "50"], "minimum": [None, "90"]}


def test_a_well_read_period_starts_without_confirmation(cs_user, route, rt_a, settings, supervisor_user):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    started = run_guard.bill_run_start_confirmed(actor=supervisor_user, period=period(11), queue=False)
    assert started.period.month == NOVEMBER
    assert not AuditEntry.objects.filter(action="billrun.confirm_low_read").exists()

    settings.BILL_RUN_MIN_READ_SHARE = 0.4  # the threshold is a setting
    assert not run_guard.bill_run_preview(period=period(11)).needs_confirmation


def test_hold_an_outlier_then_release_it(
    persona_client, example, supervisor_user, django_capture_on_commit_callbacks
):
    client = persona_client("supervisor")
    e = example["e"]
    november = Period.objects.get(month=NOVEMBER)

    # Holding needs a reason.
    client.post(
        reverse("billing:run_start"),
        {"period": "2026-11", "previewed": "1", "read_confirmed": "1", "read_reason": "Ada", "hold": [e.pk]},
    )
    assert not BillRun.objects.filter(period=november).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("billing:run_start"),
            {
                "period": "2026-11",
                "previewed": "1",
                "read_confirmed": "1",
                "read_reason": "Banjir",
                "hold": [e.pk],
                "hold_reason": "Cek kebocoran dulu",
            },
        )
    main = BillRun.objects.get(period=november)
    assert (main.issued, main.held, main.total_amount) == (3, 1, 111_900)
    assert not Invoice.objects.filter(customer=e, period=november).exists()
    assert list(customers_held(period=november)) == [e]
    hold = HeldCustomer.objects.get(bill_run=main)
    assert (hold.customer, hold.reason, hold.held_by, hold.released_at) == (
        e,
        "Cek kebocoran dulu",
        supervisor_user,
        None,
    )
    assert AuditEntry.objects.get(action="billrun.hold").reason == "Cek kebocoran dulu"
    page = client.get(reverse("billing:run_detail", args=[main.pk])).content.decode()
    held = page.split('id="run-held"')[1].split("</table>")[0]
    assert e.number in held and "Cek kebocoran dulu" in held and 'name="release"' in held

    # A supplementary run before the release still holds E, and its page offers the release too.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("billing:run_start"), {"period": "2026-11", "supplementary": "1"})
    first_extra = BillRun.objects.get(period=november, supplementary=True)
    assert (first_extra.issued, first_extra.held) == (0, 1)
    assert not Invoice.objects.filter(customer=e, period=november).exists()
    assert list(customers_held(period=november)) == [e]
    page = client.get(reverse("billing:run_detail", args=[first_extra.pk])).content.decode()
    assert f'name="release" value="{e.pk}"' in page

    # Releasing needs a reason; then a supplementary run bills E.
    client.post(reverse("billing:run_release", args=[first_extra.pk]), {"release": [e.pk], "reason": ""})
    assert HeldCustomer.objects.get(bill_run=main).released_at is None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("billing:run_release", args=[first_extra.pk]),
            {"release": [e.pk], "reason": "Sudah dicek"},
        )
    extra = BillRun.objects.filter(period=november, supplementary=True).latest("id")
    assert extra != first_extra
    assert response["Location"] == reverse("billing:run_detail", args=[extra.pk])
    extra.refresh_from_db()
    assert (extra.issued, extra.total_amount) == (1, 1_380_300)
    assert Invoice.objects.get(customer=e, period=november).total == 1_380_300
    assert list(customers_held(period=november)) == []
    assert HeldCustomer.objects.get(bill_run=main).released_by == supervisor_user
    page = client.get(reverse("billing:run_detail", args=[main.pk])).content.decode()
    assert 'name="release"' not in page
    assert "dilepas oleh rahma_supervisor" in page
    assert AuditEntry.objects.get(action="billrun.release").reason == "Sudah dicek"


def test_release_of_a_customer_not_held_is_refused(persona_client, example, supervisor_user):
    started = run_guard.bill_run_start_confirmed(
        actor=supervisor_user, period=period(11), read_confirmed=True, read_reason="Banjir", queue=False
    )
    response = persona_client("supervisor").post(
        reverse("billing:run_release", args=[started.pk]),
        {"release": [example["a"].pk], "reason": "Coba"},
        follow=True,
    )
    assert "Tidak ada pelanggan terpilih" in response.content.decode()
    assert not AuditEntry.objects.filter(action="billrun.release").exists()
    assert BillRun.objects.filter(period__month=NOVEMBER).count() == 1


@pytest.mark.parametrize("persona", ["manager", "cs", "cashier"])
def test_only_supervisors_preview_hold_and_release(persona_client, example, supervisor_user, persona):
    started = run_guard.bill_run_start_confirmed(
        actor=supervisor_user,
        period=period(11),
        read_confirmed=True,
        read_reason="Banjir",
        hold_customer_ids=[example["e"].pk],
        hold_reason="Cek",
        queue=False,
    )
    client = persona_client(persona)
    assert client.get(reverse("billing:run_preview", args=["2026-11"])).status_code == 403
    response = client.post(
        reverse("billing:run_release", args=[started.pk]), {"release": [example["e"].pk], "reason": "x"}
    )
    assert response.status_code == 403
    assert HeldCustomer.objects.get(bill_run=started).released_at is None
