"""Money entry points own their transaction; the steps they are built from refuse to run alone.

A caller that wrapped the cashier desk in its own transaction could roll the cash back after the
receipt printed, or hold the customer's lock across a network call; a step run outside any
transaction would lock nothing.
"""

import pytest
from django.db import transaction

from payments import cashier, services
from payments.models import Payment
from pdam.transactions import NotInTransaction
from tests.payments.desk import _today  # noqa: F401 - the day's fixture

pytestmark = pytest.mark.django_db


def test_the_desk_refuses_to_run_inside_a_callers_transaction(customer, invoices, shift, cashier_user):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        cashier.desk_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
        )
    assert not Payment.objects.exists()


def test_the_desk_commits_on_its_own(customer, invoices, shift, cashier_user):
    taken = cashier.desk_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    assert taken.payment.amount == invoices[0].total


@pytest.mark.parametrize(
    "entry_point",
    [
        lambda customer, user: services.credit_settle(customer_id=customer.pk),
        lambda customer, user: services.credit_refund(customer=customer, amount=1, actor=user, note="x"),
        lambda customer, user: cashier.shift_close(cashier=user, counted_cash=0),
    ],
    ids=["credit_settle", "credit_refund", "shift_close"],
)
def test_every_money_entry_point_is_durable(entry_point, customer, shift, cashier_user):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        entry_point(customer, cashier_user)


@pytest.mark.django_db(transaction=True)
def test_a_money_step_refuses_to_run_outside_a_transaction(customer, invoices, shift, cashier_user):
    with pytest.raises(NotInTransaction):
        services.cash_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
        )
    with pytest.raises(NotInTransaction):
        services.credit_apply(customer_id=customer.pk)
    assert not Payment.objects.exists()
