import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerStatus
from pdam.models import AuditEntry
from tests.customers.factories import CustomerFactory, RouteFactory, TariffClassFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def test_search_by_number_opens_the_customer(persona_client, customer):
    response = persona_client("cashier").get(reverse("customers:search"), {"q": customer.number})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.number])


def test_search_by_name_lists_matches(persona_client):
    CustomerFactory(name="Rahmat Hidayat")
    CustomerFactory(name="Joko Susanto")
    page = persona_client("cs").get(reverse("customers:search"), {"q": "hidayat"}).content.decode()
    assert "Rahmat Hidayat" in page
    assert "Joko Susanto" not in page


def test_search_with_no_match_says_so(persona_client):
    page = persona_client("cs").get(reverse("customers:search"), {"q": "zzzzz"}).content.decode()
    assert "Tidak ada pelanggan yang cocok" in page


def test_create_customer_then_see_it(persona_client):
    route = RouteFactory(zone=ZoneFactory(code="03"))
    tariff = TariffClassFactory()
    client = persona_client("cs")
    response = client.post(
        reverse("customers:create"),
        {
            "name": "Andi Mappanyukki",
            "address": "Jl. Sunu No. 4",
            "phone": "0812",
            "email": "",
            "route": route.pk,
            "route_sequence": 10,
            "tariff_class": tariff.pk,
            "connected_on": "2026-01-02",
        },
    )
    customer = Customer.objects.get()
    assert customer.number == "0300000001"
    assert response["Location"] == reverse("customers:detail", args=[customer.number])
    page = client.get(response["Location"]).content.decode()
    assert "Andi Mappanyukki" in page
    assert "dewi_cs" in page  # the change history names who registered it


def test_create_with_bad_input_shows_errors_and_writes_nothing(persona_client):
    route = RouteFactory()
    response = persona_client("cs").post(
        reverse("customers:create"),
        {
            "name": "",
            "address": "Jl. Sunu",
            "route": route.pk,
            "route_sequence": "-3",
            "tariff_class": 999,
            "connected_on": "kemarin",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bidang ini tidak boleh kosong" in page
    assert not Customer.objects.exists()


def test_create_with_future_date_is_a_form_error(persona_client):
    route = RouteFactory()
    response = persona_client("cs").post(
        reverse("customers:create"),
        {
            "name": "Andi",
            "address": "Jl. Sunu",
            "route": route.pk,
            "route_sequence": 1,
            "tariff_class": TariffClassFactory().pk,
            "connected_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "tidak boleh di masa depan" in response.content.decode()
    assert not Customer.objects.exists()


def test_edit_records_reason_shown_on_the_customer_page(persona_client, customer):
    client = persona_client("supervisor")
    response = client.post(
        reverse("customers:edit", args=[customer.number]),
        {
            "name": customer.name,
            "address": "Jl. Baru No. 9",
            "phone": "",
            "email": "",
            "route": customer.route.pk,
            "route_sequence": customer.route_sequence,
            "tariff_class": customer.tariff_class.pk,
            "reason": "Salah ketik alamat",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.address == "Jl. Baru No. 9"
    page = client.get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert "Salah ketik alamat" in page
    assert "Jl. Baru No. 9" in page


def test_status_change_through_the_page(persona_client, customer):
    client = persona_client("cs")
    response = client.post(
        reverse("customers:status", args=[customer.number]),
        {
            "to_status": "sealed",
            "effective_on": timezone.localdate().isoformat(),
            "reason": "Tunggakan 4 bulan",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.SEALED
    assert AuditEntry.objects.filter(action="customer.status").count() == 1


def test_status_page_offers_only_allowed_transitions(persona_client):
    closed = CustomerFactory(status=CustomerStatus.CLOSED)
    response = persona_client("cs").post(
        reverse("customers:status", args=[closed.number]),
        {"to_status": "active", "effective_on": timezone.localdate().isoformat(), "reason": "buka"},
    )
    assert response.status_code == 200
    closed.refresh_from_db()
    assert closed.status == CustomerStatus.CLOSED


def test_unknown_customer_is_404(persona_client):
    assert persona_client("cs").get(reverse("customers:detail", args=["0000000000"])).status_code == 404


def test_detail_page_query_count(persona_client, customer, django_assert_max_num_queries):
    client = persona_client("cs")
    # 12 for the page and the sections of meters and billing, 4 for payments (payments, paid
    # invoices, credit balance, credit ledger): a fixed number, however long the history.
    with django_assert_max_num_queries(16):
        assert client.get(reverse("customers:detail", args=[customer.number])).status_code == 200
