"""Django settings: every deploy-time knob comes from an environment variable.

Defaults suit the local demo; production sets DJANGO_SECRET_KEY, DJANGO_DEBUG=0,
DJANGO_ALLOWED_HOSTS and the HTTPS flags. Bad values fail at start-up.
"""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import env_bool, env_float, env_int, env_list, env_networks, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
_DEMO_SECRET = "demo-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEMO_SECRET)
if SECRET_KEY == _DEMO_SECRET and env_bool("DJANGO_REQUIRE_SECRET_KEY", False):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in this environment.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files as static files of our own: no CDN (the CSP allows our origin only).
    "drf_spectacular_sidecar",
    "core",
    "technicians",
    "workorders",
    "routing",
    "notifications",
    "dispatch",
    "board",
    "planning",
    "field",
    "dashboard",
    "demo",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the session, a form or a file: NUL, control characters and
    # lone surrogates in the path, query, form fields or cookies get a 400 here.
    "core.middleware.InvalidCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on everything a logged-in user is answered.
    "core.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout into the login page's message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "technicians.roles.roles_context",
                "dashboard.context.dashboard_nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_url(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/dispatch",
            {"postgres", "postgresql", "pgsql"},
        ),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
# Server-side prepared statements, only for the cursors that bind on the server
# (core.rows.prepared_cursor): the statements of every request and position post.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", {"redis", "rediss", "unix"})
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dispatch"),
        # Redis only accelerates: an unreachable server must fail fast, not hang a request.
        "OPTIONS": {
            "socket_connect_timeout": env_float("REDIS_TIMEOUT_S", 0.5, minimum=0.05),
            "socket_timeout": env_float("REDIS_TIMEOUT_S", 0.5, minimum=0.05),
        },
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses an address with too many failed logins (any usernames): no password hash.
    "technicians.auth.AddressLimitBackend",
    # Refuses a locked-out (username, address) pair before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that loads the login's technician and roles with it (one query).
    "technicians.auth.LoginBackend",
]
# Login throttling: after LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is locked out for LOGIN_LOCKOUT_MINUTES (attempts live in the
# database, so it holds with Redis down and across workers).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_LOCKOUT_MINUTES", 15, minimum=0.1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Across usernames: after this many wrong passwords from one address within the lockout
# window, every login from it is refused (technicians.auth.AddressLimitBackend).
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
# The client's address: X-Forwarded-For is believed only from these proxies
# (core/addresses.py); empty = the connection's address, the header ignored.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "core.addresses.client_address"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / ".var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("DJANGO_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / ".var" / "media")))
MEDIA_URL = "/media/"  # served through a permission-checking view, never publicly

# Uploads: a cap on what Django buffers, and our own per-file image cap.
MAX_IMAGE_UPLOAD_BYTES = env_int("MAX_IMAGE_UPLOAD_BYTES", 5 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Security: on by default in production (DEBUG off); the demo runs on plain http.
SECURE_HTTPS = env_bool("DJANGO_SECURE_HTTPS", False)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if SECURE_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Database sessions, read with a prepared statement (core/sessions.py).
SESSION_ENGINE = "core.sessions"


def _origin(url: str) -> str:
    """scheme://host of a tile URL template; `{s}` subdomains become a wildcard."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}" if rest else ""


# No inline script or handler anywhere (JS lives in static/js); style attributes stay
# allowed because the board places bookings on the timeline with them.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", *([_origin(MAP_TILE_URL)] if MAP_TILE_URL else [])],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", REDIS_URL, {"redis", "rediss", "amqp"})
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Fails plan runs whose worker died mid-solve and was never restarted.
    "routing-plan-runs-sweep": {"task": "routing.tasks.plan_runs_sweep", "schedule": 60.0},
    # Raises SLA alerts for work orders crossing "at risk" or "breached" (idempotent).
    "workorders-sla-alerts-sweep": {"task": "workorders.tasks.sla_alerts_sweep", "schedule": 60.0},
    # Looks up sites saved without coordinates (only when GEOCODER_DOMAIN is set).
    "routing-geocode-pending-sites": {
        "task": "routing.tasks.geocode_pending_sites",
        "schedule": 60.0,
    },
    # Customer texts: picks up outbox rows whose enqueue was lost (Redis down) or
    # whose worker died mid-send (expired lease); queues tomorrow's reminders.
    "notifications-outbox-sweep": {"task": "notifications.tasks.outbox_sweep", "schedule": 30.0},
    "notifications-reminders": {"task": "notifications.tasks.reminders_queue", "schedule": 900.0},
}

# Dispatch domain knobs.
SLA_AT_RISK_FRACTION = env_float("SLA_AT_RISK_FRACTION", 0.25, minimum=0.0)
if SLA_AT_RISK_FRACTION >= 1:
    raise ImproperlyConfigured("SLA_AT_RISK_FRACTION must be below 1 (a share of the target).")
TRAVEL_ROAD_FACTOR = env_float("TRAVEL_ROAD_FACTOR", 1.3, minimum=1.0)
TRAVEL_SPEED_KMH = env_float("TRAVEL_SPEED_KMH", 40.0, minimum=1.0)
OSRM_URL = env_str("OSRM_URL", "")
# The optimizer runs a second portfolio member (PyVRP or VROOM) in a child process on
# another core. Turn it off where every core is already given to a Celery worker
# process (each plan run then uses one core).
OPTIMIZER_PARALLEL = env_bool("OPTIMIZER_PARALLEL", True)
GEOCODER_DOMAIN = env_str("GEOCODER_DOMAIN", "")  # empty: geocoding is off, nothing goes online
GEOCODER_SCHEME = env_str("GEOCODER_SCHEME", "https")
if GEOCODER_SCHEME not in {"http", "https"}:
    raise ImproperlyConfigured("GEOCODER_SCHEME must be http or https.")

# Customer texts (notifications). Twilio is used only when the account SID, auth
# token and a sender (number or messaging service) are all set; otherwise the SMS
# sandbox stores what would have been sent. A half-configured Twilio stops start-up.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
_twilio_parts = [TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID]
if any(_twilio_parts) and not all(_twilio_parts):
    raise ImproperlyConfigured(
        "Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM (or "
        "TWILIO_MESSAGING_SERVICE_SID) together; unset all three for the SMS sandbox."
    )
# Only for a local mock of the Twilio API (Prism, tests); empty = api.twilio.com.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
if TWILIO_API_BASE_URL:
    env_url("TWILIO_API_BASE_URL", "", {"http", "https"})
NOTIFY_PUBLIC_BASE_URL = env_url(
    "NOTIFY_PUBLIC_BASE_URL", "http://127.0.0.1:8000", {"http", "https"}
).rstrip("/")
NOTIFY_COMPANY_NAME = env_str("NOTIFY_COMPANY_NAME", "FieldOps")
# The number customers call from the tracking page (a tel: link); empty: no number shown.
NOTIFY_COMPANY_PHONE = env_str("NOTIFY_COMPANY_PHONE", "")
if NOTIFY_COMPANY_PHONE and not re.fullmatch(r"\+[1-9]\d{6,14}", NOTIFY_COMPANY_PHONE):
    raise ImproperlyConfigured(
        f"NOTIFY_COMPANY_PHONE={NOTIFY_COMPANY_PHONE!r} is not a phone number in E.164 form "
        "(+ country code and number, digits only, e.g. +13125550100), nor empty."
    )
NOTIFY_QUIET_HOURS = env_str("NOTIFY_QUIET_HOURS", "21:00-08:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", NOTIFY_QUIET_HOURS):
    raise ImproperlyConfigured(
        f"NOTIFY_QUIET_HOURS={NOTIFY_QUIET_HOURS!r} is not HH:MM-HH:MM (e.g. 21:00-08:00)."
    )
NOTIFY_DELAY_THRESHOLD_MINUTES = env_int("NOTIFY_DELAY_THRESHOLD_MINUTES", 15, minimum=1)
NOTIFY_ARRIVAL_WINDOW_MINUTES = env_int("NOTIFY_ARRIVAL_WINDOW_MINUTES", 120, minimum=15)
NOTIFY_RATE_LIMIT_PER_HOUR = env_int("NOTIFY_RATE_LIMIT_PER_HOUR", 6, minimum=1)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
NOTIFY_RETRY_BASE_SECONDS = env_float("NOTIFY_RETRY_BASE_SECONDS", 30.0, minimum=0.01)
NOTIFY_RETRY_MAX_SECONDS = env_float("NOTIFY_RETRY_MAX_SECONDS", 3600.0, minimum=0.01)
NOTIFY_LEASE_SECONDS = env_float("NOTIFY_LEASE_SECONDS", 60.0, minimum=1.0)
NOTIFY_SWEEP_GRACE_SECONDS = env_float("NOTIFY_SWEEP_GRACE_SECONDS", 20.0, minimum=0.0)
NOTIFY_PROVIDER_TIMEOUT_SECONDS = env_float("NOTIFY_PROVIDER_TIMEOUT_SECONDS", 10.0, minimum=0.1)
NOTIFY_REMINDER_HOUR = env_int("NOTIFY_REMINDER_HOUR", 18, minimum=0)
if NOTIFY_REMINDER_HOUR > 23:
    raise ImproperlyConfigured("NOTIFY_REMINDER_HOUR must be an hour of the day, 0 to 23.")

# The technician's phone (issue 9).
PHONE_POSITION_INTERVAL_S = env_int("PHONE_POSITION_INTERVAL_S", 60, minimum=5)
POSITION_MIN_INTERVAL_S = env_int("POSITION_MIN_INTERVAL_S", 10, minimum=0)
POSITION_FRESH_MINUTES = env_int("POSITION_FRESH_MINUTES", 10, minimum=1)
POSITION_TRAIL_DAYS = env_int("POSITION_TRAIL_DAYS", 7, minimum=1)
PHONE_ACTION_MAX_AGE_HOURS = env_int("PHONE_ACTION_MAX_AGE_HOURS", 12, minimum=1)
PHONE_MAX_PHOTOS = env_int("PHONE_MAX_PHOTOS", 5, minimum=1)
OVERRUN_FRACTION = env_float("OVERRUN_FRACTION", 1.2, minimum=1.0)
CELERY_BEAT_SCHEDULE |= {
    # Alerts dispatchers to jobs on site past OVERRUN_FRACTION of their estimate.
    "dispatch-overrun-sweep": {"task": "field.tasks.overrun_sweep", "schedule": 60.0},
    # Deletes position trails older than POSITION_TRAIL_DAYS.
    "dispatch-position-trail-prune": {
        "task": "field.tasks.position_trail_prune",
        "schedule": 3600.0,
    },
}

# The REST API (api/). Keys and sessions authenticate; every error is a problem document.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        # The browser: Django's session, with the CSRF check on every unsafe method.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ScopeOrRole"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerKeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FieldOps Dispatch API",
    "DESCRIPTION": (
        "Customers, work orders, technicians, bookings, SLA policies and the event log. "
        "Authenticate with `Authorization: Bearer <API key>`; every POST needs an "
        "`Idempotency-Key`, every PATCH an `If-Match` with the ETag of your last read. "
        "Errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.problem_documents",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Every login is logged at INFO by django-axes; only lockouts (WARNING) matter.
    "loggers": {"axes": {"level": "WARNING"}},
}
