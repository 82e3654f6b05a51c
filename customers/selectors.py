"""Reads of the customer registry, shaped for the pages that show them."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from customers.models import Customer, CustomerStatus, CustomerStatusChange, Route, TariffClass, Zone
from pdam.audit import audit_entries_for

SEARCH_LIMIT = 50


def customer_search(*, query: str, limit: int = SEARCH_LIMIT) -> QuerySet[Customer]:
    """A number finds that customer exactly; other text matches name or address.

    On PostgreSQL the name and address matches use trigram indexes (migration 0002), so a
    search stays fast with a million customers; SQLite scans, which is fine for the demo.
    """
    query = " ".join(query.split())
    base = Customer.objects.select_related("route__zone", "tariff_class")
    if not query:
        return base.none()
    if query.isdigit():
        return base.filter(number=query)
    if len(query) < 3:
        return base.none()
    return base.filter(Q(name__icontains=query) | Q(address__icontains=query)).order_by("name", "number")[
        :limit
    ]


def customer_get(*, number: str) -> Customer:
    return Customer.objects.select_related("route__zone", "tariff_class", "user").get(number=number)


def customers_for_user(*, user) -> QuerySet[Customer]:
    """The connections a portal account holds."""
    return Customer.objects.filter(user=user).select_related("route__zone", "tariff_class")


@dataclass(frozen=True)
class HistoryRow:
    entry: object
    changes: list[tuple[str, object, object]]


def customer_history(*, customer: Customer) -> list[HistoryRow]:
    """The audit trail of a customer, with status codes shown as their labels."""
    labels = dict(CustomerStatus.choices)
    field_labels = {f.name: f.verbose_name for f in Customer._meta.concrete_fields}
    field_labels["effective_on"] = CustomerStatusChange._meta.get_field("effective_on").verbose_name
    rows = []
    for entry in audit_entries_for(customer)[:200]:
        changes = []
        for field, (old, new) in entry.changes.items():
            if field == "status":
                old, new = labels.get(old, old), labels.get(new, new)
            changes.append((field_labels.get(field, field), old, new))
        rows.append(HistoryRow(entry=entry, changes=changes))
    return rows


def registry_overview() -> dict:
    """Counts for the managers' registry overview: by zone and status, and by tariff class."""
    statuses = [s for s, _label in CustomerStatus.choices]
    by_zone = {
        zone.pk: {"zone": zone, "counts": dict.fromkeys(statuses, 0), "total": 0}
        for zone in Zone.objects.all()
    }
    for row in Customer.objects.values("route__zone", "status").annotate(n=Count("id")).order_by():
        zone_row = by_zone[row["route__zone"]]
        zone_row["counts"][row["status"]] = row["n"]
        zone_row["total"] += row["n"]
    class_counts = dict(
        Customer.objects.filter(status=CustomerStatus.ACTIVE)
        .values_list("tariff_class")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "statuses": CustomerStatus.choices,
        "by_zone": list(by_zone.values()),
        "by_class": [(tc, class_counts.get(tc.pk, 0)) for tc in TariffClass.objects.all()],
        "total": sum(z["total"] for z in by_zone.values()),
        "route_count": Route.objects.count(),
    }
