from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

from pdam.roles import Role, user_role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(client):
    with mock.patch("pdam.views.connection.cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_hides_the_database_error_text_and_logs_it(client, caplog):
    secret = 'connection to server at "db.internal" (10.0.0.5), port 5432 failed: password for user "pdam"'
    with mock.patch("pdam.views.connection.cursor", side_effect=OperationalError(secret)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "db.internal" not in response.content.decode()
    assert "db.internal" in caplog.text


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("customer", "/payments/my-bills/"),
        ("cs", "/customers/"),
        ("cashier", "/payments/desk/"),
        ("manager", "/customers/overview/"),
        ("supervisor", "/customers/overview/"),
        ("admin", "/admin/"),
    ],
)
def test_each_role_lands_on_its_home(persona, home, persona_client):
    response = persona_client(persona).get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == home


def test_login_with_password_lands_on_role_home(client, cs_user):
    response = client.post(reverse("login"), {"username": cs_user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == "/customers/"


def test_user_without_role_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password=PASSWORD)
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403
    assert user_role(user) is None


def test_login_is_throttled_after_repeated_failures(client, cs_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _attempt in range(3):
        client.post(reverse("login"), {"username": cs_user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": cs_user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_a_message_in_indonesian(client, cs_user):
    response = client.post(reverse("login"), {"username": cs_user.username, "password": "salah"})
    assert response.status_code == 200
    assert "Masukkan nama pengguna" in response.content.decode()
    assert "sandi yang benar" in response.content.decode()


def test_only_admins_get_django_admin(persona_client):
    assert persona_client("admin").get("/admin/").status_code == 200
    assert persona_client("supervisor").get("/admin/", follow=True).status_code == 403


def test_superuser_is_admin(django_user_model):
    assert user_role(django_user_model(is_superuser=True, username="root")) is Role.ADMIN


def test_indonesian_by_default_and_english_on_request(client):
    page = client.get("/").content.decode()
    assert 'lang="id"' in page
    assert "Masuk" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Log in" in page


def test_browser_language_does_not_override_indonesian(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="id"' in page
