"""The Midtrans client's configuration: the simulator only with DEBUG and no keys."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from payments import gateway

PROBE = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.MIDTRANS_SIMULATOR, 'midtrans_sim' in settings.INSTALLED_APPS)"
)


def settings_in_a_new_process(**env) -> str:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "pdam.settings", **env}
    environment = {name: value for name, value in environment.items() if value is not None}  # None: unset
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", PROBE],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "1", "MIDTRANS_SIMULATOR": "1", "MIDTRANS_SERVER_KEY": ""}, "True True"),
        (
            {"DEBUG": "1", "MIDTRANS_SIMULATOR": "1", "MIDTRANS_SERVER_KEY": "SB-Mid-server-real"},
            "False False",
        ),
        (
            {"DEBUG": "0", "MIDTRANS_SIMULATOR": "1", "SECRET_KEY": "x" * 50, "MIDTRANS_SERVER_KEY": ""},
            "False False",
        ),
        # DEBUG alone (a development or mis-set production server) does not turn it on.
        ({"DEBUG": "1", "MIDTRANS_SIMULATOR": None, "MIDTRANS_SERVER_KEY": ""}, "False False"),
        ({"DEBUG": "1", "MIDTRANS_SIMULATOR": "0", "MIDTRANS_SERVER_KEY": ""}, "False False"),
        (
            {"DEBUG": "0", "MIDTRANS_SIMULATOR": "0", "SECRET_KEY": "x" * 50, "MIDTRANS_SERVER_KEY": ""},
            "False False",
        ),
    ],
)
def test_the_simulator_is_never_on_under_production_settings(env, expected):
    assert settings_in_a_new_process(**env) == expected


def test_the_client_gets_a_timeout_and_the_simulator_urls(settings):
    settings.MIDTRANS_SIMULATOR_URL = "http://sim.test/midtrans-sim"
    settings.MIDTRANS_TIMEOUT_SECONDS = 3.5
    snap = gateway._snap()
    assert snap.api_config.get_snap_base_url() == "http://sim.test/midtrans-sim/snap/v1"
    assert gateway._core().api_config.get_core_api_base_url() == "http://sim.test/midtrans-sim"
    assert snap.http_client.http_client.timeout == 3.5


def test_with_real_keys_the_client_talks_to_midtrans(settings):
    settings.MIDTRANS_SIMULATOR = False
    settings.MIDTRANS_IS_PRODUCTION = True
    assert gateway._snap().api_config.get_snap_base_url() == "https://app.midtrans.com/snap/v1"
    assert gateway._core().api_config.get_core_api_base_url() == "https://api.midtrans.com"


def test_signature_over_the_exact_strings(settings):
    import hashlib

    key = settings.MIDTRANS_SERVER_KEY
    good = hashlib.sha512(f"PDAM-1200{'47300.00'}{key}".encode()).hexdigest()
    payload = {"order_id": "PDAM-1", "status_code": "200", "gross_amount": "47300.00", "signature_key": good}
    assert gateway.signature_valid(payload)
    assert not gateway.signature_valid({**payload, "gross_amount": "47300"})
    assert not gateway.signature_valid({**payload, "signature_key": good.upper()})
    assert not gateway.signature_valid({**payload, "status_code": 200})
