"""Demo tariffs: a believable decree for every golongan, and the one it replaced a year before.

The prices follow the shape of published PDAM tables (Rp per m³ for 1–10 / 11–20 / 21–30 / >30 m³);
the figures are fictional.
"""

import datetime

from django.db import transaction

from billing.models import FixedCharge, FixedChargeKind, Invoice, TariffBlock, TariffVersion
from billing.services import tariff_version_create
from customers.models import TariffClass
from meters.models import MeterSize

# golongan code → (block prices for 1–10, 11–20, 21–30, >30 m³, or one flat price; administration fee)
DEMO_TARIFFS: dict[str, tuple[tuple[int, ...], int]] = {
    "1A": ((780,), 5_000),  # Sosial Umum: flat
    "1B": ((850, 1_100, 1_450, 1_900), 6_000),  # Sosial Khusus
    "2A": ((1_100, 1_480, 2_000, 2_700), 11_500),  # Rumah Tangga A
    "2B": ((1_350, 1_800, 2_450, 3_250), 12_500),  # Rumah Tangga B
    "2C": ((1_600, 2_150, 2_900, 3_800), 14_000),  # Rumah Tangga C
    "2D": ((1_850, 2_500, 3_400, 4_400), 17_500),  # Niaga Kecil
    "2E": ((1_750, 2_350, 3_150, 4_100), 16_000),  # Instansi Pemerintah
    "3A": ((2_060, 2_920, 3_950, 5_160), 26_000),  # Niaga Besar
    "3B": ((2_400, 3_400, 4_600, 6_000), 30_000),  # Industri
    "4A": ((7_500,), 35_000),  # Khusus (Pelabuhan): flat, by contract
}

# Pemeliharaan meter: the same for every golongan, by meter size.
METER_MAINTENANCE: dict[str, int] = {
    MeterSize.HALF: 5_000,
    MeterSize.THREE_QUARTER: 7_500,
    MeterSize.ONE: 10_000,
    MeterSize.ONE_HALF: 15_000,
    MeterSize.TWO: 25_000,
    MeterSize.THREE: 40_000,
    MeterSize.FOUR: 60_000,
    MeterSize.SIX: 100_000,
}

MINIMUM_USAGE_M3 = 10
BLOCK_UPPER_BOUNDS = (10, 20, 30, None)


def _blocks(prices: tuple[int, ...]) -> list[tuple[int, int | None, int]]:
    if len(prices) == 1:
        return [(1, None, prices[0])]
    bounds = BLOCK_UPPER_BOUNDS
    return [(1 if i == 0 else bounds[i - 1] + 1, bounds[i], price) for i, price in enumerate(prices)]


def _fixed_charges(administration: int) -> list[dict]:
    return [
        {"kind": FixedChargeKind.ADMINISTRATION, "label": "Biaya administrasi", "amount": administration},
        *(
            {
                "kind": FixedChargeKind.METER_MAINTENANCE,
                "label": f"Pemeliharaan meter {MeterSize(size).label}",
                "amount": amount,
                "meter_size": size,
            }
            for size, amount in METER_MAINTENANCE.items()
        ),
    ]


def _ten_percent_lower(amount: int, step: int) -> int:
    """90 % of `amount`, rounded half up to a multiple of `step`, in integers."""
    return (amount * 9 + step * 5) // (step * 10) * step


def _year_before(month: datetime.date) -> datetime.date:
    return month.replace(year=month.year - 1, day=1)


def _create_history(
    *, tariff_class: TariffClass, effective_from: datetime.date, prices: tuple[int, ...], administration: int
) -> None:
    """The superseded version, written directly: the service refuses months already past."""
    version = TariffVersion.objects.create(
        tariff_class=tariff_class,
        effective_from=effective_from,
        minimum_usage_m3=MINIMUM_USAGE_M3,
        decree=f"Perbup No. 7 Tahun {effective_from.year}",
    )
    TariffBlock.objects.bulk_create(
        TariffBlock(version=version, from_m3=f, to_m3=t, price_per_m3=_ten_percent_lower(p, 10))
        for f, t, p in _blocks(prices)
    )
    FixedCharge.objects.bulk_create(
        FixedCharge(
            version=version,
            kind=row["kind"],
            label=row["label"],
            amount=_ten_percent_lower(row["amount"], 500),
            meter_size=row.get("meter_size", ""),
        )
        for row in _fixed_charges(administration)
    )


def seed_tariffs(*, effective_from: datetime.date) -> int:
    """Give every known golongan a version from `effective_from` (not before the current month)
    and an older one, about 10 % cheaper, from a year before. Idempotent; returns how many
    versions it created."""
    effective_from = effective_from.replace(day=1)
    older = _year_before(effective_from)
    created = 0
    with transaction.atomic():
        for tariff_class in TariffClass.objects.filter(code__in=DEMO_TARIFFS):
            prices, administration = DEMO_TARIFFS[tariff_class.code]
            versions = set(tariff_class.tariff_versions.values_list("effective_from", flat=True))
            if older not in versions:
                _create_history(
                    tariff_class=tariff_class,
                    effective_from=older,
                    prices=prices,
                    administration=administration,
                )
                created += 1
            if effective_from not in versions:
                tariff_version_create(
                    actor=None,
                    tariff_class=tariff_class,
                    effective_from=effective_from,
                    minimum_usage_m3=MINIMUM_USAGE_M3,
                    blocks=_blocks(prices),
                    fixed_charges=_fixed_charges(administration),
                    decree=f"Perbup No. 12 Tahun {effective_from.year}",
                )
                created += 1
    return created


DEMO_INVOICE_CUSTOMER_LIMIT = 20_000


DEMO_CLOSE_REASON = "Demo: pembacaan yang ditahan ditagih taksiran, diverifikasi setelah tutup periode"


def seed_invoices(*, stdout=None) -> int:
    """Bill the demo's past months in order, as the utility would have: a bill run per period
    (all but the latest, left open for the user to bill), each period closed afterwards.

    No month's water is left unbilled: a customer held back for a reading to verify is billed
    as an estimate when the period closes (a supervisor's choice, with its reason), and the
    reading is then confirmed, so the next month's invoice carries the catch-up. Idempotent:
    periods that have a run are left alone. Returns how many invoices it issued.
    """
    from billing.bill_run import bill_run_chunk_process, bill_run_start
    from billing.closing import period_close
    from billing.models import BillRun
    from customers.models import Customer
    from meters.models import Period, PeriodState, Reading, ReadingStatus
    from meters.services import VerifyAction, reading_verify

    if Customer.objects.count() > DEMO_INVOICE_CUSTOMER_LIMIT:
        if stdout:
            stdout.write(
                f"Demo invoices are made for at most {DEMO_INVOICE_CUSTOMER_LIMIT} customers; skipped."
            )
        return 0
    periods = list(Period.objects.filter(readings__isnull=False).distinct().order_by("month"))
    issued = 0
    for period in periods[:-1]:
        if BillRun.objects.filter(period=period).exists() or period.state != PeriodState.OPEN:
            continue
        run = bill_run_start(actor=None, period=period, queue=False)
        for chunk_id in run.chunks.values_list("pk", flat=True):
            bill_run_chunk_process(chunk_id=chunk_id)
        period_close(actor=None, period=period, estimate_held=True, reason=DEMO_CLOSE_REASON)
        issued += Invoice.objects.filter(period=period).count()
        for reading in Reading.objects.filter(period=period, status=ReadingStatus.FLAGGED):
            reading_verify(
                actor=None, reading=reading, action=VerifyAction.CONFIRM, reason="Demo: pemakaian benar"
            )
    return issued
