import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are compared with their English msgids."""
    with translation.override("en"):
        yield
