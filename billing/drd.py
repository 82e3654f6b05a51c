"""The DRD (daftar rekening ditagih): the register of invoices issued for a period, by zone and
by golongan, with totals; the receivable is booked from it.

One aggregate query each way, whatever the number of invoices: the database counts and sums
(the (period, status) index picks the period's invoices), Python only sees one row per zone or
class. An invoice counts where it was billed: its route's zone and its own tariff class at
billing time, not where the customer is today. Cancelled invoices are out; their replacements
are in.
"""

import csv
import io
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceStatus
from meters.models import Period
from pdam.exports import export_row


@dataclass(frozen=True)
class DrdRow:
    code: str
    name: str
    count: int
    m3: int
    amount: int


@dataclass(frozen=True)
class Drd:
    period: Period
    by_zone: list[DrdRow]
    by_class: list[DrdRow]

    @property
    def total(self) -> DrdRow:
        return DrdRow(
            code="",
            name=_("Total"),
            count=sum(row.count for row in self.by_zone),
            m3=sum(row.m3 for row in self.by_zone),
            amount=sum(row.amount for row in self.by_zone),
        )


def _grouped(period: Period, code: str, name: str, order: tuple[str, ...]) -> list[DrdRow]:
    rows = (
        Invoice.objects.filter(period=period, status=InvoiceStatus.ISSUED)
        .order_by()
        .values(code, name, *order)
        .annotate(count=Count("id"), m3=Sum("billed_usage_m3"), amount=Sum("total"))
        .order_by(*order)
        .values_list(code, name, "count", "m3", "amount")
    )
    return [DrdRow(c, n, count, m3 or 0, amount or 0) for c, n, count, m3, amount in rows]


def drd_for(*, period: Period) -> Drd:
    """The DRD of a period: two aggregate queries."""
    return Drd(
        period=period,
        by_zone=_grouped(period, "route__zone__code", "route__zone__name", ("route__zone__code",)),
        by_class=_grouped(
            period,
            "tariff_class__code",
            "tariff_class__name",
            ("tariff_class__sort_order", "tariff_class__code"),
        ),
    )


def drd_latest_period() -> Period | None:
    """The latest period that has been billed (or is being billed)."""
    return Period.objects.exclude(state="open").order_by("-month").first()


def _header() -> list[str]:
    return [_("Code"), _("Name"), _("Invoices"), _("m³ billed"), _("Amount (Rp)")]


def _sections(drd: Drd) -> list[tuple[str, list[DrdRow]]]:
    return [(_("By zone"), drd.by_zone), (_("By tariff class"), drd.by_class)]


def drd_csv(*, drd: Drd) -> str:
    """One table: the grouping in the first column, a total row closing each grouping."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export_row([_("Period"), _("Grouping"), *_header()]))
    for title, rows in _sections(drd):
        for row in [*rows, drd.total]:
            writer.writerow(
                export_row([str(drd.period), title, row.code, row.name, row.count, row.m3, row.amount])
            )
    return out.getvalue()


THOUSANDS = "#,##0"


def drd_xlsx(*, drd: Drd) -> bytes:
    """A workbook with one sheet per grouping; counts, m³ and Rupiah are numbers (integers
    with a thousands format), so the sheet adds up in Excel as it does here."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for title, rows in _sections(drd):
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(export_row([_("DRD %(period)s: invoices issued") % {"period": drd.period}]))
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([])
        sheet.append(export_row(_header()))
        for cell in sheet[3]:
            cell.font = bold
        for row in [*rows, drd.total]:
            sheet.append(export_row([row.code, row.name, row.count, row.m3, row.amount]))
            for cell in sheet[sheet.max_row][2:]:
                cell.number_format = THOUSANDS
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for column, width in zip("ABCDE", (10, 32, 12, 14, 18), strict=True):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A4"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
