"""The client address behind trusted proxies: never the spoofable left end of X-Forwarded-For."""

import pytest
from django.test import RequestFactory

from pdam.client_ip import client_ip


def request_with(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_header_is_ignored(settings):
    settings.PROXY_COUNT = 0
    assert client_ip(request_with("203.0.113.9", "1.1.1.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # The client wrote "1.1.1.1" itself; the proxy appended the address it saw.
        (1, "1.1.1.1, 198.51.100.7", "198.51.100.7"),
        (1, "1.1.1.1,2.2.2.2 , 198.51.100.7", "198.51.100.7"),
        (2, "1.1.1.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
    ],
)
def test_the_nth_address_from_the_right(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    assert client_ip(request_with("10.0.0.1", forwarded)) == expected


def test_fewer_hops_than_proxies_falls_back_to_the_peer(settings):
    settings.PROXY_COUNT = 2
    assert client_ip(request_with("10.0.0.1", "198.51.100.7")) == "10.0.0.1"
    assert client_ip(request_with("10.0.0.1")) == "10.0.0.1"


def test_axes_counts_the_same_proxies(settings):
    from django.conf import settings as live

    assert live.AXES_IPWARE_PROXY_COUNT == live.PROXY_COUNT
