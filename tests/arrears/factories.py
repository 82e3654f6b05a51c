"""Late-fee rules and invoices for the arrears tests."""

import datetime

from arrears.models import LateFeeRule
from arrears.services import late_fee_rule_create
from customers.models import Kelompok, TariffClass
from tests.customers.factories import CustomerFactory, TariffClassFactory
from tests.payments.factories import invoice_for

# Rules in these tests are in force from 1 January 2026; invoices fall due on the 20th.
RULES_FROM = datetime.date(2026, 1, 1)
JAN = datetime.date(2026, 1, 1)


def rule(*, actor=None, effective_from=RULES_FROM, **fields) -> LateFeeRule:
    """A rule through the service (validated, audited), as if written on its first day."""
    return late_fee_rule_create(actor=actor, effective_from=effective_from, today=effective_from, **fields)


def golongan(code: str, kelompok: str = Kelompok.II) -> TariffClass:
    return TariffClassFactory(code=code, name=f"Golongan {code}", kelompok=kelompok)


def unpaid_invoice(tariff_class: TariffClass, total: int, month: datetime.date = JAN, **customer_fields):
    """An issued invoice of `total` due on the 20th of `month` for a new customer of that class."""
    return invoice_for(CustomerFactory(tariff_class=tariff_class, **customer_fields), month, total)
