"""The payments section of the customer page (registered in PaymentsConfig.ready): payments with
their receipts, the invoices live payments settle, and the credit balance with its ledger."""

from django.http import HttpRequest

from customers.models import Customer
from payments import selectors

VIEW_PAYMENT = "payments.view_payment"
PAYMENTS_LIMIT = 20
CREDIT_LIMIT = 20


def customer_section(request: HttpRequest, customer: Customer) -> tuple[str, dict] | None:
    if not request.user.has_perm(VIEW_PAYMENT):
        return None
    return (
        "payments/_customer_section.html",
        {
            "payments": list(selectors.payments_for_customer(customer=customer, limit=PAYMENTS_LIMIT)),
            "paid_invoices": selectors.invoices_paid(customer=customer, limit=PAYMENTS_LIMIT),
            "credit_balance": selectors.credit_balance(customer=customer),
            "credit_entries": list(selectors.credit_entries(customer=customer, limit=CREDIT_LIMIT)),
            "limit": PAYMENTS_LIMIT,
            "credit_limit": CREDIT_LIMIT,
            "can_take_payment": request.user.has_perm("payments.take_payment"),
        },
    )
