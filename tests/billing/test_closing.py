"""Closing a period leaves no water unbilled: worked examples with exact Rupiah.

Rumah Tangga A (tests/billing/conftest.py `rt_a`): before October 2026 Rp 1.000 / 1.300 /
1.800 / 2.500 per m³ and Rp 10.000 administration; from October 1.100 / 1.480 / 2.000 / 2.700
and Rp 11.500. One customer reads 20 m³ a month in June, July and August; September's stand
says 75 m³ (more than twice the average of 20), so the reading is held for verification.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from billing import closing, documents
from billing.closing import PeriodHasUnbilled
from billing.models import BillRun, CatchUp, HeldCustomer, Invoice, InvoiceStatus
from customers.models import CustomerStatus
from meters import selectors as meter_selectors
from meters import services as meters
from meters.models import PeriodState, Reading, ReadingMethod, ReadingStatus
from meters.services import VerifyAction
from pdam.models import AuditEntry
from tests.billing.test_bill_run import connect, lines_of, period, read, run

pytestmark = pytest.mark.django_db

SEPTEMBER = datetime.date(2026, 9, 1)
# October's 20 m³ at the new tariff: 10 × 1.100 + 10 × 1.480 = 25.800, + 11.500 = 37.300.
OCTOBER_20_M3 = [
    ("water_block", 10, 1_100, 11_000),
    ("water_block", 10, 1_480, 14_800),
    ("fixed", None, 11_500, 11_500),
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def held(cs_user, supervisor_user, route, rt_a):
    """June–August read and billed at 20 m³; September read at 235 (75 m³) and held by its run."""
    customer = connect(cs_user, route, rt_a)
    for month, stand in ((6, 120), (7, 140), (8, 160)):
        read(cs_user, customer, month, stand=stand)
        run(supervisor_user, month)
        closing.period_close(actor=supervisor_user, period=period(month))
    reading = read(cs_user, customer, 9, stand=235)
    assert (reading.status, reading.usage_m3) == (ReadingStatus.FLAGGED, 75)
    run(supervisor_user, 9)
    assert HeldCustomer.objects.filter(customer=customer).count() == 1
    return customer


def invoice_of(customer, month: int) -> Invoice:
    return Invoice.objects.get(customer=customer, period=period(month), status=InvoiceStatus.ISSUED)


def confirm_september(supervisor_user, customer):
    reading = customer.readings.get(period=period(9))
    return meters.reading_verify(actor=supervisor_user, reading=reading, action=VerifyAction.CONFIRM)


def test_close_with_a_held_customer_is_refused_with_the_list(held, supervisor_user):
    with pytest.raises(PeriodHasUnbilled) as refused:
        closing.period_close(actor=supervisor_user, period=period(9))

    assert [(u.number, u.route, u.reason, u.estimable) for u in refused.value.unbilled] == [
        (held.number, "01-001", "Reading held for verification", True)
    ]
    assert f"{held.number} (01-001): Reading held for verification" in refused.value.messages[0]
    assert period(9).state == PeriodState.BILLING
    assert not Invoice.objects.filter(period=period(9)).exists()


def test_estimates_at_close_need_a_reason(held, supervisor_user):
    with pytest.raises(ValidationError) as refused:
        closing.period_close(actor=supervisor_user, period=period(9), estimate_held=True, reason="  ")
    assert "reason" in refused.value.message_dict
    assert period(9).state == PeriodState.BILLING
    assert not Invoice.objects.filter(period=period(9)).exists()


def test_estimate_at_close_then_the_verified_reading_is_trued_up_on_the_next_invoice(
    held, cs_user, supervisor_user
):
    closing.period_close(
        actor=supervisor_user, period=period(9), estimate_held=True, reason="Meter diperiksa minggu depan"
    )

    estimate = invoice_of(held, 9)
    # The average of June–August, 20 m³, at September's (old) tariff: 10 × 1.000 + 10 × 1.300
    # = 23.000, + 10.000 administration = 33.000.
    assert (estimate.estimated, estimate.reading_id, estimate.billed_usage_m3) == (True, None, 20)
    assert lines_of(estimate) == [
        ("water_block", 10, 1_000, 10_000),
        ("water_block", 10, 1_300, 13_000),
        ("fixed", None, 10_000, 10_000),
    ]
    assert estimate.total == 33_000
    assert period(9).state == PeriodState.BILLED
    extra = BillRun.objects.get(period=period(9), supplementary=True)
    assert (extra.issued, extra.estimated, extra.total_amount) == (1, 1, 33_000)
    audit = AuditEntry.objects.get(action="period.close_with_estimates")
    assert (audit.reason, audit.changes["estimated"]) == (
        "Meter diperiksa minggu depan",
        [None, [held.number]],
    )
    # The held reading stays as read, for verification.
    assert held.readings.get(period=period(9)).status == ReadingStatus.FLAGGED

    read(cs_user, held, 10, stand=255)  # 20 m³ from September's stand
    confirm_september(supervisor_user, held)  # verified after its period was closed
    run(supervisor_user, 10)

    october = invoice_of(held, 10)
    # September re-rated at its own tariff: 10 × 1.000 + 10 × 1.300 + 10 × 1.800 + 45 × 2.500
    # = 153.500 for 75 m³, against 23.000 billed for the 20 m³ estimate: 130.500 more.
    assert lines_of(october) == [*OCTOBER_20_M3, ("catch_up", 55, 130_500, 130_500)]
    assert october.total == 37_300 + 130_500 == 167_800
    # Lines are written in the utility's language.
    assert october.lines.last().description == (
        "Susulan pemakaian September 2026: 75 m³ terbaca, 20 m³ taksiran sudah ditagih"
    )
    catch_up = CatchUp.objects.get()
    assert (
        catch_up.invoice,
        catch_up.month,
        catch_up.usage_m3,
        catch_up.billed_usage_m3,
        catch_up.amount,
    ) == (
        october,
        SEPTEMBER,
        75,
        20,
        130_500,
    )

    # Caught up once: November bills November only.
    read(cs_user, held, 11, stand=275)
    run(supervisor_user, 11)
    assert lines_of(invoice_of(held, 11)) == OCTOBER_20_M3
    assert CatchUp.objects.count() == 1


def test_a_month_closed_without_any_invoice_is_billed_whole_on_the_next_invoice(
    held, cs_user, supervisor_user
):
    # What closing did before: the period billed, the held customer left without an invoice.
    meters.period_set_state(actor=supervisor_user, period=period(9), state=PeriodState.BILLED)
    read(cs_user, held, 10, stand=255)
    confirm_september(supervisor_user, held)
    run(supervisor_user, 10)

    october = invoice_of(held, 10)
    # September's whole water, 75 m³ at September's tariff: 153.500.
    assert lines_of(october) == [*OCTOBER_20_M3, ("catch_up", 75, 153_500, 153_500)]
    assert october.total == 37_300 + 153_500 == 190_800
    assert october.lines.last().description == "Susulan pemakaian September 2026: 75 m³"
    assert CatchUp.objects.get().billed_usage_m3 == 0


def test_an_estimate_above_the_verified_usage_is_credited(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    for month, stand in ((6, 120), (7, 140), (8, 160)):
        read(cs_user, customer, month, stand=stand)
        run(supervisor_user, month)
    assert read(cs_user, customer, 9, stand=165).status == ReadingStatus.FLAGGED  # 5 m³: far below
    run(supervisor_user, 9)
    closing.period_close(actor=supervisor_user, period=period(9), estimate_held=True, reason="Rumah kosong?")
    assert invoice_of(customer, 9).total == 33_000
    read(cs_user, customer, 10, stand=185)
    confirm_september(supervisor_user, customer)
    run(supervisor_user, 10)

    # 5 m³ still pays the 10 m³ minimum: 10 × 1.000 = 10.000, against 23.000 billed: −13.000.
    october = invoice_of(customer, 10)
    assert lines_of(october) == [*OCTOBER_20_M3, ("catch_up", -15, -13_000, -13_000)]
    assert october.total == 37_300 - 13_000 == 24_300


def test_a_reading_verified_before_the_close_goes_to_the_supplementary_run_not_a_catch_up(
    held, cs_user, supervisor_user
):
    confirm_september(supervisor_user, held)
    # A billable reading without an invoice: the close is refused even with estimates chosen.
    with pytest.raises(PeriodHasUnbilled) as refused:
        closing.period_close(actor=supervisor_user, period=period(9), estimate_held=True, reason="x")
    assert [u.reason for u in refused.value.unbilled] == [
        "Billable reading not billed yet: start a supplementary run"
    ]
    read(cs_user, held, 10, stand=255)
    run(supervisor_user, 10)  # October first: September waits for its supplementary run
    assert lines_of(invoice_of(held, 10)) == OCTOBER_20_M3

    run(supervisor_user, 9, supplementary=True)
    # 75 m³ at the old tariff, 153.500, + 10.000 administration.
    assert invoice_of(held, 9).total == 163_500
    closing.period_close(actor=supervisor_user, period=period(9))
    assert period(9).state == PeriodState.BILLED
    assert not CatchUp.objects.exists()


def test_verification_queue_keeps_closed_periods_actionable(held, cs_user, supervisor_user, route, rt_a):
    closing.period_close(actor=supervisor_user, period=period(9), estimate_held=True, reason="Tutup buku")
    # A connection closed since: no next invoice can carry a catch-up, so nothing to act on.
    gone = connect(cs_user, route, rt_a, status=CustomerStatus.CLOSED)
    Reading.objects.create(
        customer=gone,
        period=period(9),
        meter=gone.meters.get(),
        stand=300,
        previous_stand=100,
        usage_m3=200,
        read_on=SEPTEMBER,
        method=ReadingMethod.FIELD,
        flags=["high"],
        status=ReadingStatus.FLAGGED,
    )

    september = held.readings.get(period=period(9))
    assert list(meter_selectors.verification_queue()) == [september]
    with pytest.raises(ValidationError):
        meters.reading_verify(
            actor=supervisor_user, reading=september, action=VerifyAction.REREAD, reason="Baca ulang"
        )
    assert held.readings.get(period=period(9)).status == ReadingStatus.FLAGGED
    confirm_september(supervisor_user, held)
    assert list(meter_selectors.verification_queue()) == []


def test_a_reading_sent_back_before_the_close_can_still_be_corrected_after_it(held, supervisor_user):
    september = held.readings.get(period=period(9))
    meters.reading_verify(actor=supervisor_user, reading=september, action=VerifyAction.REREAD, reason="Cek")
    closing.period_close(actor=supervisor_user, period=period(9), estimate_held=True, reason="Tutup buku")
    # Sent back, but the month is closed: no re-read will come, so the queue shows it.
    assert list(meter_selectors.verification_queue()) == [september]
    corrected = meters.reading_verify(
        actor=supervisor_user, reading=september, action=VerifyAction.CORRECT, stand=185, reason="Salah ketik"
    )
    assert (corrected.status, corrected.usage_m3, corrected.stand) == (ReadingStatus.OK, 25, 185)
    assert list(meter_selectors.verification_queue()) == []


def test_catch_up_line_on_the_invoice_page_and_pdf(held, cs_user, supervisor_user, persona_client):
    closing.period_close(actor=supervisor_user, period=period(9), estimate_held=True, reason="Tutup buku")
    read(cs_user, held, 10, stand=255)
    confirm_september(supervisor_user, held)
    run(supervisor_user, 10)
    october = invoice_of(held, 10)
    assert october.total == 167_800

    with translation.override("id"):
        page = persona_client("supervisor").get(reverse("billing:invoice_detail", args=[october.number]))
    text = page.content.decode()
    line = october.lines.last().description
    assert line.startswith("Susulan pemakaian September 2026: 75 m³")
    assert line in text
    assert "Rp 130.500" in text
    assert line in documents.invoice_html(invoice=documents.invoice_get(number=october.number))


# --- The close page ---------------------------------------------------------------------------


def test_close_page_lists_the_held_customers_and_refuses_without_a_choice(held, persona_client):
    client = persona_client("supervisor")
    url = reverse("billing:period_close", args=["2026-09"])
    page = client.get(url).content.decode()
    assert held.number in page
    assert "01-001" in page
    assert "Pembacaan ditahan untuk verifikasi" in page

    response = client.post(url, {"reason": ""}, follow=True)
    assert period(9).state == PeriodState.BILLING
    assert "tidak dapat ditutup" in response.content.decode()

    response = client.post(url, {"estimate_held": "on", "reason": ""})
    assert response.status_code == 200
    assert period(9).state == PeriodState.BILLING
    assert not Invoice.objects.filter(period=period(9)).exists()

    response = client.post(url, {"estimate_held": "on", "reason": "Meter diperiksa minggu depan"})
    assert response["Location"] == reverse("billing:runs")
    assert period(9).state == PeriodState.BILLED
    assert invoice_of(held, 9).total == 33_000


def test_close_page_for_a_period_without_held_customers(cs_user, route, rt_a, persona_client):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    client = persona_client("supervisor")
    run(None, 11)
    url = reverse("billing:period_close", args=["2026-11"])
    assert "Setiap pelanggan" in client.get(url).content.decode()
    assert client.post(url)["Location"] == reverse("billing:runs")
    assert period(11).state == PeriodState.BILLED


def test_close_page_is_for_run_starters_only(held, persona_client):
    url = reverse("billing:period_close", args=["2026-09"])
    assert persona_client("manager").get(url).status_code == 403
    assert persona_client("cs").post(url, {"estimate_held": "on", "reason": "x"}).status_code == 403
    assert period(9).state == PeriodState.BILLING
    assert (
        persona_client("supervisor").get(reverse("billing:period_close", args=["bukan-bulan"])).status_code
        == 404
    )


def test_a_corrected_invoice_keeps_its_catch_up(held, cs_user, supervisor_user):
    from billing.corrections import invoice_correction_approve, invoice_correction_request
    from billing.models import CorrectionKind

    closing.period_close(actor=supervisor_user, period=period(9), estimate_held=True, reason="Tutup buku")
    read(cs_user, held, 10, stand=255)
    confirm_september(supervisor_user, held)
    run(supervisor_user, 10)
    october = invoice_of(held, 10)
    assert october.total == 167_800
    # October's stand was misread: 265, so 30 m³.
    correction = invoice_correction_request(
        actor=cs_user,
        invoice=october,
        kind=CorrectionKind.NEW_READING,
        proposed_stand=265,
        reason="Salah baca",
    )
    invoice_correction_approve(actor=supervisor_user, correction=correction)

    replacement = invoice_of(held, 10)
    assert replacement.replaces == october
    # 10 × 1.100 + 10 × 1.480 + 10 × 2.000 = 45.800, + 11.500, and September's 130.500 as before.
    assert lines_of(replacement) == [
        ("water_block", 10, 1_100, 11_000),
        ("water_block", 10, 1_480, 14_800),
        ("water_block", 10, 2_000, 20_000),
        ("fixed", None, 11_500, 11_500),
        ("catch_up", 55, 130_500, 130_500),
    ]
    assert replacement.total == 57_300 + 130_500 == 187_800
    assert CatchUp.objects.get().invoice == replacement
