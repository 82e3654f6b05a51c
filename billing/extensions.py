"""Extension points for the apps to the right of billing (payments, arrears).

Billing cannot import payments, so payments registers here, in its ``AppConfig.ready``, what
billing needs to know about money received.
"""

from collections.abc import Callable

from billing.models import Invoice


class _OneSlot:
    """An extension point that holds at most one function: a second would count money twice."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.function: Callable | None = None

    def register(self, function: Callable) -> Callable:
        if self.function is not None and self.function is not function:
            raise RuntimeError(f"A {self.what} is registered already: {self.function!r}")
        self.function = function
        return function

    def unregister(self, function: Callable) -> None:
        if self.function is function:
            self.function = None


# (invoice) -> Rupiah paid on that very invoice (an int ≥ 0).
PaidAmountProvider = Callable[[Invoice], int]

_paid_amount_slot = _OneSlot("paid-amount provider")
register_paid_amount_provider = _paid_amount_slot.register
unregister_paid_amount_provider = _paid_amount_slot.unregister


def paid_amount(invoice: Invoice) -> int:
    """Rupiah paid on `invoice` as payments reports it; 0 while no payments app is installed.

    Called inside the correction's transaction with the invoice row locked: a provider that
    allocates payments under the same row lock sees no payment slip in between.
    """
    provider = _paid_amount_slot.function
    if provider is None:
        return 0
    paid = provider(invoice)
    if isinstance(paid, bool) or not isinstance(paid, int) or paid < 0:
        raise TypeError(f"A paid amount is an int of Rupiah ≥ 0, got {paid!r}")
    return paid


# (original, replacement, actor) -> None: called inside the correction's transaction, with the
# customer and the original invoice locked, once the replacement and its lines exist. Payments
# moves what was paid on the original over to the customer (a credit that settles the
# replacement as far as it reaches).
ReplacementHandler = Callable[[Invoice, Invoice, object], None]

_replacement_handlers: list[ReplacementHandler] = []


def register_replacement_handler(handler: ReplacementHandler) -> ReplacementHandler:
    if handler not in _replacement_handlers:
        _replacement_handlers.append(handler)
    return handler


def unregister_replacement_handler(handler: ReplacementHandler) -> None:
    if handler in _replacement_handlers:
        _replacement_handlers.remove(handler)


def invoice_replaced(*, original: Invoice, replacement: Invoice, actor) -> None:
    for handler in list(_replacement_handlers):
        handler(original, replacement, actor)


# (invoice, amount, actor) -> None: called inside the transaction that wrote `invoice`, when
# its true-up credited more than its charges (billing.tariffs.lines_finalized). `amount` is the
# Rupiah carried to the customer's credit (negative: a replacement carries less than the
# invoice it replaces did, so credit is taken back). Payments books it in its credit ledger.
CreditCarrier = Callable[[Invoice, int, object], None]

_credit_carrier_slot = _OneSlot("credit carrier")
register_credit_carrier = _credit_carrier_slot.register
unregister_credit_carrier = _credit_carrier_slot.unregister


def credit_carried(*, invoice: Invoice, amount: int, actor) -> None:
    """Hand the Rupiah carried off `invoice` to the customer's credit. Without a carrier the
    excess would be lost, so billing refuses to write such an invoice."""
    if not amount:
        return
    carrier = _credit_carrier_slot.function
    if carrier is None:
        raise RuntimeError("No credit carrier is registered: a true-up excess would be lost.")
    carrier(invoice, amount, actor)


# (request, invoice) -> (template name, context) or None: a block a later app adds to the staff
# invoice page below the lines (arrears: the invoice's denda).
InvoiceSection = Callable[[object, Invoice], tuple[str, dict] | None]

_invoice_sections: list[InvoiceSection] = []


def register_invoice_section(section: InvoiceSection) -> InvoiceSection:
    if section not in _invoice_sections:
        _invoice_sections.append(section)
    return section


def invoice_sections(request, invoice: Invoice) -> list[tuple[str, dict]]:
    return [s for s in (section(request, invoice) for section in _invoice_sections) if s is not None]
