"""Invoice documents: the PDF's content (on its HTML), a real PDF, the cache, the route batch,
and who may see which invoice."""

import base64
import datetime
import re
import zlib
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import translation

from billing import documents
from billing.models import Invoice, InvoiceStatus
from billing.views.invoices import customer_section
from meters.selectors import month_add
from meters.services import period_get_or_open
from tests.billing.fixtures import bill_months, cancel_and_reissue, connect, rumah_tangga_a
from tests.conftest import PASSWORD
from tests.customers.factories import RouteFactory, ZoneFactory

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _english_documents(settings, media_root):
    # Documents are printed in the utility's language; the tests read the English msgids.
    settings.LANGUAGE_CODE = "en"
    settings.PORTAL_URL = "https://portal.tirta.example/"


@pytest.fixture
def billed(cs_user, supervisor_user, customer_user, other_customer_user):
    """Route 01-001: Budi read every month June–November 2026; Siti's house locked in November
    (estimated). Their portal accounts are the customer personas."""
    route = RouteFactory(code="01-001", name="Rute Veteran", zone=ZoneFactory(code="01", name="Kota Tengah"))
    rt_a = rumah_tangga_a()
    budi = connect(
        cs_user, route=route, tariff_class=rt_a, number="0101000001", name="Budi Santoso",
        address="Jl. Veteran No. 7", route_sequence=10, user=customer_user,
    )  # fmt: skip
    siti = connect(
        cs_user, route=route, tariff_class=rt_a, number="0101000002", name="Siti Rahmah",
        address="Jl. Veteran No. 9", route_sequence=20, user=other_customer_user,
    )  # fmt: skip
    bill_months(
        cs_user,
        supervisor_user,
        {
            budi: {6: 20, 7: 18, 8: 22, 9: 15, 10: 19, 11: 25},
            siti: {6: 20, 7: 21, 8: 20, 9: 22, 10: 18, 11: None},
        },
    )
    return SimpleNamespace(
        route=route,
        budi=budi,
        siti=siti,
        budi_nov=Invoice.objects.get(customer=budi, period__month=NOVEMBER),
        siti_nov=Invoice.objects.get(customer=siti, period__month=NOVEMBER),
    )


def html_of(invoice: Invoice, language: str | None = None) -> str:
    return documents.invoice_html(invoice=documents.invoice_get(number=invoice.number), language=language)


def text_of(html: str) -> str:
    """The HTML's text with tags dropped and white space collapsed, for reading like a person."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_invoice_shows_identity_customer_stands_lines_total_and_due_date(billed):
    html = html_of(billed.budi_nov)
    text = text_of(html)

    assert "Perumda Air Minum Tirta Sejahtera" in text
    assert "Jl. Ahmad Yani No. 12, Kota Contoh" in text
    assert "(0411) 555-0100" in text
    assert '<img class="logo" src="pdam/logo.svg"' in html
    assert "size: A5 portrait" in html
    assert "Water bill November 2026" in text
    assert "0101000001 Budi Santoso Jl. Veteran No. 7" in text
    assert "Route 01-001 · Zone Kota Tengah" in text
    assert "Tariff class 2A Rumah Tangga A" in text
    code = billed.budi_nov.customer.registration_code
    assert f"Registration code (to open your online account) {code[:5]}-{code[5:]}" in text
    assert 'Invoice no. Issued Meter size 202611-0101000001 25 Nov 2026 1/2"' in text
    # 100 + 20 + 18 + 22 + 15 + 19 = 194 before November; 25 m³ used.
    assert "Previous stand 194 Current stand 219 Usage 25 m³" in text
    # 10 × 1.100 + 10 × 1.480 + 5 × 2.000 = 35.800 water, + 11.500 administration = 47.300
    assert "Water 1–10 m³ 10 Rp 1.100 Rp 11.000" in text
    assert "Water 11–20 m³ 10 Rp 1.480 Rp 14.800" in text
    assert "Water 21–30 m³ 5 Rp 2.000 Rp 10.000" in text
    assert "Administration fee Rp 11.500 Total to pay Rp 47.300" in text  # no price: not per m³
    assert "Total to pay Rp 47.300" in text
    # Issued 25 November, after the 20th: the true due date is 14 days after issue.
    assert "Due date 9 December 2026" in text
    assert "Please pay by 9 December 2026 . Payment after the due date is subject to a late fee." in text
    assert "estimated usage" not in text
    assert "CANCELLED" not in text


def test_invoice_qr_code_leads_to_the_customers_bill_check(billed):
    html = html_of(billed.budi_nov)
    url = "https://portal.tirta.example/?nomor=0101000001"
    assert documents.payment_url(customer_number="0101000001") == url
    assert url in html
    qr = documents.qr_data_uri(url)
    assert qr.startswith("data:image/png;base64,")
    assert f'<img class="qr" src="{qr}"' in html


def test_invoice_without_portal_url_setting_uses_the_local_default(billed, settings):
    del settings.PORTAL_URL
    assert documents.payment_url(customer_number="0101000001") == "http://127.0.0.1:8000/?nomor=0101000001"


def page_of(invoice: Invoice) -> documents.InvoicePage:
    return documents.invoice_pages(invoices=[documents.invoice_get(number=invoice.number)])[0]


def test_invoice_charts_the_last_six_months_of_usage(billed):
    page = page_of(billed.budi_nov)
    assert [(bar.month.month, bar.usage_m3, bar.current) for bar in page.history] == [
        (6, 20, False), (7, 18, False), (8, 22, False), (9, 15, False), (10, 19, False), (11, 25, True),
    ]  # fmt: skip
    svg = page.chart_svg
    heights = [int(h) for h in re.findall(r'<rect [^>]*height="(\d+)"', svg)]
    assert heights == [32, 29, 35, 24, 30, 40]  # in proportion to November's 25 m³
    # Labels: eight characters a month, over and under their bars; this month's bold.
    assert page.chart_values == documents.ChartRow("   20      18      22      15      19   ", "   25   ")
    assert page.chart_months == documents.ChartRow(" Jun 26  Jul 26  Aug 26  Sep 26  Oct 26 ", " Nov 26 ")
    html = html_of(billed.budi_nov)
    assert f'<img class="chart" src="{page.chart}"' in html
    assert '<div class="chart-row">   20      18      22      15      19   <b>   25   </b></div>' in html
    assert base64.b64decode(page.chart.split(",", 1)[1]).decode() == svg
    assert "Your usage in m³, last 6 months" in text_of(html)


def test_history_leaves_unbilled_months_empty(billed):
    Invoice.objects.filter(customer=billed.budi, period__month=datetime.date(2026, 8, 1)).update(
        status=InvoiceStatus.CANCELLED
    )  # August cancelled, no replacement: not billed
    page = page_of(billed.budi_nov)
    assert [bar.usage_m3 for bar in page.history] == [20, 18, None, 15, 19, 25]
    assert page.chart_values.earlier == "   20      18      –       15      19   "
    assert page.chart_svg.count("<rect ") == 5


def test_estimated_invoice_says_so(billed):
    assert billed.siti_nov.estimated
    text = text_of(html_of(billed.siti_nov))
    assert "This bill is based on estimated usage: your meter could not be read this month." in text
    # No stand was read; the estimate is the average of August–October: (20 + 22 + 18) / 3 = 20
    assert "Previous stand 201 Current stand — not read Usage 20 m³" in text
    assert "Total to pay Rp 37.300" in text  # 11.000 + 14.800 + 11.500
    page = page_of(billed.siti_nov)
    assert page.chart_values.current == "  20*   "  # the chart marks the estimated month
    assert 'stroke-dasharray="4 2"' in page.chart_svg
    assert "* estimated" in text
    assert "* estimated" not in text_of(html_of(billed.budi_nov))  # no star, no legend


def test_invoice_in_indonesian_names_the_months_in_indonesian(billed, settings):
    settings.LANGUAGE_CODE = "id"  # the utility's language, whoever asks
    with translation.override("en"):
        html = html_of(billed.budi_nov)
        page = page_of(billed.budi_nov)
    text = text_of(html)
    assert '<html lang="id">' in html
    assert "Nomor pelanggan 0101000001" in text  # not the English of the request
    assert "9 Desember 2026" in text
    with translation.override("id"):
        months = page_of(billed.budi_nov).chart_months
    assert months.earlier.split() == ["Jun", "26", "Jul", "26", "Agu", "26", "Sep", "26", "Okt", "26"]
    assert page.history[0].month.month == 6


def test_cancelled_invoice_is_watermarked_and_names_its_replacement(billed):
    replacement = cancel_and_reissue(billed.budi_nov)
    text = text_of(html_of(billed.budi_nov))
    assert '<div class="watermark">CANCELLED</div>' in html_of(billed.budi_nov)
    assert "This invoice has been cancelled and is no longer valid." in text
    assert f"It is replaced by invoice {replacement.number}." in text
    assert "CANCELLED" not in html_of(replacement)


def test_documents_run_three_queries_whatever_the_number_of_invoices(billed, django_assert_num_queries):
    with django_assert_num_queries(3):  # invoice with customer/route/class, lines, history
        documents.invoice_html(invoice=documents.invoice_get(number=billed.budi_nov.number))
    period = billed.budi_nov.period
    with django_assert_num_queries(3):
        invoices = documents.route_batch_invoices(route=billed.route, period=period)
        documents.invoices_html(invoices=invoices, title="batch")
    assert len(invoices) == 2


def _page_count(pdf: bytes) -> int:
    """Pages of a PDF: WeasyPrint keeps the page objects in compressed object streams."""
    text = pdf
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", text))


def test_invoice_pdf_is_a_real_one_page_pdf(billed):
    pdf = documents.invoice_pdf_render(invoice=documents.invoice_get(number=billed.budi_nov.number))
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert _page_count(pdf) == 1


def test_route_batch_puts_each_issued_invoice_on_its_own_page_in_walking_order(billed, cs_user):
    third = connect(cs_user, route=billed.route, tariff_class=billed.budi.tariff_class, route_sequence=5)
    cancelled = Invoice.objects.get(customer=billed.budi, period__month=datetime.date(2026, 10, 1))
    Invoice.objects.filter(pk=cancelled.pk).update(status=InvoiceStatus.CANCELLED)  # other month: no effect
    cancel_and_reissue(billed.siti_nov)  # Siti's November: the replacement is printed, once

    invoices = documents.route_batch_invoices(route=billed.route, period=billed.budi_nov.period)
    assert [i.number for i in invoices] == ["202611-0101000001", "202611-0101000002-K1"]
    assert third.pk not in {i.customer_id for i in invoices}  # connected after the run

    pdf, count = documents.route_batch_pdf(route=billed.route, period=billed.budi_nov.period)
    assert count == 2
    assert pdf.startswith(b"%PDF-")
    assert _page_count(pdf) == 2


def test_route_batch_of_nothing_is_empty(billed):
    empty = RouteFactory(code="09-999")
    assert documents.route_batch_pdf(route=empty, period=billed.budi_nov.period) == (b"", 0)


def test_pdf_is_rendered_once_then_served_from_storage(billed, monkeypatch):
    invoice = documents.invoice_get(number=billed.budi_nov.number)
    path = documents.invoice_pdf_path(invoice)
    assert re.fullmatch(r"invoices/2026-11/202611-0101000001-issued-[0-9a-f]{10}-[0-9a-f]{8}\.pdf", path)
    assert not default_storage.exists(path)

    first = documents.invoice_pdf(invoice=invoice)
    assert default_storage.exists(path)
    with default_storage.open(path, "rb") as stored:
        assert stored.read() == first

    def render_again(**kwargs):
        raise AssertionError("a cached invoice must not be rendered again")

    monkeypatch.setattr(documents, "invoice_pdf_render", render_again)
    assert documents.invoice_pdf(invoice=invoice) == first


def test_a_cancelled_invoice_never_gets_its_valid_pdf(billed, monkeypatch):
    invoice = documents.invoice_get(number=billed.budi_nov.number)
    documents.invoice_pdf(invoice=invoice)
    issued_path = documents.invoice_pdf_path(invoice)

    cancel_and_reissue(invoice)
    cancelled = documents.invoice_get(number=invoice.number)
    rendered = []
    monkeypatch.setattr(
        documents,
        "invoice_pdf_render",
        lambda *, invoice: rendered.append(invoice.status) or b"%PDF-cancelled",
    )
    assert documents.invoice_pdf(invoice=cancelled) == b"%PDF-cancelled"
    assert rendered == [InvoiceStatus.CANCELLED]
    assert documents.invoice_pdf_path(cancelled) == issued_path.replace("-issued-", "-cancelled-")
    assert not default_storage.exists(issued_path)  # the valid-looking copy is gone


def test_layout_fingerprint_follows_the_templates(billed):
    documents._layout_fingerprint.cache_clear()
    before = documents._layout_fingerprint("en")
    assert documents._layout_fingerprint("id") != before  # each language's catalogue
    assert re.fullmatch(r"[0-9a-f]{10}", before)


# --- Views -------------------------------------------------------------------------------------


@pytest.fixture
def clerk(db):
    """Staff who may open the customer page but not invoices (roles are wired elsewhere)."""
    user = get_user_model().objects.create_user(username="clerk", password=PASSWORD)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="customers", codename="view_customer")
    )
    return user


@pytest.fixture
def billing_clerk(db):
    user = get_user_model().objects.create_user(username="billing_clerk", password=PASSWORD)
    user.user_permissions.add(
        *Permission.objects.filter(
            Q(content_type__app_label="customers", codename="view_customer")
            | Q(content_type__app_label="billing", codename="view_invoice")
        )
    )
    return user


@pytest.fixture
def client_as(persona_client, request):
    """``client_as("clerk")``: a persona, or one of the two staff users above."""

    def make(who: str):
        if who in ("clerk", "billing_clerk"):
            client = Client()
            client.force_login(request.getfixturevalue(who))
            return client
        return persona_client(who)

    return make


@pytest.fixture
def fake_pdf(monkeypatch):
    """The views' tests check access and headers; the real rendering is tested above."""
    monkeypatch.setattr(documents, "render_pdf", lambda html: b"%PDF-1.7 " + html.encode()[:200])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("customer", 200),  # Budi: his own connection
        ("other_customer", 404),  # Siti: not hers, and not told it exists
        ("billing_clerk", 200),
        ("clerk", 404),
    ],
)
def test_invoice_pdf_access(client_as, billed, fake_pdf, who, status):
    url = reverse("billing:invoice_pdf", args=[billed.budi_nov.number])
    response = client_as(who).get(url)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert 'filename="202611-0101000001.pdf"' in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"
        assert response.content.startswith(b"%PDF-")


def test_invoice_pdf_of_an_unknown_number_is_not_found(client_as, billed):
    response = client_as("billing_clerk").get(reverse("billing:invoice_pdf", args=["202611-0000000000"]))
    assert response.status_code == 404


def test_customer_gets_their_own_pdf_only(client_as, billed, fake_pdf):
    client = client_as("other_customer")  # Siti
    assert client.get(reverse("billing:invoice_pdf", args=[billed.siti_nov.number])).status_code == 200
    assert client.get(reverse("billing:invoice_pdf", args=[billed.budi_nov.number])).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("customer", 403), ("clerk", 403), ("billing_clerk", 200)],
)
def test_invoice_detail_access(client_as, billed, who, status):
    response = client_as(who).get(reverse("billing:invoice_detail", args=[billed.budi_nov.number]))
    assert response.status_code == status


def test_invoice_detail_shows_stands_lines_and_links(client_as, billed, django_assert_max_num_queries):
    client = client_as("billing_clerk")
    replacement = cancel_and_reissue(billed.budi_nov)
    # Session, user, permissions, invoice, lines, history; the sections later apps add (denda).
    with django_assert_max_num_queries(9):
        response = client.get(reverse("billing:invoice_detail", args=[billed.budi_nov.number]))
    text = text_of(response.content.decode())
    assert "Invoice 202611-0101000001" in text
    assert "194 219 25 m³ 25 m³" in text
    assert "Water 21–30 m³ Water 5 Rp 2.000 Rp 10.000" in text
    assert "Total Rp 47.300" in text
    assert f"Replaced by {replacement.number}" in text
    page = response.content.decode()
    assert reverse("billing:invoice_pdf", args=[billed.budi_nov.number]) in page
    assert reverse("billing:invoice_detail", args=[replacement.number]) in page
    assert reverse("customers:detail", args=["0101000001"]) in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("customer", 403), ("clerk", 403), ("billing_clerk", 200)],
)
def test_route_batch_access(client_as, billed, fake_pdf, who, status):
    response = client_as(who).get(reverse("billing:route_batch_pdf", args=[billed.route.pk, "2026-11"]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert 'filename="rekening-01-001-2026-11.pdf"' in response["Content-Disposition"]


@pytest.mark.parametrize("month", ["2026-13", "nov", "2025-01"])
def test_route_batch_of_a_bad_month_or_no_invoices_is_not_found(client_as, billed, month):
    client = client_as("billing_clerk")
    assert client.get(reverse("billing:route_batch_pdf", args=[billed.route.pk, month])).status_code == 404
    other = RouteFactory(code="01-002", zone=billed.route.zone)
    assert client.get(reverse("billing:route_batch_pdf", args=[other.pk, "2026-11"])).status_code == 404


def test_customer_page_lists_invoices_newest_first_for_staff_who_may_see_them(client_as, billed):
    url = reverse("customers:detail", args=["0101000002"])
    assert "202611-0101000002" not in client_as("clerk").get(url).content.decode()

    page = client_as("billing_clerk").get(url).content.decode()
    numbers = re.findall(r">(2026\d\d-0101000002)</a>", page)
    assert numbers == [f"2026{m:02d}-0101000002" for m in (11, 10, 9, 8, 7, 6)]
    row = page[page.index(">202611-0101000002<") :].split("</tr>")[0]
    assert "Rp 37.300" in row and "estimated" in row and "20 m³" in row
    assert reverse("billing:invoice_pdf", args=["202611-0101000002"]) in row


def test_customer_section_holds_twelve_invoices_at_most(billed, rf, clerk, billing_clerk):
    latest = billed.budi_nov
    for back in range(1, 10):  # nine months before June: fifteen invoices in all
        month = month_add(datetime.date(2026, 6, 1), -back)
        Invoice.objects.create(
            number=f"{month:%Y%m}-0101000001", customer=billed.budi, period=period_get_or_open(month=month),
            tariff_version_id=latest.tariff_version_id, tariff_class_id=latest.tariff_class_id,
            route=billed.route, total=1_000, due_date=month.replace(day=20),
        )  # fmt: skip
    request = rf.get("/")
    request.user = billing_clerk
    template, context = customer_section(request, billed.budi)
    assert template == "billing/_customer_invoices.html"
    months = [invoice.period.month for invoice in context["invoices"]]
    assert len(months) == 12 and months == sorted(months, reverse=True)
    assert months[0] == NOVEMBER

    request.user = clerk
    assert customer_section(request, billed.budi) is None
