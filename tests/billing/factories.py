import datetime

import factory

from billing.models import FixedCharge, FixedChargeKind, TariffBlock, TariffVersion
from tests.customers.factories import TariffClassFactory

# Rumah Tangga A in the published table: Rp per m³ for 1–10 / 11–20 / 21–30 / >30 m³.
RT_A_BLOCKS = [(1, 10, 1_100), (11, 20, 1_480), (21, 30, 2_000), (31, None, 2_700)]


class TariffVersionFactory(factory.django.DjangoModelFactory):
    """A version with Rumah Tangga A's blocks and an Rp 11.500 administration fee.

    ``TariffVersionFactory(blocks=[(1, None, 780)], charges=[])`` gives other blocks or charges.
    """

    class Meta:
        model = TariffVersion
        skip_postgeneration_save = True

    tariff_class = factory.SubFactory(TariffClassFactory)
    effective_from = datetime.date(2026, 1, 1)
    minimum_usage_m3 = 10
    decree = "Perbup No. 12 Tahun 2025"

    @factory.post_generation
    def blocks(self, create: bool, extracted, **kwargs) -> None:
        rows = RT_A_BLOCKS if extracted is None else extracted
        TariffBlock.objects.bulk_create(
            TariffBlock(version=self, from_m3=f, to_m3=t, price_per_m3=p) for f, t, p in rows
        )

    @factory.post_generation
    def charges(self, create: bool, extracted, **kwargs) -> None:
        rows = (
            [{"kind": FixedChargeKind.ADMINISTRATION, "amount": 11_500}] if extracted is None else extracted
        )
        FixedCharge.objects.bulk_create(FixedCharge(version=self, **row) for row in rows)


class TariffBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffBlock

    version = factory.SubFactory(TariffVersionFactory, blocks=[])
    from_m3 = 1
    to_m3 = None
    price_per_m3 = 1_000


class FixedChargeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FixedCharge

    version = factory.SubFactory(TariffVersionFactory, charges=[])
    kind = FixedChargeKind.ADMINISTRATION
    label = ""
    amount = 10_000
