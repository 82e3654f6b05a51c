"""The supervisor's late-fee rule pages and the waiver pages, persona by persona."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from arrears.models import LateFee, LateFeeRule, LateFeeShape, LateFeeWaiver, WaiverState
from arrears.services import late_fees_charge
from pdam.audit import audit_entries_for
from tests.arrears.factories import golongan, rule, unpaid_invoice

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC), tick=False):
        yield


def test_supervisor_adds_pasamans_step_table(persona_client, supervisor_user):
    tariff_class = golongan("2A")
    response = persona_client("supervisor").post(
        reverse("arrears:rule_create"),
        {
            "tariff_class": tariff_class.pk,
            "effective_from": "2026-04-01",
            "shape": "steps",
            "start_days_after_due": "1",
            "step_totals": "2.500; 5.000; 7.500; 10.000",
            "decree": "Perbup Pasaman 2/2012",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("arrears:rules")
    saved = LateFeeRule.objects.get()
    assert (saved.tariff_class, saved.shape, saved.step_totals) == (
        tariff_class,
        "steps",
        [2_500, 5_000, 7_500, 10_000],
    )
    assert saved.created_by == supervisor_user
    assert audit_entries_for(saved).get().actor == supervisor_user
    page = persona_client("supervisor").get(reverse("arrears:rules")).content.decode()
    assert "Perbup Pasaman 2/2012" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"shape": "flat", "amount": "sepuluh ribu"}, "Masukkan Rupiah bulat"),
        ({"shape": "flat", "amount": ""}, "Isi denda dalam Rupiah bulat"),
        ({"shape": "percent", "percent": "2,555"}, "Paling banyak dua desimal"),
        ({"shape": "steps", "step_totals": "5.000; 2.500"}, "tidak boleh turun"),
        ({"shape": "flat", "amount": "5000", "effective_from": "2026-03-01"}, "sebelum hari ini"),
    ],
)
def test_bad_rules_get_an_indonesian_message_and_change_nothing(persona_client, fields, message):
    data = {"effective_from": "2026-04-01", "start_days_after_due": "1", **fields}
    response = persona_client("supervisor").post(
        reverse("arrears:rule_create"), data, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LateFeeRule.objects.exists()


def test_percentage_in_the_form_is_stored_in_basis_points(persona_client):
    persona_client("supervisor").post(
        reverse("arrears:rule_create"),
        {"effective_from": "2026-03-10", "shape": "percent", "percent": "10", "start_days_after_due": "1"},
    )
    assert LateFeeRule.objects.get().percent_bp == 1_000
    assert "10 %" in persona_client("manager").get(reverse("arrears:rules")).content.decode()


@pytest.mark.parametrize("persona", ["cs", "cashier", "manager", "customer"])
def test_only_supervisors_set_rules(persona_client, persona):
    response = persona_client(persona).post(
        reverse("arrears:rule_create"),
        {"effective_from": "2026-04-01", "shape": "flat", "amount": "5000", "start_days_after_due": "1"},
    )
    assert response.status_code == 403
    assert not LateFeeRule.objects.exists()


# --- Waivers through the pages ---------------------------------------------------------------------


@pytest.fixture
def late_invoice():
    tariff_class = golongan("2A")
    rule(tariff_class=tariff_class, shape=LateFeeShape.FLAT, amount=10_000)
    invoice = unpaid_invoice(tariff_class, 47_300)
    late_fees_charge(invoices=[invoice], on=TODAY)
    return invoice


def test_cs_requests_and_a_supervisor_approves(persona_client, cs_user, supervisor_user, late_invoice):
    response = persona_client("cs").post(
        reverse("arrears:waiver_request"),
        {"customer_number": late_invoice.customer.number, "reason": "Rumah terdampak banjir"},
    )
    waiver = LateFeeWaiver.objects.get()
    assert response["Location"] == reverse("arrears:waiver_detail", args=[waiver.pk])
    assert waiver.requested_by == cs_user
    assert LateFee.objects.get().waiver is None  # nothing waived before approval
    page = (
        persona_client("supervisor").get(reverse("arrears:waiver_detail", args=[waiver.pk])).content.decode()
    )
    assert 'id="waiver-preview"' in page
    response = persona_client("supervisor").post(
        reverse("arrears:waiver_detail", args=[waiver.pk]), {"decision": "approve", "note": "Sesuai SK"}
    )
    assert response.status_code == 302
    waiver.refresh_from_db()
    assert (waiver.state, waiver.decided_by, waiver.fees_waived, waiver.amount_waived) == (
        WaiverState.APPROVED,
        supervisor_user,
        1,
        10_000,
    )
    assert LateFee.objects.get().waiver == waiver
    assert late_fees_charge(invoices=[late_invoice], on=TODAY) == {late_invoice.pk: 0}


def test_a_supervisor_cannot_approve_their_own_request(persona_client, supervisor_user, late_invoice):
    persona_client("supervisor").post(
        reverse("arrears:waiver_request"),
        {"customer_number": late_invoice.customer.number, "reason": "Keluarga tidak mampu"},
    )
    waiver = LateFeeWaiver.objects.get()
    page = (
        persona_client("supervisor").get(reverse("arrears:waiver_detail", args=[waiver.pk])).content.decode()
    )
    assert 'id="waiver-own"' in page
    response = persona_client("supervisor").post(
        reverse("arrears:waiver_detail", args=[waiver.pk]), {"decision": "approve"}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert response.status_code == 200
    assert "orang kedua" in response.content.decode()
    waiver.refresh_from_db()
    assert waiver.state == WaiverState.REQUESTED
    assert LateFee.objects.get().waiver is None


@pytest.mark.parametrize("persona", ["cs", "manager", "cashier"])
def test_only_supervisors_decide(persona_client, cs_user, late_invoice, persona):
    waiver = LateFeeWaiver.objects.create(
        customer=late_invoice.customer, reason="Banjir", requested_by=cs_user
    )
    response = persona_client(persona).post(
        reverse("arrears:waiver_detail", args=[waiver.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    waiver.refresh_from_db()
    assert waiver.state == WaiverState.REQUESTED


def test_a_waiver_needs_a_filter_and_a_reason(persona_client):
    response = persona_client("cs").post(
        reverse("arrears:waiver_request"), {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert response.status_code == 200
    response = persona_client("cs").post(
        reverse("arrears:waiver_request"), {"reason": "Banjir"}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert "Pilih pelanggan" in response.content.decode()
    response = persona_client("cs").post(
        reverse("arrears:waiver_request"),
        {"customer_number": "12345678", "reason": "Banjir"},
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert response.status_code == 200
    assert not LateFeeWaiver.objects.exists()


def test_unknown_waiver_is_404(persona_client):
    assert persona_client("supervisor").get(reverse("arrears:waiver_detail", args=["999"])).status_code == 404
    assert persona_client("supervisor").get(reverse("arrears:waiver_detail", args=["x1"])).status_code == 404
