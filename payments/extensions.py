"""Extension points for the app to the right of payments (arrears).

A payment settles an invoice with its denda, but late fees belong to arrears, which payments
cannot import: arrears registers here, in its ``AppConfig.ready``, what it adds to invoices.
"""

from collections.abc import Callable, Mapping, Sequence

from billing.models import Invoice

# (invoices) -> {invoice id: Rupiah added to what settles that invoice (denda), an int ≥ 0}.
# One call for a whole list, so that a page of a year of bills costs what one bill costs.
# Called only for invoices that are outstanding; an invoice it does not name gets 0.
Surcharge = Callable[[Sequence[Invoice]], Mapping[int, int]]

_surcharges: list[Surcharge] = []


def register_surcharge(surcharge: Surcharge) -> Surcharge:
    if surcharge not in _surcharges:
        _surcharges.append(surcharge)
    return surcharge


def unregister_surcharge(surcharge: Surcharge) -> None:
    if surcharge in _surcharges:
        _surcharges.remove(surcharge)


def surcharges_of(invoices: Sequence[Invoice]) -> dict[int, int]:
    """{invoice id: the sum of every registered surcharge on it}."""
    totals = {invoice.pk: 0 for invoice in invoices}
    if not totals:
        return totals
    for surcharge in _surcharges:
        for invoice_id, amount in surcharge(invoices).items():
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise TypeError(f"A surcharge is an int of Rupiah ≥ 0, got {amount!r}")
            if invoice_id in totals:
                totals[invoice_id] += amount
    return totals


def surcharges(invoice: Invoice) -> int:
    return surcharges_of([invoice])[invoice.pk]
