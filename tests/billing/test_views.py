import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from billing.models import TariffVersion
from pdam.models import AuditEntry
from tests.billing.factories import TariffVersionFactory
from tests.customers.factories import TariffClassFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(supervisor_user, grant) -> Client:
    client = Client()
    client.force_login(grant(supervisor_user, "view_tariffversion", "add_tariffversion"))
    return client


@pytest.fixture
def manager(manager_user, grant) -> Client:
    client = Client()
    client.force_login(grant(manager_user, "view_tariffversion"))
    return client


@pytest.fixture
def rt_a():
    return TariffClassFactory(code="2A", name="Rumah Tangga A")


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _post_data(tariff_class, *, month="2026-12", blocks=(), charges=(), **head) -> dict:
    data = {
        "tariff_class": tariff_class.pk if tariff_class else "",
        "effective_from": month,
        "minimum_usage_m3": 10,
        "decree": "Perbup No. 3 Tahun 2026",
        "water_tax_rate_bp": 0,
        "blocks-TOTAL_FORMS": 6,
        "blocks-INITIAL_FORMS": 0,
        "charges-TOTAL_FORMS": 4,
        "charges-INITIAL_FORMS": 0,
        **head,
    }
    for i, (to_m3, price) in enumerate(blocks):
        data[f"blocks-{i}-to_m3"] = "" if to_m3 is None else to_m3
        data[f"blocks-{i}-price_per_m3"] = "" if price is None else price
    for i, (kind, label, amount, size) in enumerate(charges):
        data |= {
            f"charges-{i}-kind": kind,
            f"charges-{i}-label": label,
            f"charges-{i}-amount": amount,
            f"charges-{i}-meter_size": size,
            f"charges-{i}-tax_rate_bp": 0,
        }
    return data


RT_A_ROWS = [(10, 1_100), (20, 1_480), (30, 2_000), (None, 2_700)]
CHARGE_ROWS = [("administration", "Biaya administrasi", 11_500, ""), ("meter_maintenance", "", 5_000, "1/2")]


# The tariff overview


def test_overview_shows_each_class_with_its_versions(manager, rt_a, django_assert_max_num_queries):
    TariffClassFactory(code="1A", name="Sosial Umum")
    TariffVersionFactory(tariff_class=rt_a, effective_from=datetime.date(2025, 1, 1), blocks=[(1, None, 990)])
    TariffVersionFactory(tariff_class=rt_a, effective_from=datetime.date(2026, 1, 1))
    with django_assert_max_num_queries(10):
        response = manager.get(reverse("billing:tariffs"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "2A Rumah Tangga A" in page
    assert "1A Sosial Umum" in page
    assert "Rp 2.700" in page  # the current version's top block
    assert "Rp 990" in page  # the older one is listed too
    assert page.count('class="table-success"') == 1  # the version in force
    assert reverse("billing:tariff_create") not in page  # the manager only reads


def test_overview_offers_a_new_version_to_supervisors(supervisor, rt_a):
    current = TariffVersionFactory(tariff_class=rt_a)
    page = supervisor.get(reverse("billing:tariffs")).content.decode()
    assert f"{reverse('billing:tariff_create')}?from={current.pk}" in page


@pytest.mark.parametrize("url_name", ["billing:tariffs", "billing:tariff_create"])
def test_pages_need_a_login(url_name):
    response = Client().get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_overview_refuses_users_without_the_permission(persona_client):
    assert persona_client("customer").get(reverse("billing:tariffs")).status_code == 403


# A new version


def test_create_form_for_a_new_decree(supervisor, rt_a):
    response = supervisor.get(reverse("billing:tariff_create"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'type="month"' in page
    assert 'value="2026-12"' in page  # next month by default
    assert page.count('name="blocks-') >= 12  # six rows: upper limit and price


def test_create_form_prefilled_from_the_current_version(supervisor, rt_a):
    current = TariffVersionFactory(tariff_class=rt_a)
    response = supervisor.get(reverse("billing:tariff_create"), {"from": current.pk})
    form, blocks, charges = (response.context[k] for k in ("form", "block_formset", "charge_formset"))
    assert form["tariff_class"].value() == rt_a.pk
    assert [f["price_per_m3"].value() for f in blocks][:5] == [1_100, 1_480, 2_000, 2_700, None]
    assert charges.forms[0]["amount"].value() == 11_500


def test_create_from_an_unknown_version_is_not_found(supervisor):
    assert supervisor.get(reverse("billing:tariff_create"), {"from": 999}).status_code == 404
    assert supervisor.get(reverse("billing:tariff_create"), {"from": "x"}).status_code == 404


def test_post_creates_a_version_and_shows_it(supervisor, supervisor_user, rt_a):
    response = supervisor.post(
        reverse("billing:tariff_create"), _post_data(rt_a, blocks=RT_A_ROWS, charges=CHARGE_ROWS)
    )
    version = TariffVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:tariff_detail", args=[version.pk])
    assert (version.tariff_class, version.effective_from, version.created_by) == (
        rt_a,
        datetime.date(2026, 12, 1),
        supervisor_user,
    )
    assert [(b.from_m3, b.to_m3, b.price_per_m3) for b in version.blocks.all()] == [
        (1, 10, 1_100),
        (11, 20, 1_480),
        (21, 30, 2_000),
        (31, None, 2_700),
    ]
    assert [(c.kind, c.amount, c.meter_size) for c in version.fixed_charges.all()] == [
        ("administration", 11_500, ""),
        ("meter_maintenance", 5_000, "1/2"),
    ]
    assert AuditEntry.objects.get(action="tariff.create").actor == supervisor_user
    page = supervisor.get(response["Location"]).content.decode()
    assert "Rp 52.300" in page  # 25 m³ on a 1/2" meter: 35.800 + 11.500 + 5.000


def test_post_a_flat_tariff(supervisor, rt_a):
    response = supervisor.post(reverse("billing:tariff_create"), _post_data(rt_a, blocks=[(None, 780)]))
    assert response.status_code == 302
    assert [(b.from_m3, b.to_m3) for b in TariffVersion.objects.get().blocks.all()] == [(1, None)]


def test_post_with_bad_input_shows_errors_in_indonesian_and_writes_nothing(supervisor):
    data = _post_data(None, month="", blocks=[(10, 1_100), (20, -5)], charges=[("administration", "", 0, "")])
    response = supervisor.post(reverse("billing:tariff_create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bidang ini tidak boleh kosong" in page  # tariff class and month
    assert "Pastikan nilai ini lebih besar dari atau sama dengan 1" in page  # price and amount
    assert not TariffVersion.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("month", "blocks", "message"),
    [
        ("12/2026", RT_A_ROWS, "Type a month as YYYY-MM."),
        ("2026-13", RT_A_ROWS, "Type a month as YYYY-MM."),
        (
            "2026-10",
            RT_A_ROWS,
            "A new tariff cannot take effect before 11/2026: earlier months may be billed.",
        ),
        (
            "2026-12",
            [(10, 1_100), (20, 1_480)],
            "Leave the upper limit of the last block empty: it has no limit.",
        ),
        (
            "2026-12",
            [(10, 1_100), (None, 1_480), (None, 2_000)],
            "Block 2: only the last block may have no upper limit.",
        ),
        (
            "2026-12",
            [(10, 1_100), (5, 1_480), (None, 2_000)],
            "Block 2: the upper limit must be at least 11 m³.",
        ),
        ("2026-12", [(10, 1_100), (20, None), (None, 2_000)], "Block 2: give the price per m³."),
        ("2026-12", [], "Give at least one block with its price."),
    ],
)
def test_post_refused_with_the_reason(supervisor, rt_a, month, blocks, message):
    response = _english(supervisor).post(
        reverse("billing:tariff_create"), _post_data(rt_a, month=month, blocks=blocks)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TariffVersion.objects.exists()


def test_post_for_a_month_already_taken_is_a_form_error(supervisor, rt_a):
    TariffVersionFactory(tariff_class=rt_a, effective_from=datetime.date(2026, 12, 1))
    response = _english(supervisor).post(reverse("billing:tariff_create"), _post_data(rt_a, blocks=RT_A_ROWS))
    assert response.status_code == 200
    assert "already has a tariff version from 12/2026" in response.content.decode()
    assert TariffVersion.objects.count() == 1


def test_charge_twice_for_a_size_is_a_form_error(supervisor, rt_a):
    charges = [("meter_maintenance", "", 5_000, ""), ("meter_maintenance", "", 7_500, "3/4")]
    response = _english(supervisor).post(
        reverse("billing:tariff_create"), _post_data(rt_a, blocks=RT_A_ROWS, charges=charges)
    )
    assert "Meter maintenance would be charged twice on one meter size" in response.content.decode()
    assert not TariffVersion.objects.exists()


def test_charge_row_without_kind_is_a_form_error(supervisor, rt_a):
    response = _english(supervisor).post(
        reverse("billing:tariff_create"),
        _post_data(rt_a, blocks=RT_A_ROWS, charges=[("", "Sewa", 1_000, "")]),
    )
    assert "Choose the kind of charge." in response.content.decode()
    assert not TariffVersion.objects.exists()


def test_create_refuses_readers(manager, persona_client):
    assert manager.get(reverse("billing:tariff_create")).status_code == 403
    assert manager.post(reverse("billing:tariff_create"), {}).status_code == 403
    assert persona_client("cs").get(reverse("billing:tariff_create")).status_code == 403


# One version with its worked example


def test_detail_shows_the_worked_example(manager, rt_a):
    version = TariffVersionFactory(tariff_class=rt_a, decree="Perbup No. 12 Tahun 2025")
    response = manager.get(reverse("billing:tariff_detail", args=[version.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Perbup No. 12 Tahun 2025" in page
    assert response.context["state"] == "current"
    # 1/2" meter, administration Rp 11.500 only: 0 and 10 m³ → 22.500; 15 → 29.900; 25 → 47.300; 40 → 84.300
    totals = [e.total for e in response.context["examples"]]
    assert totals == [22_500, 22_500, 29_900, 47_300, 84_300]
    for total in ("Rp 22.500", "Rp 29.900", "Rp 47.300", "Rp 84.300"):
        assert total in page


def test_detail_example_for_another_meter_size(manager, rt_a):
    version = TariffVersionFactory(
        tariff_class=rt_a,
        charges=[
            {"kind": "administration", "amount": 11_500},
            {"kind": "meter_maintenance", "amount": 5_000, "meter_size": "1/2"},
            {"kind": "meter_maintenance", "amount": 25_000, "meter_size": "2"},
        ],
    )
    url = reverse("billing:tariff_detail", args=[version.pk])
    assert [e.total for e in manager.get(url).context["examples"]][3] == 52_300  # 35.800 + 11.500 + 5.000
    assert [e.total for e in manager.get(url, {"size": "2"}).context["examples"]][3] == 72_300
    assert manager.get(url, {"size": "99"}).context["meter_size"] == "1/2"


def test_detail_of_an_unknown_version_is_not_found(manager):
    assert manager.get(reverse("billing:tariff_detail", args=[999])).status_code == 404


def test_detail_refuses_users_without_the_permission(persona_client, rt_a):
    version = TariffVersionFactory(tariff_class=rt_a)
    assert (
        persona_client("customer").get(reverse("billing:tariff_detail", args=[version.pk])).status_code == 403
    )
