"""Invoice documents: the rekening as a PDF, one at a time or a route's batch for delivery.

A rekening is the utility's document, printed in the utility's language (LANGUAGE_CODE) whoever
asks for it: a batch printed by a clerk whose screen is in English is still delivered in
Indonesian, and one cached file serves everyone.

A single invoice PDF is rendered on demand and cached in the default storage. An issued invoice
never changes, but its status does (a correction cancels it), and so may the layout and its
translation: the file name carries the status and a fingerprint of the templates and the
message catalogue, so a cancelled invoice is never served from the PDF of its valid days and a
new layout or translation is picked up without clearing anything by hand.

Reads are here, next to the documents they serve: three queries whatever the number of
invoices (the invoices with their customer, route and class; their lines; the usage history).
"""

import base64
import contextlib
import datetime
import functools
import gc
import hashlib
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.text import get_valid_filename

from billing.models import Invoice, InvoiceLine, InvoiceStatus
from customers.models import Customer, Route
from meters.models import Period
from meters.selectors import month_add
from pdam.pdf import render_pdf

HISTORY_MONTHS = 6  # the usage chart: this invoice's month and the five before it
CUSTOMER_SECTION_LIMIT = 12
BATCH_LIMIT = 2_000  # a route is a day's walk; far more is a mistake, not a print job
DENSE_LINES = 7
TEMPLATES = ("pdf/invoice.html", "pdf/_invoice_page.html")


# --- Reads ------------------------------------------------------------------------------------


def invoices_for_documents() -> QuerySet[Invoice]:
    """Invoices with everything the invoice templates show (lines in one more query)."""
    return Invoice.objects.select_related(
        "customer",
        "period",
        "route__zone",
        "tariff_class",
        "replaced_by",
        "replaces",
        # The correction chain: "next month recounted" / "recounted from" (no query more).
        "issued_by_correction__carried_replacement",
        "carried_by_correction__invoice",
        "carried_by_correction__replacement",
    ).prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))


def invoice_get(*, number: str) -> Invoice:
    """The invoice with that number, ready for its page or its PDF (Invoice.DoesNotExist)."""
    return invoices_for_documents().get(number=number)


def route_batch_invoices(*, route: Route, period: Period, limit: int = BATCH_LIMIT) -> list[Invoice]:
    """The issued invoices of a route for a period, in walking order: the delivery pile."""
    return list(
        invoices_for_documents()
        .filter(route=route, period=period, status=InvoiceStatus.ISSUED)
        .order_by("customer__route_sequence", "customer__number")[:limit]
    )


def customer_invoices_recent(*, customer: Customer, limit: int = CUSTOMER_SECTION_LIMIT) -> QuerySet[Invoice]:
    """A customer's invoices, newest period first (a replacement above the invoice it replaced)."""
    return (
        Invoice.objects.filter(customer=customer)
        .select_related("period")
        .order_by("-period__month", "-issued_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class UsageBar:
    """One month of the usage chart; `usage_m3` is None when that month was not billed."""

    month: datetime.date
    usage_m3: int | None
    estimated: bool
    current: bool


def usage_history(*, invoices: list[Invoice]) -> dict[int, list[UsageBar]]:
    """For each invoice (by pk): the billed usage of its month and the five before, one query.

    Earlier months come from the customer's issued invoices (the month's own share of a
    trued-up usage, `billed_usage_m3`); the invoice's own month from the invoice itself, even a
    cancelled one, so its chart matches its stands.
    """
    if not invoices:
        return {}
    months = {invoice.period.month for invoice in invoices}
    rows = (
        Invoice.objects.filter(
            customer_id__in={invoice.customer_id for invoice in invoices},
            status=InvoiceStatus.ISSUED,
            period__month__gte=month_add(min(months), -(HISTORY_MONTHS - 1)),
            period__month__lt=max(months),
        )
        .order_by()
        .values_list("customer_id", "period__month", "billed_usage_m3", "estimated")
    )
    billed: dict[tuple[int, datetime.date], tuple[int, bool]] = {
        (customer_id, month): (usage, estimated) for customer_id, month, usage, estimated in rows
    }
    history = {}
    for invoice in invoices:
        bars = []
        for back in range(HISTORY_MONTHS - 1, 0, -1):
            month = month_add(invoice.period.month, -back)
            usage, estimated = billed.get((invoice.customer_id, month), (None, False))
            bars.append(UsageBar(month=month, usage_m3=usage, estimated=estimated, current=False))
        bars.append(
            UsageBar(
                month=invoice.period.month,
                usage_m3=invoice.billed_usage_m3,
                estimated=invoice.estimated,
                current=True,
            )
        )
        history[invoice.pk] = bars
    return history


# The chart's bars, in SVG units: one column a month, bars standing on the axis.
CHART_SLOT = 50
CHART_BAR = 28
CHART_TALLEST = 40
# Its labels are two lines of monospaced text, CHART_CELL characters a month, set exactly
# over the columns (the template sizes the image to CHART_CELL characters a month).
CHART_CELL = 8
MONO_ADVANCE_MM = 0.6021 * 7 * 25.4 / 72  # DejaVu Sans Mono at 7 pt: 0.6021 em a character


def usage_chart_svg(bars: list[UsageBar]) -> str:
    """The usage chart's bars as an SVG document, for an ``<img>``; the m³ above them and the
    months below are two lines of text (`usage_chart_rows`).

    Speed decides the split: WeasyPrint draws an SVG image of a few rectangles in no time, but
    lays out each text of it as it does a paragraph; twelve of them per bill, or the same chart
    as HTML boxes, took a sixth of a 500-bill batch. Bars are in proportion to the largest
    month, with a sliver for a month billed at 0 m³.
    """
    peak = max((bar.usage_m3 or 0 for bar in bars), default=0) or 1
    width = CHART_SLOT * len(bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {CHART_TALLEST + 1}">',
        f'<line x1="0" y1="{CHART_TALLEST + 0.5}" x2="{width}" y2="{CHART_TALLEST + 0.5}" stroke="#888"/>',
    ]
    for i, bar in enumerate(bars):
        if bar.usage_m3 is None:
            continue
        height = max(1, round(CHART_TALLEST * bar.usage_m3 / peak))
        fill = "#0b5ea8" if bar.current else "#ffffff" if bar.estimated else "#9dbfe3"
        dashed = ' stroke="#b35c00" stroke-width="1.5" stroke-dasharray="4 2"' if bar.estimated else ""
        parts.append(
            f'<rect x="{i * CHART_SLOT + (CHART_SLOT - CHART_BAR) // 2}" y="{CHART_TALLEST - height}" '
            f'width="{CHART_BAR}" height="{height}" fill="{fill}"{dashed}/>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class ChartRow:
    """A line of chart labels, the current (last) month's apart so that it can be set bold."""

    earlier: str
    current: str


def usage_chart_rows(bars: list[UsageBar]) -> tuple[ChartRow, ChartRow]:
    """The m³ of each month (``–`` when not billed, ``*`` when estimated) and the months'
    names, each centred in its column of CHART_CELL characters."""

    def cells(texts: list[str]) -> ChartRow:
        centred = [text.center(CHART_CELL)[:CHART_CELL] for text in texts]
        return ChartRow(earlier="".join(centred[:-1]), current=centred[-1])

    values = cells(["–" if b.usage_m3 is None else f"{b.usage_m3}{'*' if b.estimated else ''}" for b in bars])
    months = cells([date_format(bar.month, "M y") for bar in bars])
    return values, months


# --- The documents ----------------------------------------------------------------------------


def payment_url(*, customer_number: str) -> str:
    """Where the QR code leads: the portal's bill check for this customer (online payment
    pages hang off it)."""
    base = getattr(settings, "PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}{reverse('home')}?nomor={customer_number}"


def qr_data_uri(text: str) -> str:
    """A QR code as a PNG ``data:`` URL, one pixel per module (the template scales it up without
    smoothing): a few hundred bytes, and far cheaper to print than the same code as an SVG
    path. Medium error correction survives a crumpled bill."""
    return segno.make_qr(text, error="m").png_data_uri(border=0, scale=1)


@dataclass(frozen=True)
class InvoicePage:
    invoice: Invoice
    history: list[UsageBar]
    chart_svg: str
    chart_values: ChartRow
    chart_months: ChartRow
    pay_url: str
    qr: str

    @property
    def chart(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.chart_svg.encode()).decode()

    @property
    def any_estimated(self) -> bool:
        return any(bar.estimated for bar in self.history)

    @property
    def dense(self) -> bool:
        """Many lines (a long true-up): printed tighter to stay on one page."""
        return len(self.invoice.lines.all()) > DENSE_LINES

    @property
    def has_tax(self) -> bool:
        return any(line.tax_amount for line in self.invoice.lines.all())

    @property
    def replacement(self) -> Invoice | None:
        return getattr(self.invoice, "replaced_by", None)

    @property
    def carried_to(self) -> Invoice | None:
        """The next month's replacement, when this invoice's corrected stand recounted it."""
        correction = getattr(self.invoice, "issued_by_correction", None)
        return correction.carried_replacement if correction is not None else None

    @property
    def carried_from(self):
        """The correction of the month before that recounted this invoice's usage, if any."""
        return getattr(self.invoice, "carried_by_correction", None)


def _utility() -> dict:
    return {
        "name": settings.UTILITY_NAME,
        "address": settings.UTILITY_ADDRESS,
        "phone": settings.UTILITY_PHONE,
        "logo": settings.UTILITY_LOGO,
    }


def invoice_pages(*, invoices: list[Invoice]) -> list[InvoicePage]:
    history = usage_history(invoices=invoices)
    pages = []
    for invoice in invoices:
        url = payment_url(customer_number=invoice.customer.number)
        bars = history[invoice.pk]
        values, months = usage_chart_rows(bars)
        pages.append(
            InvoicePage(
                invoice=invoice,
                history=bars,
                chart_svg=usage_chart_svg(bars),
                chart_values=values,
                chart_months=months,
                pay_url=url,
                qr=qr_data_uri(url),
            )
        )
    return pages


def invoices_html(*, invoices: list[Invoice], title: str, language: str | None = None) -> str:
    """One HTML document, one A5 page per invoice, sharing the stylesheet and the logo."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return render_to_string(
            "pdf/invoice.html",
            {
                "pages": invoice_pages(invoices=invoices),
                "title": title,
                "utility": _utility(),
                "chart_width_mm": f"{MONO_ADVANCE_MM * CHART_CELL * HISTORY_MONTHS:.2f}",
            },
        )


def invoice_html(*, invoice: Invoice, language: str | None = None) -> str:
    return invoices_html(invoices=[invoice], title=invoice.number, language=language)


@contextlib.contextmanager
def _collector_paused():
    """WeasyPrint builds a great many objects for a document; the cyclic garbage collector
    would walk them again and again while they are all still in use (a fifth of a batch's
    time). Their cycles are collected after the document is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def invoice_pdf_render(*, invoice: Invoice) -> bytes:
    """Render one invoice's PDF, uncached."""
    html = invoice_html(invoice=invoice)
    with _collector_paused():
        return render_pdf(html)


def route_batch_pdf(*, route: Route, period: Period, limit: int = BATCH_LIMIT) -> tuple[bytes, int]:
    """Every issued invoice of a route and period in one PDF, one page each, in walking order.

    Returns the PDF and how many invoices it holds (0: nothing to print, and no PDF).
    """
    invoices = route_batch_invoices(route=route, period=period, limit=limit)
    if not invoices:
        return b"", 0
    html = invoices_html(invoices=invoices, title=f"{route.code} {period}")
    with _collector_paused():
        return render_pdf(html), len(invoices)


# --- The cache of single invoice PDFs ----------------------------------------------------------


@functools.cache
def _layout_fingerprint(language: str) -> str:
    """A short hash of the invoice templates and the language's message catalogue."""
    digest = hashlib.sha256(language.encode())
    for name in TEMPLATES:
        digest.update(Path(get_template(name).origin.name).read_bytes())
    for locale_path in settings.LOCALE_PATHS:
        catalogue = Path(locale_path, language, "LC_MESSAGES", "django.mo")
        if catalogue.exists():
            digest.update(catalogue.read_bytes())
    return digest.hexdigest()[:10]


def invoice_pdf_path(invoice: Invoice) -> str:
    """``invoices/2026-11/202611-0101000001-issued-<layout>.pdf``: a cancelled invoice has a file
    of its own, never the one it had while it was valid."""
    number = get_valid_filename(invoice.number)
    layout = _layout_fingerprint(settings.LANGUAGE_CODE)
    # The bill carries the registration code: a rotated code gets a file of its own.
    code = hashlib.sha256(invoice.customer.registration_code.encode()).hexdigest()[:8]
    return f"invoices/{invoice.period.month:%Y-%m}/{number}-{invoice.status}-{layout}-{code}.pdf"


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The invoice's PDF from the cache, rendered and stored on first request."""
    name = invoice_pdf_path(invoice)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as cached:
            return cached.read()
    pdf = invoice_pdf_render(invoice=invoice)
    saved = default_storage.save(name, ContentFile(pdf))
    if saved != name:  # another request stored it first: keep one copy
        default_storage.delete(saved)
    if invoice.status == InvoiceStatus.CANCELLED:
        # Its valid days' PDF must not outlive it in storage.
        stale = name.replace(f"-{InvoiceStatus.CANCELLED}-", f"-{InvoiceStatus.ISSUED}-")
        if default_storage.exists(stale):
            default_storage.delete(stale)
    return pdf
