import datetime
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from meters import services
from meters.models import Period, Reading, ReadingMethod, ReadingStatus
from pdam.models import AuditEntry
from tests.conftest import PNG_1PX
from tests.customers.factories import CustomerFactory, RouteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def route_with_customers(cs_user):
    route = RouteFactory(code="01-001")
    customers = []
    for i in range(3):
        customer = CustomerFactory(
            route=route, route_sequence=(i + 1) * 10, connected_on=datetime.date(2020, 1, 1)
        )
        services.meter_install(
            actor=cs_user,
            customer=customer,
            serial_number=f"M{i}",
            installed_on=datetime.date(2020, 1, 1),
            size="1/2",
            initial_stand=1000,
        )
        customers.append(customer)
    return route, customers


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def save_url(route, customer) -> str:
    return reverse("meters:route_entry_save", args=[route.pk, this_month(), customer.number])


def test_route_entry_lists_customers_in_walking_order(persona_client, route_with_customers):
    route, customers = route_with_customers
    page = persona_client("cs").get(
        reverse("meters:route_entry"), {"route": route.pk, "period": this_month()}
    )
    html = page.content.decode()
    positions = [html.index(c.number) for c in customers]
    assert positions == sorted(positions)


def test_row_saves_as_json_and_shows_usage(persona_client, route_with_customers):
    route, customers = route_with_customers
    response = persona_client("cs").post(
        save_url(route, customers[0]),
        {"stand": "1017", "anomaly": "", "read_on": timezone.localdate().isoformat()},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json()["usage"] == 17
    assert response.json()["status"] == "ok"
    assert Reading.objects.get(customer=customers[0]).stand == 1017


def test_row_with_zero_usage_comes_back_flagged(persona_client, route_with_customers):
    route, customers = route_with_customers
    body = (
        persona_client("cs")
        .post(
            save_url(route, customers[1]),
            {"stand": "1000", "read_on": timezone.localdate().isoformat()},
            HTTP_ACCEPT="application/json",
        )
        .json()
    )
    assert body["status"] == ReadingStatus.FLAGGED
    assert body["flags"] == ["Pemakaian nol"]


def test_row_with_bad_stand_is_refused_in_indonesian_and_nothing_saved(persona_client, route_with_customers):
    route, customers = route_with_customers
    response = persona_client("cs").post(
        save_url(route, customers[0]),
        {"stand": "999", "read_on": timezone.localdate().isoformat()},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert "lebih rendah" in response.json()["error"]
    assert not Reading.objects.exists()


def test_row_of_another_route_is_refused(persona_client, route_with_customers):
    route, _customers = route_with_customers
    stranger = CustomerFactory()
    response = persona_client("cs").post(
        save_url(route, stranger),
        {"stand": "1", "read_on": timezone.localdate().isoformat()},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert not Reading.objects.exists()


def test_row_saves_without_javascript_too(persona_client, route_with_customers):
    route, customers = route_with_customers
    response = persona_client("cs").post(
        save_url(route, customers[2]), {"stand": "1012", "read_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    assert Reading.objects.get().usage_m3 == 12


def test_single_entry_with_photo_from_the_customer_page(persona_client, route_with_customers, media_root):
    _route, customers = route_with_customers
    client = persona_client("cs")
    response = client.post(
        reverse("meters:reading_single", args=[customers[0].number]),
        {
            "period": this_month(),
            "stand": "1020",
            "read_on": timezone.localdate().isoformat(),
            "photo": SimpleUploadedFile("meter.png", PNG_1PX, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert reading.photo
    page = client.get(reverse("customers:detail", args=[customers[0].number])).content.decode()
    assert "1020" in page
    assert reverse("meters:reading_photo", args=[reading.pk]) in page
    assert client.get(reverse("meters:reading_photo", args=[reading.pk])).status_code == 200


def test_single_entry_refuses_a_non_image(persona_client, route_with_customers, media_root):
    _route, customers = route_with_customers
    response = persona_client("cs").post(
        reverse("meters:reading_single", args=[customers[0].number]),
        {
            "period": this_month(),
            "stand": "1020",
            "read_on": timezone.localdate().isoformat(),
            "photo": SimpleUploadedFile("meter.png", b"not an image", content_type="image/png"),
        },
    )
    assert response.status_code == 200
    assert not Reading.objects.exists()


def test_a_refused_reading_leaves_no_new_period_behind(persona_client, route_with_customers):
    route, customers = route_with_customers
    before = set(Period.objects.values_list("month", flat=True))
    # A reading dated today cannot belong to a month two years ahead: refused.
    response = persona_client("cs").post(
        reverse("meters:reading_single", args=[customers[0].number]),
        {"period": "2028-11", "stand": "1020", "read_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert not Reading.objects.exists()
    assert set(Period.objects.values_list("month", flat=True)) == before


def test_a_saved_reading_says_m3_as_m_cubed(persona_client, route_with_customers):
    route, customers = route_with_customers
    response = persona_client("cs").post(
        save_url(route, customers[0]),
        {"stand": "1000", "read_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert Reading.objects.exists()
    page = response.content.decode()
    assert "m³." in page
    assert " m3." not in page


def test_queue_shows_the_reading_source_in_words(persona_client, cs_user, route_with_customers):
    route, customers = route_with_customers
    persona_client("cs").post(
        save_url(route, customers[0]), {"stand": "1000", "read_on": timezone.localdate().isoformat()}
    )
    Reading.objects.update(method=ReadingMethod.FIELD, entered_by=None)  # as the field app sends it
    queue = persona_client("supervisor").get(reverse("meters:verify_queue")).content.decode()
    assert "Baca lapangan" in queue
    assert ">field<" not in queue


def test_supervisor_confirms_from_the_queue(persona_client, cs_user, supervisor_user, route_with_customers):
    route, customers = route_with_customers
    persona_client("cs").post(
        save_url(route, customers[0]), {"stand": "1000", "read_on": timezone.localdate().isoformat()}
    )
    reading = Reading.objects.get()
    client = persona_client("supervisor")
    queue = client.get(reverse("meters:verify_queue")).content.decode()
    assert customers[0].number in queue
    assert client.get(reverse("meters:verify_detail", args=[reading.pk])).status_code == 200

    refused = client.post(reverse("meters:verify_detail", args=[reading.pk]), {"action": "reread"})
    assert refused.status_code == 200  # a reason is required
    response = client.post(reverse("meters:verify_detail", args=[reading.pk]), {"action": "confirm"})

    assert response.status_code == 302
    reading.refresh_from_db()
    assert (reading.status, reading.verified_by) == (ReadingStatus.OK, supervisor_user)
    client.get(reverse("meters:verify_queue"))  # shows the success message once
    queue = client.get(reverse("meters:verify_queue")).content.decode()
    assert reverse("meters:verify_detail", args=[reading.pk]) not in queue


def test_meter_install_and_replace_pages(persona_client):
    customer = CustomerFactory(connected_on=datetime.date(2020, 1, 1))
    client = persona_client("cs")
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("meters:meter_install", args=[customer.number]),
        {
            "serial_number": "abc-1",
            "size": "1/2",
            "digits": 5,
            "initial_stand": 0,
            "installed_on": "2020-01-01",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("meters:meter_replace", args=[customer.number]),
        {
            "replaced_on": today,
            "final_stand": 5,
            "serial_number": "abc-2",
            "size": "3/4",
            "digits": 5,
            "initial_stand": 0,
            "reason": "Meter macet",
        },
    )
    assert response.status_code == 302
    assert customer.meters.get(removed_on__isnull=True).serial_number == "ABC-2"
    assert AuditEntry.objects.filter(action="meter.replace").count() == 1


def test_cashier_sees_no_meter_section(persona_client, reading_with_photo):
    page = (
        persona_client("cashier")
        .get(reverse("customers:detail", args=[reading_with_photo.customer.number]))
        .content.decode()
    )
    assert reverse("meters:reading_single", args=[reading_with_photo.customer.number]) not in page


def test_route_entry_query_count_does_not_grow_with_the_route(
    persona_client, cs_user, route_with_customers, django_assert_max_num_queries
):
    route, _customers = route_with_customers
    for i in range(40):
        customer = CustomerFactory(
            route=route, route_sequence=100 + i, connected_on=datetime.date(2020, 1, 1)
        )
        services.meter_install(
            actor=cs_user,
            customer=customer,
            serial_number=f"Q{i}",
            installed_on=datetime.date(2020, 1, 1),
            size="1/2",
        )
    client = persona_client("cs")
    with django_assert_max_num_queries(15):
        response = client.get(reverse("meters:route_entry"), {"route": route.pk, "period": this_month()})
    assert response.content.decode().count('class="d-flex gap-1 entry-row"') == 43


def _post_photo(client, customer, upload):
    return client.post(
        reverse("meters:reading_single", args=[customer.number]),
        {
            "period": this_month(),
            "stand": "1020",
            "read_on": timezone.localdate().isoformat(),
            "photo": upload,
        },
    )


@pytest.mark.parametrize(
    "content",
    [b"<?php system($_GET['c']); ?>", b"<html><script>alert(1)</script></html>", b"GIF89a\x01\x00\x01\x00"],
)
def test_single_entry_refuses_a_script_renamed_jpg(persona_client, route_with_customers, media_root, content):
    _route, customers = route_with_customers
    response = _post_photo(
        persona_client("cs"),
        customers[0],
        SimpleUploadedFile("meter.jpg", content, content_type="image/jpeg"),
    )
    assert response.status_code == 200
    assert not Reading.objects.exists()
    assert not list(media_root.rglob("*.jpg"))


def test_single_entry_refuses_an_oversize_photo_in_indonesian(
    persona_client, route_with_customers, media_root, settings
):
    settings.READING_PHOTO_MAX_BYTES = 1024 * 1024
    _route, customers = route_with_customers
    client = persona_client("cs")
    client.cookies["django_language"] = "id"
    big = PNG_1PX + b"\0" * (1024 * 1024)
    with mock.patch("PIL.Image.open", side_effect=AssertionError("the oversize photo must not be read")):
        response = _post_photo(
            client, customers[0], SimpleUploadedFile("meter.png", big, content_type="image/png")
        )
    assert response.status_code == 200
    assert "Foto terlalu besar (paling besar 1 MB)." in response.content.decode()
    assert not Reading.objects.exists()
    assert not list(media_root.rglob("*.png"))


def test_photo_is_stored_and_served_with_its_real_type_not_its_name(
    persona_client, route_with_customers, media_root
):
    _route, customers = route_with_customers
    client = persona_client("cs")
    response = _post_photo(
        client, customers[0], SimpleUploadedFile("meter.jpg", PNG_1PX, content_type="image/jpeg")
    )
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert reading.photo.name.endswith(".png")
    served = client.get(reverse("meters:reading_photo", args=[reading.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"


def test_an_oversize_photo_is_dropped_while_it_arrives(
    persona_client, route_with_customers, media_root, settings, monkeypatch
):
    """A 6 MB upload against a 1 MB limit: Django's own handlers (memory, temporary file) never get
    more than the limit; the rest is dropped as it is read, and the form refuses it by size."""
    from django.core.files import uploadhandler

    settings.READING_PHOTO_MAX_BYTES = 1024 * 1024
    _route, customers = route_with_customers
    received = {}
    for handler in (uploadhandler.MemoryFileUploadHandler, uploadhandler.TemporaryFileUploadHandler):

        def counting(self, raw_data, start, original=handler.receive_data_chunk):
            received[type(self)] = received.get(type(self), 0) + len(raw_data)
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    huge = PNG_1PX + b"\0" * (6 * 1024 * 1024)
    client = persona_client("cs")
    client.cookies["django_language"] = "id"
    upload = SimpleUploadedFile("meter.png", huge, content_type="image/png")
    response = _post_photo(client, customers[0], upload)
    assert response.status_code == 200
    assert "Foto terlalu besar (paling besar 1 MB)." in response.content.decode()
    assert received
    assert max(received.values()) <= 1024 * 1024
    assert not Reading.objects.exists()
