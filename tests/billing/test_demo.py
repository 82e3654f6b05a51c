"""Demo tariffs, checked as worked examples with exact Rupiah at every block edge."""

import datetime

import pytest

from billing.demo import seed_tariffs
from billing.models import FixedCharge, TariffBlock, TariffVersion
from billing.selectors import tariff_snapshot, tariff_version_for
from billing.tariffs import charges_total, compute_charges
from pdam.models import AuditEntry

pytestmark = pytest.mark.django_db

CURRENT = datetime.date(2026, 11, 1)
OLDER = datetime.date(2025, 11, 1)
EDGES = (0, 9, 10, 11, 20, 21, 30, 31)

# The bill of a 1/2" meter (maintenance Rp 5.000) at each of EDGES, worked out by hand.
# Four blocks p1/p2/p3/p4 for 1–10/11–20/21–30/>30 m³ and a 10 m³ minimum give water of
#   0, 9, 10 m³: 10·p1 | 11: 10·p1 + p2 | 20: 10·p1 + 10·p2 | 21: … + p3 | 30: … + 10·p3 | 31: … + p4
# A flat price p gives max(usage, 10)·p.
EXPECTED = {
    # 780 flat; administration 5.000 → fixed 10.000. 10·780 = 7.800; 31·780 = 24.180
    "1A": (17_800, 17_800, 17_800, 18_580, 25_600, 26_380, 33_400, 34_180),
    # 850/1.100/1.450/1.900; fixed 6.000 + 5.000. 8.500 | 9.600 | 19.500 | 20.950 | 34.000 | 35.900
    "1B": (19_500, 19_500, 19_500, 20_600, 30_500, 31_950, 45_000, 46_900),
    # 1.100/1.480/2.000/2.700; fixed 11.500 + 5.000. 11.000 | 12.480 | 25.800 | 27.800 | 45.800 | 48.500
    "2A": (27_500, 27_500, 27_500, 28_980, 42_300, 44_300, 62_300, 65_000),
    # 1.350/1.800/2.450/3.250; fixed 12.500 + 5.000. 13.500 | 15.300 | 31.500 | 33.950 | 56.000 | 59.250
    "2B": (31_000, 31_000, 31_000, 32_800, 49_000, 51_450, 73_500, 76_750),
    # 1.600/2.150/2.900/3.800; fixed 14.000 + 5.000. 16.000 | 18.150 | 37.500 | 40.400 | 66.500 | 70.300
    "2C": (35_000, 35_000, 35_000, 37_150, 56_500, 59_400, 85_500, 89_300),
    # 1.850/2.500/3.400/4.400; fixed 17.500 + 5.000. 18.500 | 21.000 | 43.500 | 46.900 | 77.500 | 81.900
    "2D": (41_000, 41_000, 41_000, 43_500, 66_000, 69_400, 100_000, 104_400),
    # 1.750/2.350/3.150/4.100; fixed 16.000 + 5.000. 17.500 | 19.850 | 41.000 | 44.150 | 72.500 | 76.600
    "2E": (38_500, 38_500, 38_500, 40_850, 62_000, 65_150, 93_500, 97_600),
    # 2.060/2.920/3.950/5.160; fixed 26.000 + 5.000. 20.600 | 23.520 | 49.800 | 53.750 | 89.300 | 94.460
    "3A": (51_600, 51_600, 51_600, 54_520, 80_800, 84_750, 120_300, 125_460),
    # 2.400/3.400/4.600/6.000; fixed 30.000 + 5.000. 24.000 | 27.400 | 58.000 | 62.600 | 104.000 | 110.000
    "3B": (59_000, 59_000, 59_000, 62_400, 93_000, 97_600, 139_000, 145_000),
    # 7.500 flat; fixed 35.000 + 5.000. 75.000 | 82.500 | 150.000 | 157.500 | 225.000 | 232.500
    "4A": (115_000, 115_000, 115_000, 122_500, 190_000, 197_500, 265_000, 272_500),
}


@pytest.fixture
def seeded(tariff_classes):
    assert seed_tariffs(effective_from=CURRENT) == 20
    return tariff_classes


@pytest.mark.parametrize("code", list(EXPECTED))
def test_demo_bills_at_the_block_edges(seeded, code):
    tariff = tariff_snapshot(tariff_version_for(tariff_class=seeded[code], period=CURRENT))
    totals = tuple(charges_total(compute_charges(tariff, usage_m3=m3, meter_size="1/2")) for m3 in EDGES)
    assert totals == EXPECTED[code]


def test_rumah_tangga_a_at_25_m3_on_bigger_meters(seeded):
    tariff = tariff_snapshot(tariff_version_for(tariff_class=seeded["2A"], period=CURRENT))
    # water 10 × 1.100 + 10 × 1.480 + 5 × 2.000 = 35.800; administration 11.500
    expected = {"1/2": 52_300, "3/4": 54_800, "1": 57_300, "1 1/2": 62_300, "2": 72_300, "6": 147_300}
    for size, total in expected.items():
        assert charges_total(compute_charges(tariff, usage_m3=25, meter_size=size)) == total


def test_demo_keeps_a_cheaper_version_from_a_year_before(seeded):
    older = tariff_version_for(tariff_class=seeded["2A"], period=datetime.date(2026, 10, 1))
    assert older.effective_from == OLDER
    assert [b.price_per_m3 for b in older.blocks.all()] == [990, 1_330, 1_800, 2_430]
    admin = older.fixed_charges.get(kind="administration")
    assert admin.amount == 10_500  # 90 % of 11.500 = 10.350, to the nearest 500
    tariff = tariff_snapshot(older)
    # 10 × 990 + 10 × 1.330 + 5 × 1.800 = 32.200; + 10.500 + 4.500 (90 % of 5.000)
    assert charges_total(compute_charges(tariff, usage_m3=25, meter_size="1/2")) == 47_200
    flat = tariff_version_for(tariff_class=seeded["1A"], period=datetime.date(2026, 10, 1))
    assert [(b.from_m3, b.to_m3, b.price_per_m3) for b in flat.blocks.all()] == [(1, None, 700)]  # 702 → 700


def test_seed_is_idempotent_and_audits_the_current_versions(seeded):
    counts = (TariffVersion.objects.count(), TariffBlock.objects.count(), FixedCharge.objects.count())
    assert seed_tariffs(effective_from=CURRENT) == 0
    assert (TariffVersion.objects.count(), TariffBlock.objects.count(), FixedCharge.objects.count()) == counts
    assert counts == (20, 2 * (8 * 4 + 2 * 1), 20 * 9)
    assert AuditEntry.objects.filter(action="tariff.create").count() == 10


def test_seed_without_tariff_classes_creates_nothing(db):
    assert seed_tariffs(effective_from=CURRENT) == 0


def test_seeded_demo_leaves_no_customer_month_unbilled():
    """Every billable customer with a reading in a closed period has an invoice for it, and every
    held reading resolved after the close is caught up on a later invoice, once."""
    from billing.bill_run import bill_run_chunk_process, bill_run_start
    from billing.demo import seed_invoices
    from billing.models import CatchUp, HeldCustomer, Invoice, InvoiceStatus
    from customers.demo import seed_registry
    from customers.models import CustomerStatus
    from meters.demo import seed_meters
    from meters.models import Period, PeriodState, Reading, ReadingStatus

    seed_registry(customers=160, seed=2026)
    seed_meters()
    seed_tariffs(effective_from=CURRENT)
    assert seed_invoices() > 0

    closed = Reading.objects.filter(
        period__state=PeriodState.BILLED, customer__status__in=[CustomerStatus.ACTIVE, CustomerStatus.SEALED]
    )
    invoiced = set(
        Invoice.objects.filter(status=InvoiceStatus.ISSUED).values_list("customer_id", "period_id")
    )
    assert closed.count() > 1500
    assert [r for r in closed.values_list("customer_id", "period_id") if r not in invoiced] == []
    # The held ones were billed as estimates at the close, with the supervisor's reason...
    held = HeldCustomer.objects.filter(bill_run__supplementary=False).values_list(
        "customer_id", "bill_run__period_id"
    )
    assert held
    estimated = set(
        Invoice.objects.filter(status=InvoiceStatus.ISSUED, bill_run__supplementary=True).values_list(
            "customer_id", "period_id"
        )
    )
    assert set(held) == estimated
    assert AuditEntry.objects.filter(action="period.close_with_estimates").exists()
    # ... and confirmed afterwards: nothing of a closed period is left in the verification queue.
    assert not closed.filter(status__in=[ReadingStatus.FLAGGED, ReadingStatus.REREAD]).exists()

    # The latest period, left open by the demo, is billed by the user: every held month is then
    # caught up on a later invoice, once.
    latest = Period.objects.get(state=PeriodState.OPEN)
    run = bill_run_start(actor=None, period=latest, queue=False)
    for chunk_id in run.chunks.values_list("pk", flat=True):
        bill_run_chunk_process(chunk_id=chunk_id)
    caught_up = set(CatchUp.objects.values_list("reading__customer_id", "reading__period_id"))
    billable = set(
        Reading.objects.filter(
            customer__status=CustomerStatus.ACTIVE, period__state=PeriodState.BILLED
        ).values_list("customer_id", "period_id")
    )
    assert set(held) & billable == caught_up
    for catch_up in CatchUp.objects.select_related("invoice__period"):
        assert catch_up.invoice.period.month > catch_up.month
