"""Where messages reach a customer: the chosen channel, a fallback, and the opt-out."""

import pytest

from customers.contact import customer_recipient
from pdam.messaging.models import MessageKind
from pdam.messaging.services import Recipient
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def budi():
    return CustomerFactory(
        number="0101000001", name="Budi Santoso", phone="0812-3456-7890", email="budi@example.test"
    )


def test_the_chosen_channel_first(budi):
    assert customer_recipient(budi, kind=MessageKind.INFORMATIONAL) == Recipient(
        channel="whatsapp", address="6281234567890", name="0101000001 Budi Santoso"
    )
    budi.message_channel = "email"
    assert customer_recipient(budi, kind=MessageKind.INFORMATIONAL).address == "budi@example.test"
    budi.message_channel = "sms"
    assert customer_recipient(budi, kind=MessageKind.INFORMATIONAL).channel == "sms"


def test_another_channel_when_the_chosen_one_has_no_address_or_is_off(budi, settings):
    budi.phone = ""
    assert customer_recipient(budi, kind=MessageKind.INFORMATIONAL).channel == "email"
    budi.phone = "0812-3456-7890"
    settings.MESSAGING_PROVIDERS = {"email": "email", "whatsapp": "", "sms": ""}  # WhatsApp not run
    assert customer_recipient(budi, kind=MessageKind.INFORMATIONAL).channel == "email"
    budi.email = ""
    assert customer_recipient(budi, kind=MessageKind.INFORMATIONAL) is None


def test_opt_out_stops_informational_messages_but_never_legal_notices(budi):
    budi.messages_opt_out = True
    assert customer_recipient(budi, kind=MessageKind.INFORMATIONAL) is None
    legal = customer_recipient(budi, kind=MessageKind.LEGAL)
    assert (legal.channel, legal.address) == ("whatsapp", "6281234567890")
    assert customer_recipient(budi, kind=MessageKind.SERVICE) is not None


def test_cs_changes_the_preferences_with_a_reason(persona_client, budi):
    from django.urls import reverse

    from pdam.audit import audit_entries_for

    response = persona_client("cs").post(
        reverse("customers:edit", args=[budi.number]),
        {
            "name": budi.name,
            "address": budi.address,
            "phone": budi.phone,
            "email": budi.email,
            "message_channel": "email",
            "messages_opt_out": "on",
            "route": budi.route.pk,
            "route_sequence": budi.route_sequence,
            "tariff_class": budi.tariff_class.pk,
            "reason": "Pelanggan minta lewat e-mail saja",
        },
    )
    assert response.status_code == 302
    budi.refresh_from_db()
    assert (budi.message_channel, budi.messages_opt_out) == ("email", True)
    entry = audit_entries_for(budi).get(action="customer.update")
    assert entry.changes == {"message_channel": ["WhatsApp", "E-mail"], "messages_opt_out": [False, True]}
