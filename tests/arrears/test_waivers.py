"""Pemutihan: waivers per customer or by filter, two people, audited; waived denda is not owed.

Flat Rp 10.000 per unpaid bill for golongan 2A, Rp 5.000 for 1A; bills of January and
February 2026, looked at on 10 March (both months late)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from arrears.models import LateFee, LateFeeShape, LateFeeWaiver, WaiverState
from arrears.services import (
    late_fee_waiver_approve,
    late_fee_waiver_reject,
    late_fee_waiver_request,
    late_fees_assess,
    late_fees_charge,
)
from customers.models import Kelompok
from meters.models import Period
from payments import cashier, services
from payments.models import PaymentAllocation
from pdam.audit import audit_entries_for
from tests.arrears.factories import golongan, rule
from tests.customers.factories import CustomerFactory, RouteFactory, ZoneFactory
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 3, 10)
JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture
def town():
    """Two zones; in zone 11 a 2A and a 1A customer, in zone 12 a 2A customer; each with
    January and February unpaid, and their denda charged."""
    rt, sosial = golongan("2A"), golongan("1A", Kelompok.I)
    rule(tariff_class=rt, shape=LateFeeShape.FLAT, amount=10_000)
    rule(tariff_class=sosial, shape=LateFeeShape.FLAT, amount=5_000)
    north, south = ZoneFactory(code="11"), ZoneFactory(code="12")
    customers = {
        "rt_north": CustomerFactory(tariff_class=rt, route=RouteFactory(zone=north)),
        "sosial_north": CustomerFactory(tariff_class=sosial, route=RouteFactory(zone=north)),
        "rt_south": CustomerFactory(tariff_class=rt, route=RouteFactory(zone=south)),
    }
    for customer in customers.values():
        invoice_for(customer, JAN, 50_000)
        invoice_for(customer, FEB, 50_000)
    late_fees_assess(on=ON)
    return {"rt": rt, "sosial": sosial, "north": north, "south": south, **customers}


def owed(customer) -> int:
    return sum(late_fees_charge(invoices=list(customer.invoices.all()), on=ON).values())


def test_waiver_for_one_customer_waives_only_theirs(town, cs_user, supervisor_user):
    waiver = late_fee_waiver_request(actor=cs_user, customer=town["rt_north"], reason="Rumah terbakar")
    assert owed(town["rt_north"]) == 20_000  # nothing waived before approval
    late_fee_waiver_approve(actor=supervisor_user, waiver=waiver, note="Disetujui")
    waiver.refresh_from_db()
    assert (waiver.state, waiver.fees_waived, waiver.amount_waived) == (WaiverState.APPROVED, 2, 20_000)
    assert owed(town["rt_north"]) == 0
    assert owed(town["sosial_north"]) == 5_000 * 2
    assert owed(town["rt_south"]) == 20_000
    # The fees stay, marked with the waiver that took them off (the LPP shows what was waived).
    assert LateFee.objects.filter(waiver=waiver).count() == 2
    assert LateFee.objects.count() == 6
    actions = [entry.action for entry in audit_entries_for(waiver).order_by("pk")]
    assert actions == ["late_fee_waiver.request", "late_fee_waiver.approve"]
    approve = audit_entries_for(waiver).get(action="late_fee_waiver.approve")
    assert approve.actor == supervisor_user
    assert approve.changes["amount_waived"] == [0, 20_000]


def test_waiver_by_period_golongan_and_zone(town, cs_user, supervisor_user):
    january = Period.objects.get(month=JAN)
    waiver = late_fee_waiver_request(
        actor=cs_user, period=january, tariff_class=town["rt"], zone=town["north"], reason="Banjir Januari"
    )
    late_fee_waiver_approve(actor=supervisor_user, waiver=waiver)
    waiver.refresh_from_db()
    assert (waiver.fees_waived, waiver.amount_waived) == (1, 10_000)
    assert owed(town["rt_north"]) == 10_000  # February's denda still owed
    assert owed(town["rt_south"]) == 20_000


def test_waiver_by_golongan_across_zones(town, cs_user, supervisor_user):
    waiver = late_fee_waiver_request(actor=cs_user, tariff_class=town["sosial"], reason="Program MBR")
    late_fee_waiver_approve(actor=supervisor_user, waiver=waiver)
    assert (owed(town["rt_north"]), owed(town["sosial_north"]), owed(town["rt_south"])) == (20_000, 0, 20_000)


def test_the_requester_cannot_approve_and_nothing_is_waived(town, supervisor_user):
    waiver = late_fee_waiver_request(actor=supervisor_user, customer=town["rt_north"], reason="Banjir")
    with pytest.raises(ValidationError, match="second person"):
        late_fee_waiver_approve(actor=supervisor_user, waiver=waiver)
    waiver.refresh_from_db()
    assert waiver.state == WaiverState.REQUESTED
    assert not LateFee.objects.filter(waiver__isnull=False).exists()
    # The database refuses it too.
    waiver.decided_by = supervisor_user
    with pytest.raises(IntegrityError), transaction.atomic():
        waiver.save()


def test_a_decided_waiver_is_decided_once(town, cs_user, supervisor_user, admin_user):
    waiver = late_fee_waiver_request(actor=cs_user, customer=town["rt_north"], reason="Banjir")
    late_fee_waiver_reject(actor=supervisor_user, waiver=waiver, note="Tidak ada bukti")
    with pytest.raises(ValidationError, match="already decided"):
        late_fee_waiver_approve(actor=admin_user, waiver=waiver)
    assert owed(town["rt_north"]) == 20_000
    assert audit_entries_for(waiver).filter(action="late_fee_waiver.reject").get().reason == "Tidak ada bukti"


def test_a_rejection_needs_a_reason(town, cs_user, supervisor_user):
    waiver = late_fee_waiver_request(actor=cs_user, customer=town["rt_north"], reason="Banjir")
    with pytest.raises(ValidationError):
        late_fee_waiver_reject(actor=supervisor_user, waiver=waiver, note=" ")


def test_a_request_needs_a_reason_and_a_filter(cs_user):
    with pytest.raises(ValidationError):
        late_fee_waiver_request(actor=cs_user, reason="Banjir")
    with pytest.raises(ValidationError):
        late_fee_waiver_request(actor=cs_user, zone=ZoneFactory(), reason="")
    assert not LateFeeWaiver.objects.exists()


def test_denda_already_paid_is_not_waived(town, cs_user, supervisor_user, cashier_user):
    customer = town["rt_north"]
    january = customer.invoices.get(period__month=JAN)
    with time_machine.travel(datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC), tick=False):
        cashier.shift_open(cashier=cashier_user, opening_float=0)
        services.cash_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[january.pk], tendered=60_000
        )
    waiver = late_fee_waiver_request(actor=cs_user, customer=customer, reason="Banjir")
    late_fee_waiver_approve(actor=supervisor_user, waiver=waiver)
    waiver.refresh_from_db()
    assert (waiver.fees_waived, waiver.amount_waived) == (1, 10_000)  # February's only
    assert PaymentAllocation.objects.get().surcharge == 10_000
    assert LateFee.objects.get(invoice=january).waiver is None


def test_a_waived_step_is_not_charged_again_and_later_steps_still_are(cs_user, supervisor_user):
    rt = golongan("2A")
    rule(tariff_class=rt, shape=LateFeeShape.STEPS, step_totals=[2_500, 5_000, 7_500, 10_000])
    customer = CustomerFactory(tariff_class=rt)
    invoice = invoice_for(customer, JAN, 50_000)
    late_fees_assess(on=datetime.date(2026, 2, 21))  # two steps: 5.000
    waiver = late_fee_waiver_request(actor=cs_user, customer=customer, reason="Pemutihan HUT kota")
    late_fee_waiver_approve(actor=supervisor_user, waiver=waiver)
    for _ in range(3):
        late_fees_assess(on=datetime.date(2026, 2, 21))
    assert late_fees_charge(invoices=[invoice], on=datetime.date(2026, 2, 21)) == {invoice.pk: 0}
    # The waiver took off the denda charged so far; a later month still earns its step.
    assert late_fees_charge(invoices=[invoice], on=datetime.date(2026, 3, 21)) == {invoice.pk: 2_500}
