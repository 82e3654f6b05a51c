"""A payment received (cash or online) is told to the customer through the outbox, once."""

import pytest
from django.core import mail

from payments import services
from pdam.messaging.models import Message, MessageState
from tests.payments.test_services_online import order_for, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def reachable(customer):
    customer.email, customer.message_channel = "budi@example.test", "email"
    customer.save()
    return customer


def test_cash_payment_queues_the_receipt_message(
    reachable, invoices, shift, cashier_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.cash_payment_take(
            cashier=cashier_user, customer=reachable, invoice_ids=[invoices[0].pk], tendered=50_000
        )
    message = Message.objects.get()
    assert message.key == f"payment:{payment.receipt_number}:received"
    assert message.context["amount"] == 47_300
    assert (
        message.context["receipt_url"] == f"http://127.0.0.1:8000/payments/receipts/{payment.receipt_number}/"
    )
    assert message.state == MessageState.SENT
    assert mail.outbox[-1].to == ["budi@example.test"]
    assert f"Rp 47.300 untuk sambungan {reachable.number}" in mail.outbox[-1].body


def test_a_refused_payment_queues_nothing(reachable, invoices, shift, cashier_user):
    with pytest.raises(services.ValidationError):
        services.cash_payment_take(
            cashier=cashier_user, customer=reachable, invoice_ids=[invoices[0].pk], tendered=1_000
        )
    assert not Message.objects.exists()


def test_online_settlement_queues_the_receipt_once(reachable, invoices):
    order = order_for(reachable, invoices[:2])
    payment = settle(order)
    assert settle(order) is None  # a replayed notification pays nothing twice, and tells nothing twice
    message = Message.objects.get()
    assert message.key == f"payment:{payment.receipt_number}:received"
    assert message.context["amount"] == 99_400


def test_opted_out_customer_gets_no_receipt_message(reachable, invoices):
    reachable.messages_opt_out = True
    reachable.save()
    settle(order_for(reachable, invoices[:1]))
    assert not Message.objects.exists()
