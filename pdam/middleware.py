import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from pdam.roles import STAFF_ROLES, user_role


class LanguageMiddleware:
    """Bahasa Indonesia unless the user picked another language with the switcher.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: a counter PC or
    a phone set to English still shows the utility's language until someone chooses otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class StaffSessionMiddleware:
    """Staff sessions end after `STAFF_SESSION_IDLE_HOURS` without a request (a counter PC left
    logged in overnight); customers keep Django's usual session age.

    The expiry is pushed forward only when it has drifted by `REFRESH_SECONDS`, so a busy desk
    does not write its session on every request.
    """

    REFRESH_SECONDS = 300

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user_role(user) in STAFF_ROLES:
            now = int(time.time())
            if now - int(request.session.get("_staff_seen", 0)) > self.REFRESH_SECONDS:
                request.session["_staff_seen"] = now
                request.session.set_expiry(int(settings.STAFF_SESSION_IDLE_HOURS * 3600))
        return self.get_response(request)
