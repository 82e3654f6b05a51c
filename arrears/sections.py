"""The denda block of the staff invoice page (registered in ArrearsConfig.ready)."""

from arrears.models import LateFee
from billing.models import Invoice


def invoice_section(request, invoice: Invoice) -> tuple[str, dict] | None:
    """The late fees charged on `invoice`, each step with its date, and whether it was waived.
    Nothing when it has none."""
    fees = list(LateFee.objects.filter(invoice=invoice).select_related("waiver").order_by("step"))
    if not fees:
        return None
    return (
        "arrears/_invoice_late_fees.html",
        {
            "fees": fees,
            "owed": sum(fee.amount for fee in fees if fee.waiver_id is None),
            "waived": sum(fee.amount for fee in fees if fee.waiver_id is not None),
        },
    )
