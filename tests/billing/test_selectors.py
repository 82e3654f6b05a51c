import datetime

import pytest

from billing.selectors import (
    tariff_examples,
    tariff_overview,
    tariff_snapshot,
    tariff_version_for,
    tariff_version_state,
)
from billing.tariffs import BlockPrice, FixedChargeSnapshot
from tests.billing.factories import TariffVersionFactory
from tests.customers.factories import TariffClassFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """Rumah Tangga A: a version from January 2025, one from January 2026, one from next month."""
    rt_a = TariffClassFactory(code="2A", name="Rumah Tangga A")
    return {
        "class": rt_a,
        "2025": TariffVersionFactory(tariff_class=rt_a, effective_from=datetime.date(2025, 1, 1)),
        "2026": TariffVersionFactory(tariff_class=rt_a, effective_from=datetime.date(2026, 1, 1)),
        "next": TariffVersionFactory(tariff_class=rt_a, effective_from=datetime.date(2026, 12, 1)),
    }


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (datetime.date(2024, 12, 1), None),  # before any tariff
        (datetime.date(2025, 1, 1), "2025"),
        (datetime.date(2025, 12, 1), "2025"),  # a period before the newer version gets the older one
        (datetime.date(2026, 1, 1), "2026"),
        (datetime.date(2026, 11, 1), "2026"),
        (datetime.date(2026, 12, 1), "next"),
        (datetime.date(2030, 6, 1), "next"),
    ],
)
def test_version_for_a_period_is_the_one_in_force(history, period, expected):
    found = tariff_version_for(tariff_class=history["class"], period=period)
    assert found == (history[expected] if expected else None)


def test_version_for_ignores_other_classes(history):
    other = TariffClassFactory(code="3A", name="Niaga Besar")
    assert tariff_version_for(tariff_class=other, period=datetime.date(2026, 11, 1)) is None


def test_version_for_prefetches_what_the_computation_needs(history, english, django_assert_num_queries):
    with django_assert_num_queries(3):
        version = tariff_version_for(tariff_class=history["class"], period=datetime.date(2026, 11, 1))
    with django_assert_num_queries(0):
        tariff = tariff_snapshot(version)
    assert tariff.version_id == version.pk
    assert tariff.minimum_usage_m3 == 10
    assert tariff.blocks == (
        BlockPrice(1, 10, 1_100),
        BlockPrice(11, 20, 1_480),
        BlockPrice(21, 30, 2_000),
        BlockPrice(31, None, 2_700),
    )
    assert tariff.fixed_charges == (
        FixedChargeSnapshot(
            kind="administration", label="Administration fee", amount=11_500
        ),  # no label: the kind's
    )


def test_state_of_each_version(history):
    assert tariff_version_state(version=history["2025"]) == "past"
    assert tariff_version_state(version=history["2026"]) == "current"
    assert tariff_version_state(version=history["next"]) == "upcoming"


def test_overview_lists_every_class_with_its_versions(history, django_assert_num_queries):
    empty = TariffClassFactory(code="1A", name="Sosial Umum")
    with django_assert_num_queries(4):
        overview = tariff_overview()
        blocks = [[list(row.version.blocks.all()) for row in item.versions] for item in overview]
    by_code = {item.tariff_class.code: item for item in overview}
    assert by_code["1A"].tariff_class == empty
    assert by_code["1A"].versions == []
    assert by_code["1A"].current is None
    rt_a = by_code["2A"]
    assert rt_a.current == history["2026"]
    assert [(row.version, row.state) for row in rt_a.versions] == [
        (history["next"], "upcoming"),
        (history["2026"], "current"),
        (history["2025"], "past"),
    ]
    assert len(blocks[1][0]) == 4


def test_worked_examples(history, english):
    version = tariff_version_for(tariff_class=history["class"], period=datetime.date(2026, 11, 1))
    examples = tariff_examples(tariff=tariff_snapshot(version), meter_size="1/2")
    assert [(e.usage_m3, e.water, e.fixed, e.tax, e.total) for e in examples] == [
        (0, 11_000, 11_500, 0, 22_500),
        (10, 11_000, 11_500, 0, 22_500),
        (15, 18_400, 11_500, 0, 29_900),  # 11.000 + 5 × 1.480
        (25, 35_800, 11_500, 0, 47_300),  # 11.000 + 14.800 + 5 × 2.000
        (40, 72_800, 11_500, 0, 84_300),  # 11.000 + 14.800 + 20.000 + 10 × 2.700
    ]


def test_overview_sums_up_charges_per_meter_size(english):
    TariffVersionFactory(
        charges=[
            {"kind": "meter_maintenance", "amount": 10_000, "meter_size": "1"},
            {"kind": "administration", "amount": 11_500},
            {"kind": "meter_maintenance", "amount": 5_000, "meter_size": "1/2"},
            {"kind": "other", "label": "Retribusi sampah", "amount": 3_000},
        ]
    )
    (row,) = tariff_overview()[0].versions
    assert [(c.label, c.amount, c.by_size) for c in row.charges] == [
        ("Administration fee", 11_500, []),
        ("Retribusi sampah", 3_000, []),
        ("Meter maintenance", None, [('1/2"', 5_000), ('1"', 10_000)]),
    ]
