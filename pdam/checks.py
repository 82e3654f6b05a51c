"""System checks for a production deploy (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks

# Caches whose counters are not shared by every web process, or not counted atomically.
_UNSHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.db.DatabaseCache",
}


@checks.register(checks.Tags.caches, deploy=True)
def throttle_cache_shared(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in _UNSHARED_CACHES:
        return [
            checks.Warning(
                f"The default cache ({backend}) is not shared by every web process, or does not count "
                "atomically, so the bill-check and connection-proof throttles count per process.",
                hint="Set CACHE_URL=redis://… (docker-compose.yml does).",
                id="pdam.W001",
            )
        ]
    return []
