import datetime

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.models import FixedCharge, TariffBlock, TariffVersion
from pdam.models import AuditEntry
from tests.billing.factories import RT_A_BLOCKS, TariffVersionFactory
from tests.customers.factories import TariffClassFactory

pytestmark = pytest.mark.django_db

NEXT_MONTH = datetime.date(2026, 12, 1)


def _create(actor, **overrides) -> TariffVersion:
    fields = {
        "actor": actor,
        "tariff_class": TariffClassFactory(code="2A", name="Rumah Tangga A"),
        "effective_from": NEXT_MONTH,
        "minimum_usage_m3": 10,
        "blocks": RT_A_BLOCKS,
        "fixed_charges": [
            {"kind": "administration", "label": "", "amount": 11_500},
            {
                "kind": "meter_maintenance",
                "label": "Pemeliharaan meter",
                "amount": 5_000,
                "meter_size": "1/2",
            },
        ],
        "decree": " Perbup No. 12 Tahun 2026 ",
    }
    return services.tariff_version_create(**{**fields, **overrides})


def _nothing_written() -> bool:
    return not (
        TariffVersion.objects.exists()
        or TariffBlock.objects.exists()
        or FixedCharge.objects.exists()
        or AuditEntry.objects.filter(action="tariff.create").exists()
    )


def test_create_writes_the_version_and_an_audit_row(supervisor_user):
    version = _create(supervisor_user)

    version.refresh_from_db()
    assert (version.tariff_class.code, version.effective_from, version.minimum_usage_m3) == (
        "2A",
        NEXT_MONTH,
        10,
    )
    assert version.decree == "Perbup No. 12 Tahun 2026"
    assert version.created_by == supervisor_user
    assert version.water_tax_rate_bp == 0
    assert [(b.from_m3, b.to_m3, b.price_per_m3) for b in version.blocks.all()] == RT_A_BLOCKS
    assert [(c.kind, c.label, c.amount, c.meter_size) for c in version.fixed_charges.all()] == [
        ("administration", "", 11_500, ""),
        ("meter_maintenance", "Pemeliharaan meter", 5_000, "1/2"),
    ]
    entry = AuditEntry.objects.get(action="tariff.create")
    assert entry.object_id == str(version.pk)
    assert entry.actor == supervisor_user
    assert entry.reason == "Perbup No. 12 Tahun 2026"
    assert entry.changes["effective_from"] == [None, "2026-12-01"]
    assert entry.changes["blocks"] == [
        None,
        [[1, 10, 1_100], [11, 20, 1_480], [21, 30, 2_000], [31, None, 2_700]],
    ]


def test_the_current_month_is_allowed(supervisor_user):
    assert _create(supervisor_user, effective_from=datetime.date(2026, 11, 1)).pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"effective_from": datetime.date(2026, 12, 15)}, "effective_from"),
        ({"effective_from": datetime.date(2026, 10, 1)}, "effective_from"),  # may be billed already
        ({"minimum_usage_m3": -1}, "minimum_usage_m3"),
        ({"blocks": [(1, 10, 1_100), (12, None, 1_480)]}, "blocks"),
        ({"blocks": [(1, 10, 1_100), (11, 20, 1_480)]}, "blocks"),
        ({"blocks": [(1, 10, 1_100), (11, None, 0)]}, "blocks"),
        ({"blocks": []}, "blocks"),
        ({"fixed_charges": [{"kind": "other", "label": "", "amount": 1_000}]}, "fixed_charges"),
        ({"fixed_charges": [{"kind": "rent", "amount": 1_000}]}, "fixed_charges"),
        (
            {"fixed_charges": [{"kind": "meter_maintenance", "amount": 1_000, "meter_size": "7"}]},
            "fixed_charges",
        ),
        ({"fixed_charges": [{"kind": "administration", "amount": 0}]}, "fixed_charges"),
        (
            {
                "fixed_charges": [
                    {"kind": "administration", "amount": 1},
                    {"kind": "administration", "amount": 2},
                ]
            },
            "fixed_charges",
        ),
        ({"water_tax_rate_bp": 10_001}, "water_tax_rate_bp"),
    ],
)
def test_refusals_write_nothing(supervisor_user, overrides, field):
    with pytest.raises(ValidationError) as error:
        _create(supervisor_user, **overrides)
    assert field in error.value.message_dict
    assert _nothing_written()


def test_a_second_version_for_the_same_month_is_refused(supervisor_user):
    first = _create(supervisor_user)
    with pytest.raises(ValidationError) as error:
        _create(supervisor_user, blocks=[(1, None, 900)])
    assert "effective_from" in error.value.message_dict
    assert list(TariffVersion.objects.all()) == [first]
    assert TariffBlock.objects.filter(price_per_m3=900).count() == 0
    assert AuditEntry.objects.filter(action="tariff.create").count() == 1


def test_versions_of_other_months_and_classes_may_follow(supervisor_user):
    TariffVersionFactory(tariff_class=TariffClassFactory(code="2A"), effective_from=datetime.date(2026, 1, 1))
    _create(supervisor_user)
    _create(supervisor_user, effective_from=datetime.date(2027, 1, 1))
    _create(supervisor_user, tariff_class=TariffClassFactory(code="3A", name="Niaga Besar"))
    assert TariffVersion.objects.count() == 4


def test_flat_tariff_without_fixed_charges(supervisor_user):
    version = _create(supervisor_user, blocks=[(1, None, 780)], fixed_charges=[], minimum_usage_m3=0)
    assert [(b.from_m3, b.to_m3, b.price_per_m3) for b in version.blocks.all()] == [(1, None, 780)]
    assert not version.fixed_charges.exists()
