"""The staff page of payments that need a person, and credit refunds."""

import datetime

import pytest
from django.urls import reverse

from payments import selectors
from payments.models import CreditEntry, CreditKind, ReviewItem, ReviewKind
from pdam.audit import audit_entries_for
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def overpaid(customer):
    invoice_for(customer, datetime.date(2026, 10, 1), 52_100)
    CreditEntry.objects.create(customer=customer, amount=47_300, kind=CreditKind.OVERPAYMENT)
    return ReviewItem.objects.create(
        kind=ReviewKind.OVERPAYMENT, customer=customer, amount=47_300, detail="Already settled: 202609-…"
    )


def test_the_supervisor_sees_what_needs_review(persona_client, overpaid, customer):
    page = english(persona_client("supervisor")).get(reverse("payments:review")).content.decode()
    assert "Overpayment" in page
    assert customer.number in page
    assert "Rp 47.300" in page
    assert reverse("payments:credit_refund", args=[customer.number]) in page


def test_resolving_needs_a_note_and_is_audited(persona_client, overpaid, supervisor_user):
    client = english(persona_client("supervisor"))
    url = reverse("payments:review_resolve", args=[overpaid.pk])
    client.post(url, {"resolution": "  "})
    assert ReviewItem.objects.get().resolved_at is None
    response = client.post(url, {"resolution": "Refunded by BCA transfer 0042"})
    assert response.status_code == 302
    item = ReviewItem.objects.get()
    assert (item.resolved_by, item.resolution) == (supervisor_user, "Refunded by BCA transfer 0042")
    assert audit_entries_for(item).get().action == "review_item.resolve"
    assert list(selectors.review_items_open()) == []


def test_a_refund_lowers_the_credit_and_never_below_zero(persona_client, overpaid, customer):
    client = english(persona_client("supervisor"))
    url = reverse("payments:credit_refund", args=[customer.number])
    response = client.post(url, {"amount": "50000", "note": "BCA 0042"})
    assert "at most the credit (Rp 47.300)" in response.content.decode()
    assert selectors.credit_balance(customer=customer) == 47_300
    response = client.post(url, {"amount": "47300", "note": "BCA transfer 0042"})
    assert response.status_code == 302
    assert selectors.credit_balance(customer=customer) == 0
    assert CreditEntry.objects.filter(kind=CreditKind.REFUNDED, amount=-47_300).count() == 1


@pytest.mark.parametrize("persona", ["cashier", "cs", "manager", "customer"])
def test_only_supervisors_review_and_refund(persona_client, overpaid, customer, persona):
    client = persona_client(persona)
    assert client.get(reverse("payments:review")).status_code == 403
    assert (
        client.post(reverse("payments:review_resolve", args=[overpaid.pk]), {"resolution": "x"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("payments:credit_refund", args=[customer.number]), {"amount": "1", "note": "x"}
        ).status_code
        == 403
    )
    assert selectors.credit_balance(customer=customer) == 47_300
