"""Extension points for the app to the right of payments (arrears).

A payment settles an invoice with its denda, but late fees belong to arrears, which payments
cannot import: arrears registers here, in its ``AppConfig.ready``, what it adds to an invoice.
"""

from collections.abc import Callable

from billing.models import Invoice

# (invoice) -> Rupiah added to what settles the invoice (denda), an int ≥ 0.
Surcharge = Callable[[Invoice], int]

_surcharges: list[Surcharge] = []


def register_surcharge(surcharge: Surcharge) -> Surcharge:
    if surcharge not in _surcharges:
        _surcharges.append(surcharge)
    return surcharge


def unregister_surcharge(surcharge: Surcharge) -> None:
    if surcharge in _surcharges:
        _surcharges.remove(surcharge)


def surcharges(invoice: Invoice) -> int:
    total = 0
    for surcharge in _surcharges:
        amount = surcharge(invoice)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise TypeError(f"A surcharge is an int of Rupiah ≥ 0, got {amount!r}")
        total += amount
    return total
