"""Invoices ready to be paid, without running the bill run."""

import datetime

from billing.models import Invoice, InvoiceLine, TariffVersion
from customers.models import Customer
from meters.services import period_get_or_open
from tests.billing.factories import TariffVersionFactory


def invoice_for(customer: Customer, month: datetime.date, total: int, **fields) -> Invoice:
    """An issued invoice of `total` for `customer` in `month`: one water line of that amount."""
    version = TariffVersion.objects.filter(
        tariff_class=customer.tariff_class
    ).first() or TariffVersionFactory(
        tariff_class=customer.tariff_class, effective_from=datetime.date(2020, 1, 1)
    )
    period = period_get_or_open(month=month)
    invoice = Invoice.objects.create(
        number=f"{month:%Y%m}-{customer.number}",
        customer=customer,
        period=period,
        tariff_version=version,
        tariff_class=customer.tariff_class,
        route=customer.route,
        usage_m3=20,
        billed_usage_m3=20,
        total=total,
        due_date=month.replace(day=20),
        **fields,
    )
    InvoiceLine.objects.create(
        invoice=invoice, position=1, kind="water_block", description="Air", unit_price=total, amount=total
    )
    return invoice
