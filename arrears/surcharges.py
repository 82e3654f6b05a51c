"""Denda as payments' surcharge: what the cashier, the bill check and online Pay add to each
invoice (registered in ArrearsConfig.ready)."""

from collections.abc import Mapping, Sequence

from django.utils import timezone

from arrears import services
from billing.models import Invoice


def late_fees_owed(invoices: Sequence[Invoice]) -> Mapping[int, int]:
    """The denda each invoice carries today (charging at once any step the nightly run has not)."""
    return services.late_fees_charge(invoices=invoices, on=timezone.localdate())
