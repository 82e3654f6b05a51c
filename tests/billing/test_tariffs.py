"""The charge computation: worked examples with exact Rupiah, no database."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from billing.models import FixedChargeKind
from billing.tariffs import (
    ONCE_PER_METER,
    BlockPrice,
    FixedChargeSnapshot,
    TariffSnapshot,
    block_problems,
    charges_total,
    compute_charges,
    fixed_charge_problems,
    tax_amount,
    validate_tariff,
)

RT_A = (
    BlockPrice(1, 10, 1_100),
    BlockPrice(11, 20, 1_480),
    BlockPrice(21, 30, 2_000),
    BlockPrice(31, None, 2_700),
)
ADMINISTRATION = FixedChargeSnapshot(kind="administration", label="Biaya administrasi", amount=11_500)
MAINTENANCE = (
    FixedChargeSnapshot(kind="meter_maintenance", label='Pemeliharaan 1/2"', amount=5_000, meter_size="1/2"),
    FixedChargeSnapshot(kind="meter_maintenance", label='Pemeliharaan 3/4"', amount=7_500, meter_size="3/4"),
    FixedChargeSnapshot(kind="meter_maintenance", label='Pemeliharaan 1"', amount=10_000, meter_size="1"),
)


@pytest.fixture(autouse=True)
def _english():
    # The descriptions and messages are compared with their English msgids.
    with translation.override("en"):
        yield


def _tariff(blocks=RT_A, charges=(), minimum=10, water_tax=0) -> TariffSnapshot:
    return TariffSnapshot(
        blocks=tuple(blocks),
        fixed_charges=tuple(charges),
        minimum_usage_m3=minimum,
        water_tax_rate_bp=water_tax,
    )


def _rows(lines) -> list[tuple]:
    return [(line.kind, line.quantity_m3, line.unit_price, line.amount) for line in lines]


def test_progressive_blocks_on_the_actual_usage():
    lines = compute_charges(_tariff(), usage_m3=25, meter_size="1/2")
    # 10 × 1.100 + 10 × 1.480 + 5 × 2.000 = 11.000 + 14.800 + 10.000 = 35.800
    assert _rows(lines) == [
        ("water_block", 10, 1_100, 11_000),
        ("water_block", 10, 1_480, 14_800),
        ("water_block", 5, 2_000, 10_000),
    ]
    assert charges_total(lines) == 35_800
    assert [line.description for line in lines] == ["Water 1–10 m³", "Water 11–20 m³", "Water 21–30 m³"]


def test_usage_in_the_open_block():
    lines = compute_charges(_tariff(), usage_m3=40, meter_size="1/2")
    # 11.000 + 14.800 + 20.000 + 10 × 2.700 = 72.800
    assert _rows(lines)[-1] == ("water_block", 10, 2_700, 27_000)
    assert lines[-1].description == "Water above 30 m³"
    assert charges_total(lines) == 72_800


def test_usage_below_the_minimum_is_topped_up_to_it():
    lines = compute_charges(_tariff(), usage_m3=4, meter_size="1/2")
    assert _rows(lines) == [("water_block", 4, 1_100, 4_400), ("minimum_topup", 6, 1_100, 6_600)]
    assert charges_total(lines) == 11_000  # what 10 m³ cost
    assert lines[1].description == "Minimum usage top-up to 10 m³"


def test_zero_usage_bills_only_the_minimum():
    lines = compute_charges(_tariff(), usage_m3=0, meter_size="1/2")
    assert _rows(lines) == [("minimum_topup", 10, 1_100, 11_000)]


def test_top_up_across_two_blocks_is_priced_at_each_block():
    lines = compute_charges(_tariff(minimum=15), usage_m3=8, meter_size="1/2")
    # 8 used + 2 more in block 1 + 5 in block 2: 8.800 + 2.200 + 7.400 = 18.400
    assert _rows(lines) == [
        ("water_block", 8, 1_100, 8_800),
        ("minimum_topup", 2, 1_100, 2_200),
        ("minimum_topup", 5, 1_480, 7_400),
    ]
    assert charges_total(lines) == 18_400


def test_usage_at_the_minimum_needs_no_top_up():
    lines = compute_charges(_tariff(), usage_m3=10, meter_size="1/2")
    assert _rows(lines) == [("water_block", 10, 1_100, 11_000)]


def test_no_minimum_and_no_usage_bills_only_fixed_charges():
    lines = compute_charges(_tariff(minimum=0, charges=[ADMINISTRATION]), usage_m3=0, meter_size="1/2")
    assert _rows(lines) == [("fixed", None, 11_500, 11_500)]


def test_flat_tariff_is_one_open_block():
    flat = _tariff(blocks=[BlockPrice(1, None, 780)])
    assert _rows(compute_charges(flat, usage_m3=37, meter_size="1/2")) == [("water_block", 37, 780, 28_860)]
    assert compute_charges(flat, usage_m3=37, meter_size="1/2")[0].description == "Water"
    assert _rows(compute_charges(flat, usage_m3=3, meter_size="1/2")) == [
        ("water_block", 3, 780, 2_340),
        ("minimum_topup", 7, 780, 5_460),
    ]


@pytest.mark.parametrize(
    ("meter_size", "maintenance"),
    [("1/2", 5_000), ("3/4", 7_500), ("1", 10_000), ("2", 0), ("", 0)],
)
def test_fixed_charges_for_every_size_and_for_the_meter_size(meter_size, maintenance):
    tariff = _tariff(charges=[ADMINISTRATION, *MAINTENANCE])
    lines = compute_charges(tariff, usage_m3=25, meter_size=meter_size)
    fixed = [line for line in lines if line.kind == "fixed"]
    assert fixed[0].description == "Biaya administrasi"
    assert len(fixed) == (2 if maintenance else 1)
    assert charges_total(lines) == 35_800 + 11_500 + maintenance


@pytest.mark.parametrize(
    ("amount", "rate_bp", "tax"),
    [
        (11_500, 1_100, 1_265),  # exact: 11 %
        (12_345, 1_100, 1_358),  # 1.357,95 → up
        (12_344, 1_100, 1_358),  # 1.357,84 → up
        (12_340, 1_100, 1_357),  # 1.357,40 → down
        (250, 100, 3),  # 2,5 → 3 (half up, not to even)
        (150, 100, 2),  # 1,5 → 2
        (249, 100, 2),  # 2,49 → 2
        (-250, 100, -3),  # a credit mirrors its charge
        (11_500, 0, 0),
    ],
)
def test_tax_is_rounded_half_up_in_integers(amount, rate_bp, tax):
    assert tax_amount(amount, rate_bp) == tax


def test_taxed_lines_and_total():
    tariff = _tariff(
        water_tax=1_100,
        charges=[FixedChargeSnapshot(kind="other", label="Sewa", amount=2_505, tax_rate_bp=1_000)],
    )
    lines = compute_charges(tariff, usage_m3=25, meter_size="1/2")
    # water 35.800: tax 1.210 + 1.628 + 1.100 = 3.938; rent 2.505: tax 250,5 → 251
    assert [line.tax_amount for line in lines] == [1_210, 1_628, 1_100, 251]
    assert charges_total(lines) == 35_800 + 3_938 + 2_505 + 251


def test_usage_must_be_a_whole_number_at_least_zero():
    for bad in (-1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="usage_m3"):
            compute_charges(_tariff(), usage_m3=bad, meter_size="1/2")


def test_valid_blocks_have_no_problems():
    assert block_problems(RT_A) == []
    assert block_problems([BlockPrice(1, None, 780)]) == []
    assert block_problems([BlockPrice(1, 1, 5), BlockPrice(2, None, 6)]) == []


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([], "A tariff needs at least one block."),
        ([BlockPrice(0, 10, 1_100), BlockPrice(11, None, 1_480)], "The first block starts at 1 m³."),
        ([BlockPrice(2, None, 1_100)], "The first block starts at 1 m³."),
        (
            [BlockPrice(1, 10, 1_100), BlockPrice(12, None, 1_480)],
            "Block 2 must start at 11 m³, right after block 1.",
        ),
        (
            [BlockPrice(1, 10, 1_100), BlockPrice(10, None, 1_480)],
            "Block 2 must start at 11 m³, right after block 1.",
        ),
        ([BlockPrice(1, 10, 1_100), BlockPrice(11, 20, 1_480)], "The last block must have no upper limit."),
        (
            [BlockPrice(1, None, 1_100), BlockPrice(11, None, 1_480)],
            "Block 1: only the last block may have no upper limit.",
        ),
        (
            [BlockPrice(1, 10, 1_100), BlockPrice(11, 5, 1_480), BlockPrice(6, None, 9)],
            "Block 2: the upper limit must be at least 11 m³.",
        ),
        ([BlockPrice(1, None, 0)], "Block 1: the price must be above 0."),
    ],
)
def test_invalid_blocks_are_refused(blocks, problem):
    assert problem in block_problems(blocks)
    with pytest.raises(ValidationError) as error:
        validate_tariff(_tariff(blocks=blocks))
    assert problem in error.value.message_dict["blocks"]


def test_a_charge_applying_twice_to_one_meter_is_refused():
    twice = [
        ADMINISTRATION,
        FixedChargeSnapshot(kind="administration", label="Admin 1/2", amount=1, meter_size="1/2"),
    ]
    assert fixed_charge_problems(twice) == [
        "Biaya administrasi would be charged twice on one meter size: set it for all sizes or per size."
    ]
    assert fixed_charge_problems([*MAINTENANCE, MAINTENANCE[0]])
    # "Other" charges may be several, and one kind per size is fine.
    others = [FixedChargeSnapshot(kind="other", label=f"Lain {n}", amount=1_000) for n in range(2)]
    assert fixed_charge_problems([ADMINISTRATION, *MAINTENANCE, *others]) == []


def test_fixed_charge_amounts_and_rates_are_checked():
    assert fixed_charge_problems([FixedChargeSnapshot(kind="other", label="Nol", amount=0)]) == [
        "Nol: the amount must be above 0."
    ]
    with pytest.raises(ValidationError) as error:
        validate_tariff(
            _tariff(
                water_tax=10_001,
                charges=[FixedChargeSnapshot(kind="other", label="X", amount=1, tax_rate_bp=-1)],
            )
        )
    assert set(error.value.message_dict) == {"water_tax_rate_bp", "fixed_charges"}


def test_once_per_meter_kinds_are_fixed_charge_kinds():
    assert {FixedChargeKind.ADMINISTRATION, FixedChargeKind.METER_MAINTENANCE} == ONCE_PER_METER
