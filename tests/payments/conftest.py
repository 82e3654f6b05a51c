import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are compared with their English msgids. Pages are still served in the
    language each request asks for (the middleware activates it per request)."""
    with translation.override("en"):
        yield
