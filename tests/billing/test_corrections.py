"""Koreksi rekening with worked examples: cancel-and-reissue, four eyes, what was paid, the pages.

Rumah Tangga A (`rt_a` in conftest) from October 2026: 1.100 / 1.480 / 2.000 / 2.700 per m³,
administration Rp 11.500.
"""

import datetime
import threading

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections
from django.test import Client
from django.urls import reverse

from billing import closing, extensions
from billing.corrections import (
    correction_preview,
    invoice_correction_approve,
    invoice_correction_reject,
    invoice_correction_request,
)
from billing.extensions import paid_amount, register_paid_amount_provider, unregister_paid_amount_provider
from billing.models import CorrectionKind, CorrectionState, Invoice, InvoiceCorrection, InvoiceStatus
from customers.services import customer_update
from meters import services as meters
from meters.models import Anomaly, Reading, ReadingMethod, ReadingStatus
from pdam.audit import audit_entries_for
from pdam.roles import Role, user_create
from tests.billing.factories import TariffVersionFactory
from tests.billing.test_bill_run import connect, lines_of, period, read, run
from tests.customers.factories import TariffClassFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NEW_READING, OTHER = CorrectionKind.NEW_READING, CorrectionKind.OTHER
NOVEMBER = datetime.date(2026, 11, 1)

# 25 m³: 10 × 1.100 + 10 × 1.480 + 5 × 2.000 = 35.800 water, + 11.500 = 47.300
LINES_25 = [
    ("water_block", 10, 1_100, 11_000),
    ("water_block", 10, 1_480, 14_800),
    ("water_block", 5, 2_000, 10_000),
    ("fixed", None, 11_500, 11_500),
]


@pytest.fixture
def niaga_besar(db):
    tariff_class = TariffClassFactory(code="4B", name="Niaga Besar")
    TariffVersionFactory(
        tariff_class=tariff_class,
        effective_from=datetime.date(2026, 1, 1),
        blocks=[(1, 10, 2_060), (11, 20, 2_920), (21, 30, 3_950), (31, None, 5_160)],
        charges=[{"kind": "administration", "amount": 26_000}],
    )
    return tariff_class


@pytest.fixture
def second_supervisor(db):
    return user_create(username="agus_supervisor", password="a-Long-test-passw0rd", role=Role.SUPERVISOR)


@pytest.fixture
def paid():
    """A fake payments app: ``paid[invoice number] = Rupiah``, in place of the real one for the test."""
    amounts: dict[str, int] = {}

    def provider(invoice: Invoice) -> int:
        return amounts.get(invoice.number, 0)

    real = extensions._paid_amount_slot.function
    if real is not None:
        unregister_paid_amount_provider(real)
    register_paid_amount_provider(provider)
    yield amounts
    unregister_paid_amount_provider(provider)
    if real is not None:
        register_paid_amount_provider(real)


@pytest.fixture
def invoice_35(cs_user, supervisor_user, route, rt_a) -> Invoice:
    """November billed from 100 → 135: 35 m³.

    11.000 + 14.800 + 20.000 + 5 × 2.700 = 59.300 water, + 11.500 = 70.800.
    """
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=135)
    run(supervisor_user, 11)
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.total == 70_800
    return invoice


def request_stand(actor, invoice, stand, reason="Meter misread: 125, not 135 (photo checked)"):
    return invoice_correction_request(
        actor=actor, invoice=invoice, kind=NEW_READING, proposed_stand=stand, reason=reason
    )


def actions(obj) -> list[str]:
    return sorted(audit_entries_for(obj).values_list("action", flat=True))


# --- Cancel and reissue ------------------------------------------------------------------------


def test_new_reading_cancels_reissues_and_credits_what_was_paid(cs_user, supervisor_user, invoice_35, paid):
    closing.period_close(actor=supervisor_user, period=period(11))  # billed: readings locked
    with pytest.raises(ValidationError, match="locked"):
        read(cs_user, invoice_35.customer, 11, stand=125)
    paid[invoice_35.number] = 70_800  # the customer paid the wrong bill in full

    correction = request_stand(cs_user, invoice_35, 125)
    assert correction.state == CorrectionState.PENDING
    approved = invoice_correction_approve(actor=supervisor_user, correction=correction, note="Photo agrees")

    original = Invoice.objects.get(pk=invoice_35.pk)
    replacement = Invoice.objects.get(replaces=original)
    assert (original.status, original.cancel_reason) == (InvoiceStatus.CANCELLED, correction.reason)
    assert original.cancelled_at is not None
    assert original.replaced_by == replacement
    assert replacement.number == f"202611-{original.customer.number}-K1"
    assert lines_of(replacement) == LINES_25
    assert replacement.total == 47_300
    assert (replacement.previous_stand, replacement.current_stand, replacement.usage_m3) == (100, 125, 25)
    assert replacement.status == InvoiceStatus.ISSUED
    # Both issued on 25 November (conftest's today), so both due 14 days later, not on 20 November.
    assert replacement.due_date == original.due_date == datetime.date(2026, 12, 9)
    assert replacement.tariff_version_id == original.tariff_version_id
    assert replacement.reading_id == original.reading_id
    assert replacement.bill_run_id is None

    reading = Reading.objects.get(pk=original.reading_id)
    assert (reading.stand, reading.usage_m3, reading.status) == (125, 25, ReadingStatus.OK)
    assert reading.verified_by == supervisor_user
    [reading_audit] = audit_entries_for(reading).filter(action="reading.correct_billed")
    assert reading_audit.changes == {"stand": [135, 125], "usage_m3": [35, 25]}
    assert (reading_audit.actor, reading_audit.reason) == (supervisor_user, correction.reason)

    assert approved.state == CorrectionState.APPROVED
    assert (approved.decided_by, approved.decision_note) == (supervisor_user, "Photo agrees")
    assert approved.replacement == replacement
    # 47.300 − 70.800 paid: a credit of 23.500 for payments to hand back
    assert (approved.paid_before, approved.difference) == (70_800, -23_500)
    assert actions(original) == ["invoice.cancel"]
    assert actions(replacement) == ["invoice.issue_replacement"]
    assert actions(approved) == ["invoice_correction.approve", "invoice_correction.request"]
    approval = audit_entries_for(approved).get(action="invoice_correction.approve")
    assert approval.changes["difference"] == [None, -23_500]
    assert approval.actor == supervisor_user


def test_nothing_paid_leaves_the_whole_replacement_due(cs_user, supervisor_user, invoice_35):
    assert paid_amount(invoice_35) == 0  # nothing paid
    correction = request_stand(cs_user, invoice_35, 125)
    approved = invoice_correction_approve(actor=supervisor_user, correction=correction)
    assert (approved.paid_before, approved.difference) == (0, 47_300)


def test_a_replacement_issued_later_gets_its_own_fair_due_date(cs_user, supervisor_user, invoice_35):
    assert invoice_35.due_date == datetime.date(2026, 12, 9)  # issued 25 November
    correction = request_stand(cs_user, invoice_35, 125)
    with time_machine.travel(datetime.datetime(2026, 12, 4, 1, 0, tzinfo=datetime.UTC), tick=False):
        invoice_correction_approve(actor=supervisor_user, correction=correction)
    # Reissued on 4 December: 4 Dec + 14 days, not the cancelled bill's 9 December.
    assert Invoice.objects.get(replaces=invoice_35).due_date == datetime.date(2026, 12, 18)


def test_a_replacement_corrected_again_is_numbered_k2(cs_user, supervisor_user, invoice_35, paid):
    first = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 125)
    )
    k1 = first.replacement
    paid[k1.number] = 47_300
    second = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, k1, 120, reason="Read again on site: 120")
    )
    k2 = second.replacement
    # 20 m3: 11.000 + 14.800 + 11.500 = 37.300; 47.300 paid on K1: 10.000 credit
    assert k2.number == f"202611-{invoice_35.customer.number}-K2"
    assert (k2.total, k2.replaces_id) == (37_300, k1.pk)
    assert Invoice.objects.get(pk=k1.pk).status == InvoiceStatus.CANCELLED
    assert (second.paid_before, second.difference) == (47_300, -10_000)
    assert list(Invoice.objects.filter(status=InvoiceStatus.ISSUED)) == [k2]


def test_an_estimate_corrected_with_a_stand_becomes_an_actual_reading(
    cs_user, supervisor_user, route, rt_a, paid
):
    customer = connect(cs_user, route, rt_a)
    for month, stand in [(8, 120), (9, 140), (10, 160)]:
        read(cs_user, customer, month, stand=stand)
    read(cs_user, customer, 11, anomaly=Anomaly.LOCKED)  # estimated: 20 m3, 37.300
    run(supervisor_user, 11)
    estimate = Invoice.objects.get(customer=customer, period__month=NOVEMBER)
    assert (estimate.estimated, estimate.total) == (True, 37_300)
    paid[estimate.number] = 37_300

    correction = request_stand(cs_user, estimate, 190, reason="The gate was open after all: 190")
    approved = invoice_correction_approve(actor=supervisor_user, correction=correction)

    # 160 → 190: 30 m3 = 11.000 + 14.800 + 20.000 + 11.500 = 57.300; 20.000 more than paid
    replacement = approved.replacement
    assert (replacement.estimated, replacement.usage_m3, replacement.total) == (False, 30, 57_300)
    assert approved.difference == 20_000
    reading = Reading.objects.get(pk=estimate.reading_id)
    assert (reading.estimated, reading.stand, reading.anomaly, reading.method) == (
        False,
        190,
        "",
        ReadingMethod.OFFICE,
    )


def test_a_reading_over_two_months_is_spread_again_and_trued_up_again(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    for month, stand in [(7, 120), (8, 140), (9, 160)]:
        read(cs_user, customer, month, stand=stand)
    read(cs_user, customer, 10, anomaly=Anomaly.LOCKED)  # October estimated: 20 m3, 25.800 water
    run(supervisor_user, 10)
    read(cs_user, customer, 11, stand=210)  # 50 m3 over October and November
    run(supervisor_user, 11)
    november = Invoice.objects.get(customer=customer, period__month=NOVEMBER)
    assert november.total == 57_300  # 25 m3 each: 47.300 + a 10.000 true-up of October

    # Nothing changed yet: recomputing reproduces the bill run's invoice line for line.
    unchanged = InvoiceCorrection(invoice=november, kind=OTHER, reason="check", requested_by=cs_user)
    assert [
        (line.kind, line.quantity_m3, line.amount)
        for line in correction_preview(correction=unchanged).draft.lines
    ] == [(line.kind, line.quantity_m3, line.amount) for line in november.lines.all()]

    correction = request_stand(cs_user, november, 206, reason="Stand was 206")
    replacement = invoice_correction_approve(actor=supervisor_user, correction=correction).replacement

    # 160 → 206: 46 m3, 23 each. October re-rated: 11.000 + 14.800 + 6.000 = 31.800 against
    # 25.800 billed: +6.000. November's own 23 m3: 31.800 + 11.500 = 43.300. Total 49.300.
    assert lines_of(replacement) == [
        ("water_block", 10, 1_100, 11_000),
        ("water_block", 10, 1_480, 14_800),
        ("water_block", 3, 2_000, 6_000),
        ("fixed", None, 11_500, 11_500),
        ("adjustment", 3, 6_000, 6_000),
    ]
    assert replacement.total == 49_300
    assert (replacement.usage_m3, replacement.billed_usage_m3) == (46, 23)


def test_other_recomputes_at_the_customer_s_corrected_tariff_class(
    cs_user, supervisor_user, invoice_35, niaga_besar
):
    correction = invoice_correction_request(
        actor=cs_user, invoice=invoice_35, kind=OTHER, reason="A shop since 2025: Niaga Besar, not RT A"
    )
    customer_update(
        actor=cs_user, customer=invoice_35.customer, tariff_class=niaga_besar, reason="Registry corrected"
    )
    replacement = invoice_correction_approve(actor=supervisor_user, correction=correction).replacement

    # 35 m3 at Niaga Besar: 20.600 + 29.200 + 39.500 + 5 × 5.160 = 115.100, + 26.000 = 141.100
    assert replacement.total == 141_100
    assert replacement.tariff_class == niaga_besar
    assert replacement.tariff_version.tariff_class == niaga_besar
    assert (replacement.current_stand, replacement.usage_m3) == (135, 35)  # the reading stays
    assert Reading.objects.get(pk=invoice_35.reading_id).stand == 135
    assert (
        not audit_entries_for(Reading.objects.get(pk=invoice_35.reading_id))
        .filter(action="reading.correct_billed")
        .exists()
    )


def test_other_that_would_change_nothing_is_refused(cs_user, supervisor_user, invoice_35):
    correction = invoice_correction_request(
        actor=cs_user, invoice=invoice_35, kind=OTHER, reason="Wrong class?"
    )
    with pytest.raises(ValidationError, match="same as the invoice"):
        invoice_correction_approve(actor=supervisor_user, correction=correction)
    assert Invoice.objects.get(pk=invoice_35.pk).status == InvoiceStatus.ISSUED
    assert InvoiceCorrection.objects.get(pk=correction.pk).state == CorrectionState.PENDING


# --- Four eyes, rejection, refusals -------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_correction(supervisor_user, second_supervisor, invoice_35):
    correction = request_stand(supervisor_user, invoice_35, 125)
    with pytest.raises(ValidationError, match="another supervisor must approve it"):
        invoice_correction_approve(actor=supervisor_user, correction=correction)
    assert InvoiceCorrection.objects.get(pk=correction.pk).state == CorrectionState.PENDING
    assert Invoice.objects.get(pk=invoice_35.pk).status == InvoiceStatus.ISSUED
    assert Reading.objects.get(pk=invoice_35.reading_id).stand == 135

    assert invoice_correction_approve(actor=second_supervisor, correction=correction).state == "approved"


def test_the_database_refuses_an_approval_by_the_requester(supervisor_user, invoice_35):
    correction = request_stand(supervisor_user, invoice_35, 125)
    with pytest.raises(IntegrityError):
        InvoiceCorrection.objects.filter(pk=correction.pk).update(
            state="approved", decided_by=supervisor_user, decided_at=invoice_35.issued_at,
            replacement=invoice_35, paid_before=0, difference=0,
        )  # fmt: skip


def test_rejection_records_who_and_why_and_changes_nothing_else(cs_user, supervisor_user, invoice_35):
    correction = request_stand(cs_user, invoice_35, 125)
    with pytest.raises(ValidationError, match="Say why"):
        invoice_correction_reject(actor=supervisor_user, correction=correction, note="  ")

    rejected = invoice_correction_reject(actor=supervisor_user, correction=correction, note="Photo shows 135")

    assert (rejected.state, rejected.decided_by, rejected.decision_note) == (
        CorrectionState.REJECTED,
        supervisor_user,
        "Photo shows 135",
    )
    assert rejected.replacement is None and rejected.difference is None
    assert Invoice.objects.get(pk=invoice_35.pk).status == InvoiceStatus.ISSUED
    assert Invoice.objects.count() == 1
    assert Reading.objects.get(pk=invoice_35.reading_id).stand == 135
    assert actions(rejected) == ["invoice_correction.reject", "invoice_correction.request"]
    with pytest.raises(ValidationError, match="rejected already"):
        invoice_correction_approve(actor=supervisor_user, correction=correction)
    # Decided: the invoice may be asked about again.
    assert request_stand(cs_user, invoice_35, 126).state == CorrectionState.PENDING


def test_one_pending_correction_per_invoice(cs_user, supervisor_user, invoice_35):
    request_stand(cs_user, invoice_35, 125)
    with pytest.raises(ValidationError, match="waiting for approval already"):
        request_stand(supervisor_user, invoice_35, 120)
    with pytest.raises(IntegrityError):
        InvoiceCorrection.objects.create(invoice=invoice_35, kind=OTHER, reason="x", requested_by=cs_user)


def test_a_cancelled_invoice_cannot_be_corrected(cs_user, supervisor_user, invoice_35):
    replacement = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 125)
    ).replacement
    with pytest.raises(ValidationError, match=f"correct its replacement {replacement.number} instead"):
        request_stand(cs_user, Invoice.objects.get(pk=invoice_35.pk), 120)
    assert InvoiceCorrection.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "stand", "reason", "field", "message"),
    [
        (NEW_READING, 125, "   ", "reason", "Say why"),
        (NEW_READING, None, "Misread", "proposed_stand", "Type the stand"),
        (OTHER, 125, "Wrong class", "proposed_stand", "leave it empty"),
        ("tariff", None, "Wrong class", "kind", "Choose what is wrong"),
        (NEW_READING, 135, "Misread", "proposed_stand", "already billed"),
        (NEW_READING, 90, "Misread", "proposed_stand", "lower than the last stand 100"),
        (NEW_READING, 100_000, "Misread", "proposed_stand", "beyond this meter's register"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(cs_user, invoice_35, kind, stand, reason, field, message):
    with pytest.raises(ValidationError) as refused:
        invoice_correction_request(
            actor=cs_user, invoice=invoice_35, kind=kind, proposed_stand=stand, reason=reason
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert not InvoiceCorrection.objects.exists()
    assert Reading.objects.get(pk=invoice_35.reading_id).stand == 135


def read_december(cs_user, customer, stand=165, anomaly=""):
    return meters.reading_record(  # December's reading starts from November's stand
        actor=cs_user, customer=customer, period=period(12), stand=stand, anomaly=anomaly,
        read_on=datetime.date(2026, 11, 25), method=ReadingMethod.FIELD,
    )  # fmt: skip


def bill_december(supervisor_user):
    with time_machine.travel(datetime.datetime(2026, 12, 20, 2, 0, tzinfo=datetime.UTC), tick=False):
        run(supervisor_user, 12)


# 30 m³: 11.000 + 14.800 + 10 × 2.000 = 45.800 water, + 11.500 = 57.300
LINES_30 = [*LINES_25[:2], ("water_block", 10, 2_000, 20_000), ("fixed", None, 11_500, 11_500)]
# 40 m³: 11.000 + 14.800 + 20.000 + 10 × 2.700 = 72.800 water, + 11.500 = 84.300
LINES_40 = [*LINES_30[:3], ("water_block", 10, 2_700, 27_000), ("fixed", None, 11_500, 11_500)]


def test_an_older_month_is_re_rated_and_the_next_month_replaced_in_the_chain(
    cs_user, supervisor_user, invoice_35, paid
):
    """November read 135 (35 m³, 70.800), December 165 (30 m³, 57.300): 128.100 billed. The
    November stand was really 125: November 25 m³ (47.300), December 40 m³ (84.300), 131.600 —
    3.500 more, as the 10 m³ moved into December fall in its dearest block (2.700 against the
    2.000 and 2.700 they cost in November)."""
    read_december(cs_user, invoice_35.customer)
    bill_december(supervisor_user)
    december = Invoice.objects.get(customer=invoice_35.customer, period=period(12))
    assert (december.usage_m3, lines_of(december), december.total) == (30, LINES_30, 57_300)
    paid[december.number] = 57_300  # December was paid in full

    correction = request_stand(cs_user, invoice_35, 125)
    preview = correction_preview(correction=correction)
    assert preview.problem == ""
    page = _client(supervisor_user).get(reverse("billing:correction_detail", args=[correction.pk]))
    assert "Next month, recounted" in page.content.decode() and "84.300" in page.content.decode()
    assert (preview.draft.total, preview.following, preview.following_draft.total) == (
        47_300,
        december,
        84_300,
    )
    assert Reading.objects.get(pk=december.reading_id).usage_m3 == 30  # a preview writes nothing

    approved = invoice_correction_approve(actor=supervisor_user, correction=correction)

    november_k1, december_k1 = approved.replacement, approved.carried_replacement
    assert (november_k1.number, november_k1.usage_m3, lines_of(november_k1), november_k1.total) == (
        f"{invoice_35.number}-K1",
        25,
        LINES_25,
        47_300,
    )
    assert (december_k1.number, december_k1.replaces, december_k1.previous_stand) == (
        f"{december.number}-K1",
        december,
        125,
    )
    assert (december_k1.current_stand, december_k1.usage_m3, december_k1.total) == (165, 40, 84_300)
    assert lines_of(december_k1) == LINES_40
    assert november_k1.total + december_k1.total == 131_600 == 70_800 + 57_300 + 3_500
    assert set(Invoice.objects.filter(status=InvoiceStatus.ISSUED).values_list("number", flat=True)) == {
        november_k1.number,
        december_k1.number,
    }
    december.refresh_from_db()
    assert december.status == InvoiceStatus.CANCELLED
    assert invoice_35.number in december.cancel_reason
    after = Reading.objects.get(pk=december.reading_id)
    assert (after.previous_stand, after.stand, after.usage_m3) == (125, 165, 40)
    assert "reading.restart_from_corrected" in actions(after)
    assert actions(december) == ["invoice.cancel"]
    assert actions(december_k1) == ["invoice.issue_replacement"]
    assert "invoice_correction.carry" in actions(approved)
    carry = audit_entries_for(approved).get(action="invoice_correction.carry")
    assert carry.changes["difference"] == [None, 84_300 - 57_300]
    page = (
        _client(supervisor_user)
        .get(reverse("billing:correction_detail", args=[correction.pk]))
        .content.decode()
    )
    assert december.number in page and december_k1.number in page and "Next month, original" in page


def test_a_later_reading_not_billed_yet_is_only_recounted(cs_user, supervisor_user, invoice_35):
    december_reading = read_december(cs_user, invoice_35.customer)
    approved = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 125)
    )
    assert approved.carried_replacement is None
    assert approved.replacement.total == 47_300
    december_reading.refresh_from_db()
    assert (december_reading.previous_stand, december_reading.usage_m3) == (125, 40)
    bill_december(supervisor_user)
    december = Invoice.objects.get(customer=invoice_35.customer, period=period(12))
    assert (december.usage_m3, lines_of(december), december.total) == (40, LINES_40, 84_300)


def test_a_stand_above_the_next_reading_is_refused_and_writes_nothing(cs_user, supervisor_user, invoice_35):
    read_december(cs_user, invoice_35.customer)
    bill_december(supervisor_user)
    with pytest.raises(ValidationError, match="higher than the next reading's stand 165"):
        request_stand(cs_user, invoice_35, 166)
    correction = request_stand(cs_user, invoice_35, 165)  # 65 m³ in November, none in December
    december = Invoice.objects.get(customer=invoice_35.customer, period=period(12))
    invoice_correction_request(
        actor=cs_user, invoice=december, kind=OTHER, reason="Wrong tariff class, checking"
    )
    with pytest.raises(ValidationError, match="waits for a correction of its own"):
        invoice_correction_approve(actor=supervisor_user, correction=correction)
    assert "waits for a correction of its own" in correction_preview(correction=correction).problem
    assert Invoice.objects.filter(status=InvoiceStatus.CANCELLED).count() == 0
    assert Reading.objects.get(pk=invoice_35.reading_id).stand == 135
    assert Reading.objects.get(pk=december.reading_id).usage_m3 == 30


def test_an_estimated_next_month_cannot_be_recounted(cs_user, supervisor_user, invoice_35):
    read_december(cs_user, invoice_35.customer, stand=None, anomaly=Anomaly.LOCKED)
    with pytest.raises(ValidationError, match="cannot be recounted from this stand"):
        request_stand(cs_user, invoice_35, 125)
    assert Reading.objects.get(pk=invoice_35.reading_id).stand == 135


def test_the_invoice_pages_show_the_chain(cs_user, supervisor_user, invoice_35):
    read_december(cs_user, invoice_35.customer)
    bill_december(supervisor_user)
    december = Invoice.objects.get(customer=invoice_35.customer, period=period(12))
    approved = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 125)
    )
    client = _client(supervisor_user)
    detail = lambda number: client.get(reverse("billing:invoice_detail", args=[number])).content.decode()  # noqa: E731
    november_page = detail(approved.replacement.number)
    assert (
        "Its next month was recounted" in november_page
        and approved.carried_replacement.number in november_page
    )
    december_page = detail(approved.carried_replacement.number)
    assert "Recounted from the corrected stand of" in december_page
    assert approved.replacement.number in december_page and december.number in december_page


def test_one_paid_amount_provider_at_a_time(paid):
    with pytest.raises(RuntimeError):
        register_paid_amount_provider(lambda invoice: 0)


def test_a_provider_must_answer_whole_rupiah(invoice_35, paid):
    paid[invoice_35.number] = 70_800.0
    with pytest.raises(TypeError):
        paid_amount(invoice_35)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (row locks across connections)"
)
def test_two_approvals_at_once_issue_one_replacement(cs_user, supervisor_user, second_supervisor, invoice_35):
    correction = request_stand(cs_user, invoice_35, 125)
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(actor):
        try:
            barrier.wait()
            invoice_correction_approve(actor=actor, correction=correction)
            outcomes.append("approved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(a,)) for a in (supervisor_user, second_supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["approved", "refused"]
    assert Invoice.objects.filter(replaces=invoice_35).count() == 1
    assert Invoice.objects.filter(status=InvoiceStatus.ISSUED).count() == 1
    assert audit_entries_for(Reading.objects.get(pk=invoice_35.reading_id)).count() == 2  # entry, correction


# --- The pages ----------------------------------------------------------------------------------


def _client(user) -> Client:
    """A logged-in client that chose English, so pages compare with the English msgids."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def requester(cs_user, grant):
    return grant(cs_user, "add_invoicecorrection", "view_invoicecorrection")


@pytest.fixture
def approver(supervisor_user, grant):
    return grant(
        supervisor_user, "add_invoicecorrection", "view_invoicecorrection", "approve_invoicecorrection"
    )


def test_request_page_then_the_proposal_is_shown(requester, invoice_35):
    client = _client(requester)
    url = reverse("billing:correction_request", args=[invoice_35.number])
    assert invoice_35.number in client.get(url).content.decode()

    response = client.post(url, {"kind": NEW_READING, "proposed_stand": "125", "reason": "Misread"})

    correction = InvoiceCorrection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:correction_detail", args=[correction.pk])
    assert (correction.kind, correction.proposed_stand, correction.requested_by) == (
        NEW_READING,
        125,
        requester,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Rp 70.800" in page and "Rp 47.300" in page  # the original and the proposed replacement
    assert 'value="approve"' not in page  # CS staff cannot decide


def test_a_refused_request_shows_why_and_writes_nothing(requester, invoice_35):
    url = reverse("billing:correction_request", args=[invoice_35.number])
    response = _client(requester).post(
        url, {"kind": NEW_READING, "proposed_stand": "90", "reason": "Misread"}
    )
    assert response.status_code == 200
    assert "lower than the last stand 100" in response.content.decode()
    assert not InvoiceCorrection.objects.exists()


def test_a_supervisor_approves_from_the_page(requester, approver, invoice_35):
    correction = request_stand(requester, invoice_35, 125)
    url = reverse("billing:correction_detail", args=[correction.pk])
    page = _client(approver).get(url).content.decode()
    assert 'value="approve"' in page and "Rp 47.300" in page

    response = _client(approver).post(url, {"decision": "approve", "note": "OK"}, follow=True)

    correction.refresh_from_db()
    assert correction.state == CorrectionState.APPROVED
    assert response.redirect_chain == [(url, 302)]
    assert f"replacement {correction.replacement.number} issued" in response.content.decode()


def test_the_requester_is_told_to_find_a_second_supervisor(approver, invoice_35):
    correction = request_stand(approver, invoice_35, 125)
    url = reverse("billing:correction_detail", args=[correction.pk])
    response = _client(approver).post(url, {"decision": "approve", "note": ""})
    assert response.status_code == 200
    assert "another supervisor must approve it" in response.content.decode()
    assert InvoiceCorrection.objects.get().state == CorrectionState.PENDING


def test_a_rejection_without_a_note_is_refused_on_the_page(requester, approver, invoice_35):
    correction = request_stand(requester, invoice_35, 125)
    url = reverse("billing:correction_detail", args=[correction.pk])
    response = _client(approver).post(url, {"decision": "reject", "note": ""})
    assert "Say why the correction is rejected." in response.content.decode()
    assert InvoiceCorrection.objects.get().state == CorrectionState.PENDING
    _client(approver).post(url, {"decision": "reject", "note": "Photo shows 135"})
    assert InvoiceCorrection.objects.get().state == CorrectionState.REJECTED


def test_queue_lists_pending_first_then_decisions(
    requester, approver, invoice_35, django_assert_max_num_queries
):
    rejected = request_stand(requester, invoice_35, 125)
    invoice_correction_reject(actor=approver, correction=rejected, note="No")
    pending = request_stand(requester, invoice_35, 126, reason="Second look: 126")

    client = _client(approver)
    with django_assert_max_num_queries(8):  # session, user, permissions, role: then two lists
        response = client.get(reverse("billing:corrections"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(reverse("billing:correction_detail", args=[pending.pk])) < page.index(
        reverse("billing:correction_detail", args=[rejected.pk])
    )


@pytest.mark.parametrize("url_name", ["correction_request", "corrections", "correction_detail"])
def test_outsiders_are_refused(url_name, persona_client, invoice_35, cs_user, grant):
    correction = request_stand(cs_user, invoice_35, 125)
    args = {
        "correction_request": [invoice_35.number],
        "corrections": [],
        "correction_detail": [correction.pk],
    }[url_name]
    url = reverse(f"billing:{url_name}", args=args)
    anonymous = persona_client("anonymous").get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert persona_client("customer").get(url).status_code == 403
    assert persona_client("cashier").get(url).status_code == 403


def test_viewing_does_not_allow_deciding(requester, invoice_35):
    correction = request_stand(requester, invoice_35, 125)
    url = reverse("billing:correction_detail", args=[correction.pk])
    assert _client(requester).get(url).status_code == 200
    assert _client(requester).post(url, {"decision": "approve", "note": ""}).status_code == 403
    assert _client(requester).post(url, {"decision": "reject", "note": "mine"}).status_code == 403
    assert InvoiceCorrection.objects.get().state == CorrectionState.PENDING


def test_request_page_of_a_cancelled_invoice_points_to_its_replacement(requester, approver, invoice_35):
    replacement = invoice_correction_approve(
        actor=approver, correction=request_stand(requester, invoice_35, 125)
    ).replacement
    page = _client(requester).get(reverse("billing:correction_request", args=[invoice_35.number]))
    content = page.content.decode()
    assert page.status_code == 200
    assert replacement.number in content and "Request correction" not in content
