"""Demo late-fee rules: flat per unpaid bill by tariff group, the shape most PDAMs publish
(Pontianak's: Rp 5.000 social, 10.000 / 20.000 households, 30.000 commercial and industry)."""

import datetime

from arrears.models import LateFeeRule, LateFeeShape
from arrears.services import late_fee_rule_create, late_fees_assess
from customers.models import Kelompok, TariffClass

# The demo decree has been in force for years: every demo bill falls under it.
DEMO_RULES_FROM = datetime.date(2020, 1, 1)
DEMO_DECREE = "Perbup No. 7 Tahun 2020"
DEMO_BY_KELOMPOK = {Kelompok.I: 5_000, Kelompok.II: 10_000, Kelompok.III: 30_000, Kelompok.KHUSUS: 30_000}
# Larger households pay the higher household rate.
DEMO_BY_CLASS = {"2C": 20_000}


def seed_late_fee_rules(*, today: datetime.date) -> tuple[int, int]:
    """The demo rules, once; then today's denda on the demo's unpaid bills.
    Returns (rules created, fees charged)."""
    created = 0
    if not LateFeeRule.objects.exists():
        for kelompok, amount in DEMO_BY_KELOMPOK.items():
            late_fee_rule_create(
                actor=None,
                kelompok=kelompok,
                effective_from=DEMO_RULES_FROM,
                shape=LateFeeShape.FLAT,
                amount=amount,
                decree=DEMO_DECREE,
                today=DEMO_RULES_FROM,
            )
            created += 1
        for tariff_class in TariffClass.objects.filter(code__in=DEMO_BY_CLASS):
            late_fee_rule_create(
                actor=None,
                tariff_class=tariff_class,
                effective_from=DEMO_RULES_FROM,
                shape=LateFeeShape.FLAT,
                amount=DEMO_BY_CLASS[tariff_class.code],
                decree=DEMO_DECREE,
                today=DEMO_RULES_FROM,
            )
            created += 1
    return created, late_fees_assess(on=today).fees_charged
