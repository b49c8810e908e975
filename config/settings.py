"""Project settings, read from the environment (django-environ).

Every deployment-specific value comes from an environment variable (or a `.env` file beside
manage.py). Defaults suit a developer machine: SQLite in the project folder, DEBUG off unless asked.
Test-only overrides live in `config/settings_test.py`.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    # core, then the domains from the lowest up, then the faces (see README, "Architecture").
    "core",
    "certificates",
    "registry",
    "pledges",
    "valuation",
    "records",
    "api",
    "portal",
    "public",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.input_guard.UnstorableInputMiddleware",
    # The API's error envelope for database errors outside DRF (opening or committing the
    # request's transaction) and for Django's form-size guards.
    "api.middleware.ApiErrorEnvelopeMiddleware",
]

# The benchmark adds its baseline view through its own URLconf (bench/urls.py).
ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# SQLite file in the project is the embedded default; PostgreSQL (psycopg 3) in production:
# DATABASE_URL=postgres://user:password@host:5432/registry
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is written by the web server and the worker at once. WAL lets readers
    # go on beside the one writer; IMMEDIATE takes the write lock when a transaction opens, so a
    # transaction never fails half-way when it upgrades from reading to writing (a DEFERRED one
    # does, with "database is locked", whatever the timeout); the busy timeout makes the second
    # writer wait its turn instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "registry.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"  # None in tests (settings_test)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
# The portal sends registrars on to the admin.
LOGIN_REDIRECT_URL = "portal:dashboard"

# --- Registry rules (domain.md; the design choices are configurable here) ---------------------
# Four-digit registry code printed in certificate numbers (1200: Tianjin).
REGISTRY_CODE = env.str("REGISTRY_CODE", default="1200")
# Publicity (公示) length in China working days.
REGISTRY_PUBLICITY_WORKING_DAYS = env.int("REGISTRY_PUBLICITY_WORKING_DAYS", default=10)
# Validity of a registration, in years from the registration announcement.
REGISTRY_VALIDITY_YEARS = env.int("REGISTRY_VALIDITY_YEARS", default=3)
# Largest sample / manifest file accepted for the evidence hash, in bytes.
REGISTRY_SAMPLE_MAX_BYTES = env.int("REGISTRY_SAMPLE_MAX_BYTES", default=200 * 1024 * 1024)

# E-mail (notifications of workflow steps): EMAIL_URL such as smtp+tls://user:pass@host:587;
# the demo prints messages on the console.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {k: v for k, v in _smtp_options.items() if v not in (None, "")}
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="registry@example.cn")

# Base of the public links printed on certificates (QR code, footer).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
REGISTRY_NAME = env.str("REGISTRY_NAME", default="天津数据资产登记评估中心")

# Certificate signing (PAdES). Production: paths to the registry's key and certificate (PEM).
# Without them, a local demo identity is created under var/signing (never for production use).
CERTIFICATE_SIGNING_KEY = env.str("CERTIFICATE_SIGNING_KEY", default="")
CERTIFICATE_SIGNING_CERT = env.str("CERTIFICATE_SIGNING_CERT", default="")
CERTIFICATE_SIGNING_PASSPHRASE = env.str("CERTIFICATE_SIGNING_PASSPHRASE", default="")
# A demo identity is never used in production unless explicitly allowed.
CERTIFICATE_ALLOW_DEMO_SIGNING = env.bool("CERTIFICATE_ALLOW_DEMO_SIGNING", default=DEBUG)
CERTIFICATE_DEMO_SIGNING_DIR = env.path(
    "CERTIFICATE_DEMO_SIGNING_DIR", default=BASE_DIR / "var" / "signing"
)
CERTIFICATE_FONT_DIR = env.path("CERTIFICATE_FONT_DIR", default=BASE_DIR / "var" / "fonts")
CERTIFICATE_UPLOAD_MAX_BYTES = env.int("CERTIFICATE_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)

# Background tasks: the database backend (run `manage.py worker`); tests run them immediately.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
# The outbox (core.outbox): how long a worker owns a dispatched message before another takes it
# up (longer than any rendering), how often a failing effect is tried before the daily tick takes
# over, and the first wait between tries (doubling each time, at most an hour).
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_SECONDS = env.int("OUTBOX_BACKOFF_SECONDS", default=10)

# Django's cache, and the shared counters of the limits (sign-in, objections, API rate; see
# core.counters): Redis when REDIS_URL is set (production: several processes or hosts), e.g.
# redis://127.0.0.1:6379/0. Without it the counters live in a table of the database
# (core_limitcounter) and the cache in each process's memory: nothing the registry caches needs
# sharing apart from the counters, which need an atomic increment that Django's DatabaseCache lacks.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several applications may share one Redis server.
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="registry"),
            # A Redis that hangs fails the request in seconds instead of holding the worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    # API-key clients (banks' systems) first, so that a missing key answers 401, then sessions.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.errors.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per API key (sessions: per user); see api/throttling.py.
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_RATE_PER_KEY", default="600/min")},
    # The client address of anonymous callers is REMOTE_ADDR unless the deployment says how many
    # proxies stand in front (otherwise a caller picks its own X-Forwarded-For and its own limit).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}

# OpenAPI 3 schema of /api/v1/ (drf-spectacular): /api/schema/, browsable at /api/docs/.
SPECTACULAR_SETTINGS = {
    "TITLE": "数据资产登记 API · Data Asset Registry API",
    "DESCRIPTION": (
        "Public register of data assets and their pledges, for banks' systems. Authenticate with "
        "`Authorization: Api-Key <prefix>.<secret>` (keys are issued by the registry). Amounts are "
        "decimal strings in CNY, dates ISO 8601. Errors: "
        '`{"code": ..., "message": ..., "errors": {field: [messages]}}`.'
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package, served by the app itself: the docs work
    # without internet and under the Content-Security-Policy (no CDN, no inline script).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Libraries that narrate every step at INFO: keep their warnings only.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("weasyprint", "fontTools", "django.tasks", "django_tasks_db", "pyhanko")
    },
}

# Content Security Policy (Django's own middleware): scripts only from the site itself, never
# inline (no page needs one); inline styles stay allowed (the certificate and portal templates
# carry their own); no plugins, no framing by other sites, forms post only here.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    # Production is served over HTTPS (behind a proxy that sets X-Forwarded-Proto, when
    # SECURE_PROXY_SSL_HEADER_ENABLED): cookies only over HTTPS, plain HTTP redirected, and
    # browsers told to keep to HTTPS for a year (HSTS). Each can be turned off for a plain-HTTP
    # test deployment.
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_HTTPONLY = True

from config.settings_uploads import *  # noqa: F403,E402
