"""The DSML reading sheet (HTML and PDF) and the period's reading progress page."""

import datetime
import shutil
import socket
import subprocess

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from customers.models import CustomerStatus
from meters import sheets
from meters.models import Anomaly, Flag, Period, ReadingStatus
from meters.services import period_get_or_open
from pdam.pdf import render_pdf
from tests.customers.factories import CustomerFactory, RouteFactory, ZoneFactory
from tests.meters.factories import MeterFactory, PeriodFactory, ReadingFactory

pytestmark = pytest.mark.django_db

JUNE = datetime.date(2026, 6, 1)
MAY = datetime.date(2026, 5, 1)


@pytest.fixture(autouse=True)
def _today(settings):
    settings.LANGUAGE_CODE = "en"
    with time_machine.travel(datetime.datetime(2026, 6, 15, 3, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def staff(cs_user):
    cs_user.user_permissions.add(Permission.objects.get(codename="view_reading"))
    return cs_user


@pytest.fixture
def route():
    """Route 01-007 in walking order: three with meters and a May reading, one without a meter,
    one disconnected (not on the sheet)."""
    route = RouteFactory(code="01-007", name="Rute Veteran", zone=ZoneFactory(code="01", name="Kota Tengah"))
    may = PeriodFactory(month=MAY)
    for sequence, number, name, stand in [
        (30, "0100000030", "Citra Lestari", 2480),
        (10, "0100000010", "Andi Saputra", 1520),
        (20, "0100000020", "Budi Hidayat", 930),
    ]:
        customer = CustomerFactory(number=number, name=name, route=route, route_sequence=sequence)
        MeterFactory(customer=customer, serial_number=f"MTR-{number}")
        ReadingFactory(customer=customer, period=may, previous_stand=stand - 20, usage_m3=20)
    CustomerFactory(number="0100000040", name="Dewi Anggraini", route=route, route_sequence=40)
    CustomerFactory(number="0100000050", route=route, route_sequence=50, status=CustomerStatus.DISCONNECTED)
    return route


def test_dsml_lists_the_route_in_walking_order_with_last_stands(route):
    period = period_get_or_open(month=JUNE)
    html = sheets.dsml_html(route=route, period=period)

    assert "Perumda Air Minum Tirta Sejahtera" in html
    assert "Jl. Ahmad Yani No. 12" in html
    assert "DSML 01-007 · June 2026" in html
    assert "Rute Veteran" in html and "Kota Tengah" in html
    assert "Printed 15 Jun 2026 11:00" in html
    order = [html.index(n) for n in ["0100000010", "0100000020", "0100000030", "0100000040"]]
    assert order == sorted(order)
    assert "0100000050" not in html  # disconnected: not read
    assert "MTR-0100000020" in html
    for last_stand in ["1520", "930", "2480"]:
        assert f'<td class="num">{last_stand}</td>' in html
    assert "no meter" in html  # Dewi has none yet
    assert "4 customers" in html
    assert "size: A4 landscape" in html
    assert 'counter(page) " / " counter(pages)' in html


def test_dsml_pdf_is_a_real_pdf_with_the_customers(route):
    pdf = sheets.dsml_pdf(route=route, period=period_get_or_open(month=JUNE))
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the text check needs it")
    text = subprocess.run(  # noqa: S603 - a fixed tool on our own bytes
        [pdftotext, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    for number in ["0100000010", "0100000020", "0100000030", "0100000040"]:
        assert number in text
    assert "Page 1 / 1" in text


def test_render_pdf_fetches_no_network(monkeypatch):
    connects = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connects.append(address))
    html = '<img src="http://127.0.0.1:9/x.png"><img src="pdam/logo.svg"><p>Halo</p>'
    assert render_pdf(html).startswith(b"%PDF-")
    assert connects == []  # the remote image is skipped; the logo comes from the static files


def test_dsml_view_serves_the_pdf(client, staff, route):
    client.force_login(staff)
    response = client.get(reverse("meters:dsml_pdf", args=[route.pk, "2026-06"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="DSML-01-007-2026-06.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    assert not Period.objects.filter(month=JUNE).exists()  # a page view opens no period


@pytest.mark.parametrize("month", ["2026-13", "juni", "2026-08"])
def test_dsml_view_with_a_bad_or_far_month_is_not_found(client, staff, route, month):
    client.force_login(staff)
    assert client.get(reverse("meters:dsml_pdf", args=[route.pk, month])).status_code == 404
    assert not Period.objects.filter(month=datetime.date(2026, 8, 1)).exists()


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 302), ("customer", 403), ("cashier", 403)])
def test_sheet_and_progress_are_closed_to_outsiders(persona_client, route, persona, status):
    client = persona_client(persona)
    assert client.get(reverse("meters:dsml_pdf", args=[route.pk, "2026-06"])).status_code == status
    assert client.get(reverse("meters:progress")).status_code == status


def test_progress_counts_read_flagged_estimated_and_missing(client, staff, route):
    june = PeriodFactory(month=JUNE)
    first, second, third = (c for c in route.customers.order_by("route_sequence")[:3])
    ReadingFactory(customer=first, period=june)
    ReadingFactory(customer=second, period=june, status=ReadingStatus.FLAGGED, flags=[Flag.HIGH])
    ReadingFactory(customer=third, period=june, stand=None, estimated=True, anomaly=Anomaly.LOCKED)
    quiet = RouteFactory(code="02-001", zone=ZoneFactory(code="02"))
    CustomerFactory(route=quiet)
    CustomerFactory(route=quiet, status=CustomerStatus.SEALED)

    client.force_login(staff)
    response = client.get(reverse("meters:progress"), {"period": "2026-06"})
    assert response.status_code == 200
    rows = {row["route"].code: row for row in response.context["rows"]}
    assert {
        k: rows["01-007"][k] for k in ("total", "read", "flagged", "estimated", "missing", "percent")
    } == {
        "total": 4,
        "read": 3,
        "flagged": 1,
        "estimated": 1,
        "missing": 1,
        "percent": 75,
    }
    assert (rows["02-001"]["total"], rows["02-001"]["read"], rows["02-001"]["missing"]) == (2, 0, 2)
    totals = response.context["totals"]
    assert (totals["total"], totals["read"], totals["missing"], totals["percent"]) == (6, 3, 3, 50)
    page = response.content.decode()
    assert reverse("meters:dsml_pdf", args=[route.pk, "2026-06"]) in page


def test_progress_defaults_to_the_current_month_and_links_to_entry(client, staff, route):
    staff.user_permissions.add(Permission.objects.get(codename="add_reading"))
    client.force_login(staff)
    response = client.get(reverse("meters:progress"))
    assert response.context["period"].month == JUNE
    assert not Period.objects.filter(month=JUNE).exists()
    (row,) = response.context["rows"]
    assert (row["route"], row["total"], row["read"], row["missing"]) == (route, 4, 0, 4)
    assert f"{reverse('meters:route_entry')}?route={route.pk}&amp;period=2026-06" in response.content.decode()


def test_progress_refuses_a_month_too_far_ahead(client, staff, route):
    client.force_login(staff)
    response = client.get(reverse("meters:progress"), {"period": "2027-01"})
    assert response.status_code == 200
    assert "That month is too far ahead." in response.content.decode()
    assert response.context["period"].month == JUNE
    assert not Period.objects.filter(month=datetime.date(2027, 1, 1)).exists()


def test_progress_page_query_count_does_not_grow_with_routes(
    client, staff, route, django_assert_max_num_queries
):
    for i in range(5):
        CustomerFactory(route=RouteFactory(code=f"03-{i:03d}"))
    client.force_login(staff)
    with django_assert_max_num_queries(9):
        client.get(reverse("meters:progress"), {"period": "2026-05"})
