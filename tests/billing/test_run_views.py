import datetime

import pytest
from django.urls import reverse

from billing.models import BillRun, BillRunState, Invoice
from meters.models import Period, PeriodState
from tests.billing.test_bill_run import connect, read

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(cs_user, rt_a, route):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    return customer


def test_supervisor_starts_the_run_and_reads_the_summary(
    persona_client, ready, django_capture_on_commit_callbacks
):
    client = persona_client("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:run_start"), {"period": "2026-11", "previewed": "1"})
    run = BillRun.objects.get()
    assert response["Location"] == reverse("billing:run_detail", args=[run.pk])
    assert run.state == BillRunState.DONE  # eager Celery ran the chunks on commit
    page = client.get(response["Location"]).content.decode()
    assert "Rp 47.300" in page
    assert "2A Rumah Tangga A" in page
    status = client.get(reverse("billing:run_status", args=[run.pk])).json()
    assert (status["state"], status["percent"], status["issued"]) == ("done", 100, 1)
    assert Invoice.objects.get().total == 47_300


def test_a_month_without_readings_cannot_be_billed(persona_client, db):
    response = persona_client("supervisor").post(
        reverse("billing:run_start"), {"period": "2030-01"}, follow=True
    )
    assert not BillRun.objects.exists()
    assert "Belum ada pembacaan" in response.content.decode()


def test_bad_month_is_refused(persona_client, db):
    persona_client("supervisor").post(reverse("billing:run_start"), {"period": "kemarin"})
    assert not BillRun.objects.exists()


def test_close_period_after_the_run(persona_client, ready, django_capture_on_commit_callbacks):
    client = persona_client("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("billing:run_start"), {"period": "2026-11", "previewed": "1"})
    client.post(reverse("billing:period_close", args=["2026-11"]))
    assert Period.objects.get(month=datetime.date(2026, 11, 1)).state == PeriodState.BILLED


def test_manager_reads_but_cannot_start(persona_client, ready):
    assert persona_client("manager").get(reverse("billing:runs")).status_code == 200
    assert (
        persona_client("manager").post(reverse("billing:run_start"), {"period": "2026-11"}).status_code == 403
    )
    assert not BillRun.objects.exists()


def test_beat_starts_the_run_on_the_configured_day(settings, ready, django_capture_on_commit_callbacks):
    from billing.tasks import bill_run_scheduled

    settings.BILL_RUN_DAY = 24
    assert bill_run_scheduled() == "not today"  # today is the 25th (tests/billing/conftest.py)
    settings.BILL_RUN_DAY = 25
    with django_capture_on_commit_callbacks(execute=True):
        assert bill_run_scheduled() == "started"
    assert bill_run_scheduled() == "already started"
    assert Invoice.objects.get().total == 47_300


def test_beat_schedule_is_in_code():
    from pdam.celery import app

    assert app.conf.beat_schedule["bill-run-scheduled"]["task"] == "billing.tasks.bill_run_scheduled"


def test_a_future_period_cannot_be_billed(persona_client, cs_user, ready):
    """Issue 11 §3: on 25 November 2026 December's early readings exist, but December is not
    billed before it starts; nothing is written and the period stays open."""
    from meters import services as meters
    from meters.models import ReadingMethod

    december = meters.period_get_or_open(month=datetime.date(2026, 12, 1))
    meters.reading_record(
        actor=cs_user,
        customer=ready,
        period=december,
        stand=140,
        anomaly="",
        read_on=datetime.date(2026, 11, 24),
        method=ReadingMethod.FIELD,
    )

    response = persona_client("supervisor").post(
        reverse("billing:run_start"), {"period": "2026-12"}, follow=True
    )

    assert not BillRun.objects.exists()
    assert Period.objects.get(month=datetime.date(2026, 12, 1)).state == PeriodState.OPEN
    assert "belum dapat ditagih" in response.content.decode()


def test_start_page_proposes_the_oldest_open_period_and_shows_how_much_is_read(
    persona_client, cs_user, rt_a, route
):
    """Issue 11 §3: October 2026 is still open with one of two customers read, November is
    read too; the page proposes October (not today's month) and shows 1 / 2 read, 50 %."""
    first = connect(cs_user, route, rt_a)
    second = connect(cs_user, route, rt_a)
    read(cs_user, first, 10, stand=110)
    read(cs_user, first, 11, stand=125)
    read(cs_user, second, 11, stand=115)

    page = persona_client("supervisor").get(reverse("billing:runs")).content.decode()

    assert 'value="2026-10"' in page
    progress = page.split('id="run-progress"')[1].split("</table>")[0]
    assert "1 / 2" in progress
    assert "50 %" in progress
