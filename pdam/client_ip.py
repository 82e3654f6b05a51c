"""The client's address behind the trusted reverse proxies: one place for every throttle.

With ``PROXY_COUNT`` = N trusted proxies in front of the app, each proxy appends the address it
received the request from to X-Forwarded-For, so the client is the Nth address from the right.
Anything further left was written by the client and may be spoofed; it is never used. With N = 0
(no proxy) the header is ignored and REMOTE_ADDR is the client. django-axes reads the same
setting (``AXES_IPWARE_PROXY_COUNT``).
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    proxies = int(getattr(settings, "PROXY_COUNT", 0))
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    return forwarded[-proxies]
