"""Every real late-fee rule of DESIGN.md §3 as a worked example with exact Rupiah.

Invoices fall due on 20 January 2026; denda starts the day after (21 January)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from arrears.models import LateFee, LateFeeShape
from arrears.rules import RuleSnapshot, add_months, months_late, steps_due
from arrears.services import late_fees_charge
from customers.models import Kelompok
from pdam.audit import audit_entries_for
from tests.arrears.factories import golongan, rule, unpaid_invoice

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 1, 20)
DAY_AFTER = datetime.date(2026, 1, 21)


def denda(invoice, on: datetime.date) -> int:
    return late_fees_charge(invoices=[invoice], on=on)[invoice.pk]


# --- PAM Jaya (Kepdir 60/2014): flat per unpaid bill, by golongan ------------------------------

PAM_JAYA = [
    ("K1", Kelompok.I, 10_000),
    ("K2", Kelompok.II, 10_000),
    ("K3", Kelompok.II, 15_000),
    ("K4A", Kelompok.III, 35_000),
    ("K4B", Kelompok.III, 75_000),
    ("KHUSUS", Kelompok.KHUSUS, 130_000),
]


@pytest.mark.parametrize(("code", "kelompok", "amount"), PAM_JAYA)
def test_pam_jaya_flat_fee_per_golongan(code, kelompok, amount):
    tariff_class = golongan(code, kelompok)
    rule(tariff_class=tariff_class, shape=LateFeeShape.FLAT, amount=amount)
    invoice = unpaid_invoice(tariff_class, 84_500)
    assert denda(invoice, DUE) == 0  # on the due date itself: no denda
    assert denda(invoice, DAY_AFTER) == amount
    # Flat: once per bill, however late it gets.
    assert denda(invoice, datetime.date(2026, 7, 1)) == amount
    assert list(LateFee.objects.values_list("invoice_id", "step", "amount")) == [(invoice.pk, 1, amount)]


# --- Pontianak: 5.000 social, 10.000 / 20.000 households, 30.000 commercial and industry --------


def test_pontianak_by_kelompok_with_household_classes():
    sosial = golongan("1A", Kelompok.I)
    rt_a, rt_b = golongan("2A", Kelompok.II), golongan("2B", Kelompok.II)
    niaga, industri = golongan("3A", Kelompok.III), golongan("3B", Kelompok.III)
    rule(kelompok=Kelompok.I, shape=LateFeeShape.FLAT, amount=5_000)
    rule(tariff_class=rt_a, shape=LateFeeShape.FLAT, amount=10_000)
    rule(tariff_class=rt_b, shape=LateFeeShape.FLAT, amount=20_000)
    rule(kelompok=Kelompok.III, shape=LateFeeShape.FLAT, amount=30_000)
    invoices = {
        tariff_class.code: unpaid_invoice(tariff_class, 60_000)
        for tariff_class in (sosial, rt_a, rt_b, niaga, industri)
    }
    owed = late_fees_charge(invoices=list(invoices.values()), on=DAY_AFTER)
    assert {code: owed[invoice.pk] for code, invoice in invoices.items()} == {
        "1A": 5_000,
        "2A": 10_000,
        "2B": 20_000,
        "3A": 30_000,
        "3B": 30_000,
    }


def test_a_golongan_rule_wins_over_its_kelompok_and_the_general_rule():
    rt_a, rt_b = golongan("2A", Kelompok.II), golongan("2B", Kelompok.II)
    rule(shape=LateFeeShape.FLAT, amount=1_000)  # every customer
    rule(kelompok=Kelompok.II, shape=LateFeeShape.FLAT, amount=10_000)
    rule(tariff_class=rt_b, shape=LateFeeShape.FLAT, amount=20_000)
    social = unpaid_invoice(golongan("1A", Kelompok.I), 40_000)
    a, b = unpaid_invoice(rt_a, 40_000), unpaid_invoice(rt_b, 40_000)
    assert late_fees_charge(invoices=[social, a, b], on=DAY_AFTER) == {
        social.pk: 1_000,
        a.pk: 10_000,
        b.pk: 20_000,
    }


# --- Pasaman (Perbup 2/2012): 2.500, 5.000, 7.500 for 1, 2, 3 months late, then 10.000 ---------


PASAMAN = [
    (DUE, 0),
    (DAY_AFTER, 2_500),  # month 1 late
    (datetime.date(2026, 2, 20), 2_500),
    (datetime.date(2026, 2, 21), 5_000),  # month 2
    (datetime.date(2026, 3, 21), 7_500),  # month 3
    (datetime.date(2026, 4, 20), 7_500),
    (datetime.date(2026, 4, 21), 10_000),  # month 4: the cap
    (datetime.date(2026, 12, 21), 10_000),  # month 12: still the cap
]


@pytest.mark.parametrize(("on", "total"), PASAMAN)
def test_pasaman_grows_with_months_late_up_to_the_cap(on, total):
    """The table gives the invoice's total denda for its month late (totals replace each other;
    they do not add up): Rp 10.000 is the most one bill ever carries."""
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.STEPS, step_totals=[2_500, 5_000, 7_500, 10_000])
    invoice = unpaid_invoice(tariff_class, 52_100)
    assert denda(invoice, on) == total


def test_pasaman_each_month_is_a_step_of_its_own_charged_once():
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.STEPS, step_totals=[2_500, 5_000, 7_500, 10_000])
    invoice = unpaid_invoice(tariff_class, 52_100)
    for on, _total in PASAMAN:  # asked every month, and twice on the same day
        denda(invoice, on)
        denda(invoice, on)
    assert list(LateFee.objects.order_by("step").values_list("step", "amount", "assessed_on")) == [
        (1, 2_500, DAY_AFTER),
        (2, 2_500, datetime.date(2026, 2, 21)),
        (3, 2_500, datetime.date(2026, 3, 21)),
        (4, 2_500, datetime.date(2026, 4, 21)),
    ]
    assert LateFee.objects.first().rule_snapshot == {
        "shape": "steps",
        "start_days_after_due": 1,
        "amount": 0,
        "step_totals": [2_500, 5_000, 7_500, 10_000],
        "percent_bp": 0,
    }


def test_a_late_first_look_charges_every_step_earned_so_far():
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.STEPS, step_totals=[2_500, 5_000, 7_500, 10_000])
    invoice = unpaid_invoice(tariff_class, 52_100)
    assert denda(invoice, datetime.date(2026, 3, 25)) == 7_500
    assert LateFee.objects.count() == 3


# --- Tirta Kahuripan: 10 % of the unpaid bill ---------------------------------------------------


@pytest.mark.parametrize(("principal", "fee"), [(47_300, 4_730), (52_105, 5_210), (9, 0)])
def test_tirta_kahuripan_ten_percent_of_the_bill_rounded_down(principal, fee):
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.PERCENT, percent_bp=1_000)
    invoice = unpaid_invoice(tariff_class, principal)
    assert denda(invoice, DAY_AFTER) == fee
    assert denda(invoice, datetime.date(2026, 6, 1)) == fee  # once per bill
    assert LateFee.objects.count() == (1 if fee else 0)


# --- Start day, versions, validation ---------------------------------------------------------------


def test_a_later_start_day():
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.FLAT, amount=10_000, start_days_after_due=10)
    invoice = unpaid_invoice(tariff_class, 40_000)
    assert denda(invoice, datetime.date(2026, 1, 29)) == 0
    assert denda(invoice, datetime.date(2026, 1, 30)) == 10_000


def test_the_version_in_force_on_the_due_date_applies():
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.FLAT, amount=10_000)
    rule(
        tariff_class=tariff_class,
        shape=LateFeeShape.FLAT,
        amount=15_000,
        effective_from=datetime.date(2026, 2, 1),
    )
    january = unpaid_invoice(tariff_class, 40_000)
    february = unpaid_invoice(tariff_class, 40_000, month=datetime.date(2026, 2, 1))
    on = datetime.date(2026, 3, 1)
    assert late_fees_charge(invoices=[january, february], on=on) == {january.pk: 10_000, february.pk: 15_000}


def test_no_rule_no_denda():
    invoice = unpaid_invoice(golongan("2A"), 40_000)
    assert denda(invoice, datetime.date(2026, 6, 1)) == 0
    assert not LateFee.objects.exists()


def test_months_late_counts_calendar_months_from_the_start_day():
    snapshot = RuleSnapshot(rule_id=1, shape="steps", start_days_after_due=1, step_totals=(1, 2, 3))
    due = datetime.date(2026, 1, 30)  # starts 31 January; month 2 from 28 February
    assert months_late(due, snapshot, datetime.date(2026, 1, 30)) == 0
    assert months_late(due, snapshot, datetime.date(2026, 1, 31)) == 1
    assert months_late(due, snapshot, datetime.date(2026, 2, 27)) == 1
    assert months_late(due, snapshot, datetime.date(2026, 2, 28)) == 2
    assert add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert steps_due(rule=snapshot, principal=0, due_date=due, on=datetime.date(2027, 1, 1)) == [
        (1, 1),
        (2, 1),
        (3, 1),
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"shape": "flat", "amount": 0}, "amount"),
        ({"shape": "percent", "percent_bp": 0}, "percent_bp"),
        ({"shape": "percent", "percent_bp": 10_001}, "percent_bp"),
        ({"shape": "steps", "step_totals": []}, "step_totals"),
        ({"shape": "steps", "step_totals": [5_000, 2_500]}, "step_totals"),
        ({"shape": "flat", "amount": 5_000, "start_days_after_due": 0}, "start_days_after_due"),
        ({"shape": "weekly", "amount": 5_000}, "shape"),
    ],
)
def test_bad_rules_are_refused_with_a_message(fields, field, supervisor_user):
    with pytest.raises(ValidationError) as refused:
        rule(actor=supervisor_user, **fields)
    assert field in refused.value.message_dict


def test_a_rule_cannot_start_in_the_past_nor_twice_on_a_day(supervisor_user):
    from arrears.services import late_fee_rule_create

    with pytest.raises(ValidationError, match="before today"):
        late_fee_rule_create(
            actor=supervisor_user,
            effective_from=datetime.date(2026, 1, 1),
            shape="flat",
            amount=5_000,
            today=datetime.date(2026, 1, 2),
        )
    first = rule(actor=supervisor_user, shape="flat", amount=5_000)
    with pytest.raises(ValidationError, match="already has a late-fee rule"):
        rule(actor=supervisor_user, shape="flat", amount=6_000)
    entry = audit_entries_for(first).get()
    assert entry.action == "late_fee_rule.create"
    assert entry.actor == supervisor_user
    assert entry.changes["amount"] == [None, 5_000]
