"""All configuration of the portal, read from the environment in one place.

Every variable is documented in `.env.example`. With nothing set, the portal runs on a SQLite
file with Celery tasks executed eagerly and the local Midtrans simulator: the quick start.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` (copied from `.env.example` by `make run`) is read if present; real environment
# variables always win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "customers",
    "meters",
    "billing",
    "payments",
    "arrears",
    # Last, so that its post_migrate handler runs after every app's permissions exist.
    "pdam",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pdam.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pdam.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pdam.urls"
WSGI_APPLICATION = "pdam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "pdam.context_processors.portal",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user:pass@host:5432/name), else a SQLite file.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and an eager task share the file; IMMEDIATE takes
    # the write lock when a transaction starts, so two clicks at once wait instead of failing with
    # "database is locked" half-way through (SQLite cannot upgrade a read lock while another waits).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://pdam"),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username + address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Trusted reverse proxies in front of the app: the client address is the Nth from the right of
# X-Forwarded-For (pdam/client_ip.py); axes uses the same count.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT

# Internationalisation: Bahasa Indonesia first, English available.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Makassar")
USE_I18N = True
USE_TZ = True
# One date, date-time, time and month format per language (pdam/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["pdam.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}

# The utility's identity, shown on pages, receipts and invoice PDFs.
UTILITY_NAME = env.str("UTILITY_NAME", default="Perumda Air Minum Tirta Sejahtera")
UTILITY_SHORT_NAME = env.str("UTILITY_SHORT_NAME", default="Tirta Sejahtera")
UTILITY_ADDRESS = env.str(
    "UTILITY_ADDRESS", default="Jl. Ahmad Yani No. 12, Kota Contoh, Sulawesi Selatan 90111"
)
UTILITY_PHONE = env.str("UTILITY_PHONE", default="(0411) 555-0100")
UTILITY_EMAIL = env.str("UTILITY_EMAIL", default="layanan@tirtasejahtera.example")
# Where customers reach the portal: the QR code on every invoice links here.
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000")
# Customers reset a forgotten password by an e-mailed link (pdam/password_reset.py), valid this
# long; requests are throttled per client address and per e-mail address.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=24 * 3600)
PASSWORD_RESET_REQUEST_LIMIT = env.int("PASSWORD_RESET_REQUEST_LIMIT", default=3)
PASSWORD_RESET_REQUEST_IP_LIMIT = env.int("PASSWORD_RESET_REQUEST_IP_LIMIT", default=10)
PASSWORD_RESET_REQUEST_WINDOW_SECONDS = env.int("PASSWORD_RESET_REQUEST_WINDOW_SECONDS", default=3600)
# The year the utility was founded: no connection date lies before it (a mistyped year is refused).
UTILITY_FOUNDED_YEAR = env.int("UTILITY_FOUNDED_YEAR", default=1970)
UTILITY_LOGO = env.str("UTILITY_LOGO", default="pdam/logo.svg")  # a path under static/

# Meter readings: usage this far from the last three actual months is held for verification;
# with no history an estimate falls back to this many m3.
READING_HIGH_FACTOR = env.float("READING_HIGH_FACTOR", default=2.0)
READING_LOW_FACTOR = env.float("READING_LOW_FACTOR", default=0.5)
READING_FALLBACK_ESTIMATE_M3 = env.int("READING_FALLBACK_ESTIMATE_M3", default=10)
READING_PHOTO_MAX_BYTES = env.int("READING_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# Files are refused by size while they arrive (pdam/uploads.py): a photo past its limit, any other
# file past UPLOAD_MAX_BYTES, is dropped as it is read and never fills memory or disk.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
UPLOAD_FIELD_MAX_BYTES = {"photo": "READING_PHOTO_MAX_BYTES"}  # field name → the setting of its limit
FILE_UPLOAD_HANDLERS = [
    "pdam.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Billing: invoices fall due on this day of their month (jatuh tempo); the bill run can be
# started by beat on BILL_RUN_DAY of each month (0 = only by hand).
BILL_DUE_DAY = env.int("BILL_DUE_DAY", default=20)
# An invoice never falls due sooner than this many days after it is issued (a late run).
BILL_MIN_DAYS_TO_PAY = env.int("BILL_MIN_DAYS_TO_PAY", default=14)
BILL_RUN_DAY = env.int("BILL_RUN_DAY", default=0)
# A chunk claimed this long ago without finishing is taken to have crashed and may be re-run.
BILL_RUN_STALE_SECONDS = env.int("BILL_RUN_STALE_SECONDS", default=15 * 60)
# Before a run is confirmed, its preview lists the invoices far from the customer's usual one:
# above FACTOR × the average of the customer's last three invoices, or below it ÷ FACTOR when
# that average is at least LOW_FROM Rupiah. The run's total is flagged when it differs from the
# previous billed month's by more than TOTAL_FACTOR (either way).
BILL_RUN_OUTLIER_FACTOR = env.float("BILL_RUN_OUTLIER_FACTOR", default=3.0)
BILL_RUN_OUTLIER_LOW_FROM = env.int("BILL_RUN_OUTLIER_LOW_FROM", default=100_000)
BILL_RUN_TOTAL_FACTOR = env.float("BILL_RUN_TOTAL_FACTOR", default=1.5)
# Starting a run with less of the period read than this share needs a confirmation and a reason.
BILL_RUN_MIN_READ_SHARE = env.float("BILL_RUN_MIN_READ_SHARE", default=0.90)

# Celery: without a broker, tasks run eagerly in-process (the quick start).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60

# Midtrans: without keys the portal talks to its local simulator (never under production).
MIDTRANS_SERVER_KEY = env.str("MIDTRANS_SERVER_KEY", default="")
MIDTRANS_CLIENT_KEY = env.str("MIDTRANS_CLIENT_KEY", default="")
MIDTRANS_IS_PRODUCTION = env.bool("MIDTRANS_IS_PRODUCTION", default=False)
# The simulator (app `midtrans_sim`, served under /midtrans-sim/) speaks Midtrans's HTTP API for
# the quick start and the tests. It is on only when asked for explicitly (MIDTRANS_SIMULATOR=1, as
# `make run` and the test suite do), with DEBUG and no server key: never in production.
MIDTRANS_SIMULATOR = env.bool("MIDTRANS_SIMULATOR", default=False) and DEBUG and not MIDTRANS_SERVER_KEY
if MIDTRANS_SIMULATOR:
    MIDTRANS_SERVER_KEY = "SB-Mid-server-SIMULATOR"
    MIDTRANS_CLIENT_KEY = "SB-Mid-client-SIMULATOR"
    INSTALLED_APPS.insert(INSTALLED_APPS.index("pdam"), "midtrans_sim")
# Where the portal finds the simulator (tests point it at their live server).
MIDTRANS_SIMULATOR_URL = env.str("MIDTRANS_SIMULATOR_URL", default=PORTAL_URL.rstrip("/") + "/midtrans-sim")
# Seconds the portal waits for Midtrans before giving up (midtransclient sets no timeout).
MIDTRANS_TIMEOUT_SECONDS = env.float("MIDTRANS_TIMEOUT_SECONDS", default=10.0)
# The methods offered on the Snap page (Snap's enabled_payments names); cards are off by default.
MIDTRANS_ENABLED_PAYMENTS = env.list(
    "MIDTRANS_ENABLED_PAYMENTS",
    default=[
        "bca_va",
        "bni_va",
        "bri_va",
        "permata_va",
        "echannel",
        "other_qris",
        "gopay",
        "shopeepay",
        "indomaret",
        "alfamart",
    ],
)
# The public bill check: lookups per IP per window (a number cannot be harvested), and the
# proof a customer gives to link a connection to their account (wrong proofs per number / per IP).
BILL_CHECK_LIMIT = env.int("BILL_CHECK_LIMIT", default=20)
# The most cash a desk form takes at once (tendered, float, counted): a typo is refused, not a receipt.
CASH_AMOUNT_MAX = env.int("CASH_AMOUNT_MAX", default=100_000_000)
BILL_CHECK_WINDOW_SECONDS = env.int("BILL_CHECK_WINDOW_SECONDS", default=600)
CONNECTION_PROOF_FAILURE_LIMIT = env.int("CONNECTION_PROOF_FAILURE_LIMIT", default=5)
CONNECTION_PROOF_IP_FAILURE_LIMIT = env.int("CONNECTION_PROOF_IP_FAILURE_LIMIT", default=20)
CONNECTION_PROOF_WINDOW_SECONDS = env.int("CONNECTION_PROOF_WINDOW_SECONDS", default=3600)
# The second proof: a one-time code e-mailed to the address on file (lifetime, wrong tries per
# code, requests per number / per IP per window).
ONE_TIME_CODE_TTL_SECONDS = env.int("ONE_TIME_CODE_TTL_SECONDS", default=600)
ONE_TIME_CODE_MAX_ATTEMPTS = env.int("ONE_TIME_CODE_MAX_ATTEMPTS", default=5)
ONE_TIME_CODE_REQUEST_LIMIT = env.int("ONE_TIME_CODE_REQUEST_LIMIT", default=3)
ONE_TIME_CODE_REQUEST_IP_LIMIT = env.int("ONE_TIME_CODE_REQUEST_IP_LIMIT", default=10)
ONE_TIME_CODE_REQUEST_WINDOW_SECONDS = env.int("ONE_TIME_CODE_REQUEST_WINDOW_SECONDS", default=3600)
# Snap page lifetime; an order not paid by then expires.
MIDTRANS_ORDER_EXPIRY_MINUTES = env.int("MIDTRANS_ORDER_EXPIRY_MINUTES", default=24 * 60)
# Days a stored Midtrans notification is kept (those tied to a payment or a review item stay).
NOTIFICATION_RETENTION_DAYS = env.int("NOTIFICATION_RETENTION_DAYS", default=180)

# Messages to customers (pdam.messaging): one outbox, a provider per channel. "local" keeps every
# message in the outbox only (the staff outbox page shows it) and is refused without DEBUG, like the
# Midtrans simulator; "email" uses Django's e-mail backend; "whatsapp" the WhatsApp Business Cloud
# API; "http" a generic SMS gateway; empty turns the channel off.
MESSAGING_PROVIDERS = {
    "email": env.str("MESSAGING_EMAIL_PROVIDER", default="email"),
    "whatsapp": env.str("MESSAGING_WHATSAPP_PROVIDER", default="local" if DEBUG else ""),
    "sms": env.str("MESSAGING_SMS_PROVIDER", default="local" if DEBUG else ""),
}
if not DEBUG and "local" in MESSAGING_PROVIDERS.values():
    raise ImproperlyConfigured("The local message provider keeps messages unsent: it needs DEBUG on.")
# Messages a channel may send per minute (0: no limit), across all workers.
MESSAGING_RATE_PER_MINUTE = {
    "email": env.int("MESSAGING_EMAIL_PER_MINUTE", default=600),
    "whatsapp": env.int("MESSAGING_WHATSAPP_PER_MINUTE", default=1200),
    "sms": env.int("MESSAGING_SMS_PER_MINUTE", default=300),
}
# Attempts before a message is marked failed; the wait before a retry doubles from the base.
MESSAGING_MAX_ATTEMPTS = env.int("MESSAGING_MAX_ATTEMPTS", default=6)
MESSAGING_RETRY_BASE_SECONDS = env.int("MESSAGING_RETRY_BASE_SECONDS", default=60)
MESSAGING_BATCH_SIZE = env.int("MESSAGING_BATCH_SIZE", default=200)
# A message claimed this long ago and still "sending" is taken back (its worker died).
MESSAGING_CLAIM_STALE_SECONDS = env.int("MESSAGING_CLAIM_STALE_SECONDS", default=5 * 60)
# After each bill run, tell every customer of the new invoice (off: the bill run's benchmark
# workers, which measure billing alone).
MESSAGING_INVOICE_NOTICES = env.bool("MESSAGING_INVOICE_NOTICES", default=True)
MESSAGING_TIMEOUT_SECONDS = env.float("MESSAGING_TIMEOUT_SECONDS", default=10.0)
# Delivery-status callbacks are signed: HMAC-SHA256 of the body with this secret (for WhatsApp,
# the Meta app secret: the X-Hub-Signature-256 header); the verify token answers Meta's handshake.
MESSAGING_CALLBACK_SECRET = env.str("MESSAGING_CALLBACK_SECRET", default="")
MESSAGING_CALLBACK_VERIFY_TOKEN = env.str("MESSAGING_CALLBACK_VERIFY_TOKEN", default="")
WHATSAPP_API_URL = env.str("WHATSAPP_API_URL", default="https://graph.facebook.com")
WHATSAPP_API_VERSION = env.str("WHATSAPP_API_VERSION", default="v21.0")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
SMS_API_URL = env.str("SMS_API_URL", default="")
SMS_API_KEY = env.str("SMS_API_KEY", default="")
SMS_SENDER = env.str("SMS_SENDER", default=UTILITY_SHORT_NAME[:11])

# Security. Production (DEBUG off) gets HTTPS-only cookies, HSTS and redirects by default;
# each can be turned off from the environment, e.g. behind a proxy that already redirects.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_HTTPS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Staff sessions end after this many hours without a request (a working day); customers keep
# Django's session age.
STAFF_SESSION_IDLE_HOURS = env.float("STAFF_SESSION_IDLE_HOURS", default=10.0)
X_FRAME_OPTIONS = "DENY"
# The health check is probed over plain HTTP by load balancers and compose.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=UTILITY_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Content-Security-Policy (django-csp 4): no inline script anywhere, scripts only from the portal's
# own static files. Online payment leaves for Midtrans Snap by a top-level redirect (redirect_url,
# no snap.js), which a CSP does not restrict; a later snap.js popup would add its host here.
# No inline style either: templates carry no style="" attribute and no <style> block (the CSS is in
# static/; scripts set sizes through the CSSOM, which the policy allows). PDF templates are rendered
# by WeasyPrint on the server and never served as pages, so they keep their <style>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *env.list("CSP_SCRIPT_HOSTS", default=[])],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
