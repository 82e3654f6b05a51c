"""The demo utility's late-fee rules (seed_demo) and the denda they give its unpaid bills."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from arrears.models import LateFee, LateFeeRule
from arrears.services import late_fees_assess, late_fees_charge
from billing.models import Invoice
from payments.selectors import invoices_outstanding

pytestmark = pytest.mark.django_db


def test_seed_demo_sets_flat_rules_by_group_and_charges_the_overdue_bills():
    call_command("seed_demo", customers=40, quiet=True, demo_logins_in_production=True)
    rules = {
        (r.tariff_class.code if r.tariff_class else r.kelompok): r.amount for r in LateFeeRule.objects.all()
    }
    assert rules == {"I": 5_000, "II": 10_000, "III": 30_000, "KHUSUS": 30_000, "2C": 20_000}
    # The demo bills its past months today, so they fall due some days from now; a month on,
    # every unpaid one carries its group's flat denda, once.
    later = timezone.localdate() + datetime.timedelta(days=40)
    overdue = [
        invoice
        for customer_id in Invoice.objects.order_by().values_list("customer_id", flat=True).distinct()
        for invoice in invoices_outstanding(customer=customer_id)
        if invoice.due_date < later
    ]
    assert overdue
    assert late_fees_assess(on=later).fees_charged == len(overdue)
    assert late_fees_assess(on=later).fees_charged == 0
    owed = late_fees_charge(invoices=overdue, on=later)
    expected = {"I": 5_000, "II": 10_000, "III": 30_000, "KHUSUS": 30_000}
    for invoice in overdue:
        code = invoice.tariff_class.code
        assert owed[invoice.pk] == (20_000 if code == "2C" else expected[invoice.tariff_class.kelompok])
    # Seeding again changes nothing.
    call_command("seed_demo", customers=40, quiet=True, demo_logins_in_production=True)
    assert LateFeeRule.objects.count() == 5
    assert LateFee.objects.count() == len(overdue)
