import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import translation

from customers.demo import TARIFF_CLASSES
from customers.models import TariffClass
from tests.billing.factories import TariffVersionFactory
from tests.customers.factories import RouteFactory, TariffClassFactory

# A fixed "today" in Makassar: November 2026 is the current month, so it is the earliest month a
# new tariff may take effect.
TODAY = datetime.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 2, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def english():
    """Messages compared with their English msgids, whatever the Indonesian catalogue holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def tariff_classes(db) -> dict[str, TariffClass]:
    """Every golongan of the demo registry, by code."""
    return {
        code: TariffClass.objects.get_or_create(
            code=code, defaults={"name": name, "kelompok": kelompok, "sort_order": i}
        )[0]
        for i, (code, name, kelompok, _share) in enumerate(TARIFF_CLASSES)
    }


@pytest.fixture
def grant():
    """``grant(user, "view_tariffversion", …)``: billing permissions given to one user directly."""

    def give(user, *codenames: str):
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)
        )
        return user

    return give


OLD_BLOCKS = [(1, 10, 1_000), (11, 20, 1_300), (21, 30, 1_800), (31, None, 2_500)]


@pytest.fixture
def rt_a(db):
    """Rumah Tangga A: 1.100 / 1.480 / 2.000 / 2.700 from October 2026, cheaper before."""
    tariff_class = TariffClassFactory(code="2A", name="Rumah Tangga A")
    TariffVersionFactory(
        tariff_class=tariff_class,
        effective_from=datetime.date(2026, 1, 1),
        blocks=OLD_BLOCKS,
        charges=[{"kind": "administration", "amount": 10_000}],
    )
    TariffVersionFactory(tariff_class=tariff_class, effective_from=datetime.date(2026, 10, 1))
    return tariff_class


@pytest.fixture
def route(db):
    return RouteFactory(code="01-001")
