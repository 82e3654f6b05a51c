"""After a bill run, each customer hears of the new invoice once, through the outbox."""

import datetime

import pytest

from billing import notices
from billing.models import Invoice
from pdam.messaging.models import Message, MessageState
from tests.billing.test_bill_run import connect, read, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(cs_user, route, rt_a):
    """Three customers read for November: one on WhatsApp, one opted out, one with no contact."""
    on_whatsapp = connect(cs_user, route, rt_a)
    on_whatsapp.phone, on_whatsapp.name = "0812-3456-7890", "Budi Santoso"
    on_whatsapp.save()
    opted_out = connect(cs_user, route, rt_a)
    opted_out.phone, opted_out.messages_opt_out = "0813-1111-2222", True
    opted_out.save()
    unreachable = connect(cs_user, route, rt_a)
    for customer in (on_whatsapp, opted_out, unreachable):
        read(cs_user, customer, 11, stand=125)
    return on_whatsapp, opted_out, unreachable


def test_the_finished_run_queues_one_message_per_reachable_customer(
    three, supervisor_user, django_capture_on_commit_callbacks
):
    on_whatsapp, _opted_out, _unreachable = three
    with django_capture_on_commit_callbacks(execute=True):
        done = run(supervisor_user, 11)
    assert done.issued == 3
    invoice = Invoice.objects.get(customer=on_whatsapp)
    message = Message.objects.get()
    assert message.key == f"invoice:{invoice.number}:issued"
    assert (message.channel, message.recipient) == ("whatsapp", "6281234567890")
    assert message.context == {
        "name": "Budi Santoso",
        "customer_number": on_whatsapp.number,
        "invoice_number": invoice.number,
        "period_month": "2026-11-01",
        "amount": 47_300,
        "due_date": "2026-12-09",
        "pay_url": f"http://127.0.0.1:8000/?nomor={on_whatsapp.number}",
    }
    # Sent on commit by the (eager) worker, with the local provider.
    assert message.state == MessageState.SENT
    assert "sebesar Rp 47.300, jatuh tempo 9 Desember 2026." in message.body


def test_queueing_again_sends_nothing_twice(three, supervisor_user):
    done = run(supervisor_user, 11)  # on-commit callbacks not run: nothing queued yet
    assert not Message.objects.exists()
    assert notices.invoice_notices_queue(bill_run_id=done.pk) == 1
    assert notices.invoice_notices_queue(bill_run_id=done.pk) == 0
    assert Message.objects.count() == 1


def test_chunks_cover_every_invoice(cs_user, route, rt_a, supervisor_user, monkeypatch):
    monkeypatch.setattr(notices, "CHUNK", 2)
    for _ in range(5):
        customer = connect(cs_user, route, rt_a)
        customer.email = f"{customer.number}@example.test"
        customer.save()
        read(cs_user, customer, 11, stand=130)
    done = run(supervisor_user, 11)
    assert notices.invoice_notices_queue(bill_run_id=done.pk) == 5
    assert set(Message.objects.values_list("channel", flat=True)) == {"email"}
    assert Message.objects.filter(created_at__date=datetime.date(2026, 11, 25)).count() == 5
