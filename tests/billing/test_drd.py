"""The DRD (daftar rekening ditagih): exact totals by zone and golongan, the page, CSV and XLSX."""

import csv
import datetime
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Sum
from django.urls import reverse

from billing import drd
from billing.models import Invoice, InvoiceStatus
from customers.models import Zone
from meters.models import Period
from tests.billing.fixtures import bill_months, cancel_and_reissue, connect, niaga_kecil, rumah_tangga_a
from tests.conftest import PASSWORD
from tests.customers.factories import RouteFactory, ZoneFactory

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def billed(cs_user, supervisor_user):
    """Two zones, two golongan, five customers billed for October and November 2026."""
    tengah = RouteFactory(code="01-001", zone=ZoneFactory(code="01", name="Kota Tengah"))
    pesisir = RouteFactory(code="02-001", zone=ZoneFactory(code="02", name="Pesisir"))
    rt_a, niaga = rumah_tangga_a(), niaga_kecil()
    a, b, c = (connect(cs_user, route=tengah, tariff_class=k) for k in (rt_a, rt_a, niaga))
    d, e = (connect(cs_user, route=pesisir, tariff_class=k) for k in (rt_a, niaga))
    bill_months(
        cs_user,
        supervisor_user,
        {
            a: {10: 20, 11: 25},  # 11.000 + 14.800 + 10.000 + 11.500 = 47.300
            b: {10: 5, 11: 4},  # 10 m³ minimum: 11.000 + 11.500 = 22.500
            c: {10: 25, 11: 30},  # 30 × 3.000 + 20.000 = 110.000
            d: {10: 15, 11: 15},  # 11.000 + 7.400 + 11.500 = 29.900
            e: {10: 12, 11: 12},  # 12 × 3.000 + 20.000 = 56.000
        },
    )
    # D's November is corrected: cancelled and reissued. It counts once, as its replacement.
    cancel_and_reissue(Invoice.objects.get(customer=d, period__month=NOVEMBER))
    return SimpleNamespace(november=Period.objects.get(month=NOVEMBER), customers=[a, b, c, d, e])


def test_drd_by_zone_and_by_golongan_with_exact_totals(billed, django_assert_num_queries):
    with django_assert_num_queries(2):  # one aggregate query each way
        register = drd.drd_for(period=billed.november)

    assert register.by_zone == [
        drd.DrdRow("01", "Kota Tengah", 3, 25 + 4 + 30, 47_300 + 22_500 + 110_000),
        drd.DrdRow("02", "Pesisir", 2, 15 + 12, 29_900 + 56_000),
    ]
    assert register.by_class == [
        drd.DrdRow("2A", "Rumah Tangga A", 3, 25 + 4 + 15, 47_300 + 22_500 + 29_900),
        drd.DrdRow("3A", "Niaga Kecil", 2, 30 + 12, 110_000 + 56_000),
    ]
    assert (register.total.count, register.total.m3, register.total.amount) == (5, 86, 265_700)


def test_drd_totals_match_the_issued_invoices_of_the_period(billed):
    register = drd.drd_for(period=billed.november)
    issued = Invoice.objects.filter(period=billed.november, status=InvoiceStatus.ISSUED).aggregate(
        count=Count("id"), m3=Sum("billed_usage_m3"), amount=Sum("total")
    )
    assert (register.total.count, register.total.m3, register.total.amount) == (
        issued["count"],
        issued["m3"],
        issued["amount"],
    )
    assert sum(row.amount for row in register.by_class) == register.total.amount
    # October is its own register; the cancelled November invoice is in neither.
    october = drd.drd_for(period=Period.objects.get(month=datetime.date(2026, 10, 1)))
    assert october.total.count == 5
    assert Invoice.objects.filter(status=InvoiceStatus.CANCELLED).count() == 1


def test_drd_of_a_period_without_invoices_is_empty():
    register = drd.drd_for(period=Period.objects.create(month=NOVEMBER))
    assert (register.by_zone, register.by_class, register.total.amount) == ([], [], 0)


@pytest.fixture
def billing_clerk(db):
    user = get_user_model().objects.create_user(username="billing_clerk", password=PASSWORD)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="billing", codename="view_invoice")
    )
    return user


@pytest.fixture
def clerk(db):
    return get_user_model().objects.create_user(username="clerk", password=PASSWORD)


def test_drd_page_shows_both_registers_and_the_downloads(client, billed, billing_clerk):
    client.force_login(billing_clerk)
    response = client.get(reverse("billing:drd"), {"period": "2026-11"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kota Tengah" in page and "Pesisir" in page and "Rumah Tangga A" in page
    assert "Rp 179.800" in page and "Rp 85.900" in page and "Rp 99.700" in page and "Rp 166.000" in page
    assert page.count("Rp 265.700") == 2  # the total of each register
    assert reverse("billing:drd_csv", args=["2026-11"]) in page
    assert reverse("billing:drd_xlsx", args=["2026-11"]) in page


def test_drd_page_defaults_to_the_latest_billed_period(client, billed, billing_clerk):
    Period.objects.create(month=datetime.date(2026, 12, 1))  # open for readings: not billed yet
    client.force_login(billing_clerk)
    response = client.get(reverse("billing:drd"))
    assert response.context["month"] == NOVEMBER
    assert response.context["register"].total.amount == 265_700


def test_drd_page_of_a_month_without_invoices_says_so(client, billed, billing_clerk):
    client.force_login(billing_clerk)
    response = client.get(reverse("billing:drd"), {"period": "2025-01"})
    assert response.status_code == 200
    assert "No invoices were issued for this period." in response.content.decode()
    response = client.get(reverse("billing:drd"), {"period": "januari"})
    assert response.status_code == 200
    assert "Type a month as YYYY-MM." in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("clerk", 403), ("billing_clerk", 200)])
def test_drd_is_for_staff_who_may_see_invoices(client, billed, request, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in (
        reverse("billing:drd") + "?period=2026-11",
        reverse("billing:drd_csv", args=["2026-11"]),
        reverse("billing:drd_xlsx", args=["2026-11"]),
    ):
        assert client.get(url).status_code == status


def test_customer_cannot_see_the_drd(persona_client, billed):
    assert persona_client("customer").get(reverse("billing:drd")).status_code == 403


def test_drd_csv(client, billed, billing_clerk):
    client.force_login(billing_clerk)
    response = client.get(reverse("billing:drd_csv", args=["2026-11"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="DRD-2026-11.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Period", "Grouping", "Code", "Name", "Invoices", "m³ billed", "Amount (Rp)"],
        ["2026-11", "By zone", "01", "Kota Tengah", "3", "59", "179800"],
        ["2026-11", "By zone", "02", "Pesisir", "2", "27", "85900"],
        ["2026-11", "By zone", "", "Total", "5", "86", "265700"],
        ["2026-11", "By tariff class", "2A", "Rumah Tangga A", "3", "44", "99700"],
        ["2026-11", "By tariff class", "3A", "Niaga Kecil", "2", "42", "166000"],
        ["2026-11", "By tariff class", "", "Total", "5", "86", "265700"],
    ]


def test_drd_xlsx_holds_numbers_with_a_thousands_format(client, billed, billing_clerk):
    client.force_login(billing_clerk)
    response = client.get(reverse("billing:drd_xlsx", args=["2026-11"]))
    assert response["Content-Type"] == drd_views_xlsx()
    assert 'filename="DRD-2026-11.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["By zone", "By tariff class"]
    zones = workbook["By zone"]
    assert zones["A1"].value == "DRD 2026-11: invoices issued"
    assert [cell.value for cell in zones[3]] == ["Code", "Name", "Invoices", "m³ billed", "Amount (Rp)"]
    assert [[cell.value for cell in row] for row in zones.iter_rows(min_row=4)] == [
        ["01", "Kota Tengah", 3, 59, 179_800],
        ["02", "Pesisir", 2, 27, 85_900],
        [None, "Total", 5, 86, 265_700],
    ]
    assert all(isinstance(cell.value, int) for cell in zones[6][2:])
    assert zones["E4"].number_format == "#,##0"
    classes = workbook["By tariff class"]
    assert [cell.value for cell in classes[6]] == [None, "Total", 5, 86, 265_700]


def drd_views_xlsx() -> str:
    from billing.views.drd import XLSX

    return XLSX


@pytest.mark.parametrize("month", ["2026-13", "nov", "2030-01"])
def test_drd_downloads_of_a_bad_or_unknown_month_are_not_found(client, billed, billing_clerk, month):
    client.force_login(billing_clerk)
    assert client.get(reverse("billing:drd_csv", args=[month])).status_code == 404
    assert client.get(reverse("billing:drd_xlsx", args=[month])).status_code == 404


def test_drd_exports_neutralise_formulas_in_names_and_keep_numbers(client, billed, billing_clerk):
    Zone.objects.filter(code="01").update(name='=HYPERLINK("http://evil.example","Kota")')
    Zone.objects.filter(code="02").update(name="@SUM(1+1)")
    client.force_login(billing_clerk)
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("billing:drd_csv", args=["2026-11"])).content.decode()))
    )
    assert rows[1][3] == '\'=HYPERLINK("http://evil.example","Kota")'
    assert rows[2][3] == "'@SUM(1+1)"
    assert rows[1][6] == "179800"
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("billing:drd_xlsx", args=["2026-11"])).content)
    )
    zones = workbook["By zone"]
    assert zones["B4"].value == '\'=HYPERLINK("http://evil.example","Kota")'
    assert zones["B4"].data_type == "s"
    assert zones["B5"].value == "'@SUM(1+1)"
    assert zones["E4"].value == 179_800
    assert zones["E4"].data_type == "n"
