"""CS takes a hijacked connection out of a portal account, replaces its code, prints it again."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import services
from customers.codes import registration_code_display
from customers.models import Customer
from payments import accounts
from pdam.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _unlink(client, customer, reason="Diambil alih orang lain; pemilik datang membawa rekening"):
    return client.post(
        reverse("customers:portal", args=[customer.number]), {"action": "unlink", "reason": reason}
    )


def test_cs_unlinks_a_hijacked_connection_and_the_holder_is_told(
    persona_client, customer, django_capture_on_commit_callbacks
):
    holder_email = customer.user.email
    with django_capture_on_commit_callbacks(execute=True):
        response = _unlink(persona_client("cs"), customer)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.user_id is None
    entry = AuditEntry.objects.get(action="customer.portal_unlink")
    assert entry.changes == {"user": ["budi", None]}
    assert entry.actor.username == "dewi_cs"
    assert [message.to for message in mail.outbox] == [[holder_email]]
    assert customer.number in mail.outbox[0].body


def test_unlink_without_a_reason_changes_nothing(persona_client, customer):
    response = _unlink(persona_client("cs"), customer, reason="  ")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.user is not None
    assert not AuditEntry.objects.filter(action="customer.portal_unlink").exists()
    assert mail.outbox == []


def test_unlink_of_an_unlinked_connection_is_a_clear_error(persona_client, customer):
    Customer.objects.filter(pk=customer.pk).update(user=None)
    page = _unlink(persona_client("cs"), customer).content.decode()
    assert "tidak terhubung" in page


def test_real_owner_registers_after_the_unlink_and_the_old_holder_is_told(
    persona_client, customer, django_capture_on_commit_callbacks
):
    services.customer_portal_unlink(customer=customer, actor=None, reason="hijacked")
    customer.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        user = accounts.account_register(
            number=customer.number,
            code=customer.registration_code,
            email="pemilik.asli@example.test",
            password=PASSWORD,
            ip="203.0.113.7",
        )
    customer.refresh_from_db()
    assert customer.user == user
    assert [message.to for message in mail.outbox] == [["budi@example.test"]]
    assert "another account" in mail.outbox[0].subject or "akun lain" in mail.outbox[0].subject


def test_replacing_the_code_kills_the_old_one(persona_client, customer):
    Customer.objects.filter(pk=customer.pk).update(user=None)
    old = Customer.objects.get(pk=customer.pk).registration_code
    response = persona_client("cs").post(
        reverse("customers:portal", args=[customer.number]), {"action": "rotate", "reason": "Rekening hilang"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.registration_code != old
    with pytest.raises(ValidationError):
        accounts.account_register(
            number=customer.number, code=old, email="x@example.test", password=PASSWORD, ip="203.0.113.8"
        )
    assert AuditEntry.objects.filter(action="customer.registration_code_rotate").count() == 1


def test_the_code_slip_shows_the_code_to_cs_only(persona_client, customer):
    url = reverse("customers:code_slip", args=[customer.number])
    page = persona_client("cs").get(url).content.decode()
    assert registration_code_display(customer.registration_code) in page
    assert persona_client("cashier").get(url).status_code == 403
    assert persona_client("customer").get(url).status_code == 403


def test_the_holder_removes_a_connection_from_their_own_account(
    persona_client, customer, customer_user, mailoutbox, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from pdam.audit import audit_entries_for

    client = persona_client("customer")
    client.cookies["django_language"] = "en"
    url = reverse("payments:connection_remove", args=[customer.number])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200
    customer.refresh_from_db()
    assert customer.user == customer_user  # no reason, nothing changed

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "House sold to Pak Joko"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.user is None
    [entry] = audit_entries_for(customer).filter(action="customer.portal_unlink")
    assert (entry.actor, entry.reason) == (customer_user, "House sold to Pak Joko")
    assert [m.to for m in mailoutbox] == [[customer_user.email]]
    page = client.get(reverse("payments:my_bills")).content.decode()
    assert f'id="connection-{customer.number}"' not in page


def test_another_customer_cannot_remove_a_connection_that_is_not_theirs(
    persona_client, customer, customer_user
):
    from django.urls import reverse

    url = reverse("payments:connection_remove", args=[customer.number])
    response = persona_client("other_customer").post(url, {"reason": "mine now"})
    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.user == customer_user
