"""Settings for csrtool, read only from CSRTOOL_* environment variables.

Every variable is listed in .env.example. The defaults run offline on one machine
with SQLite in a data directory.
"""

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(f"CSRTOOL_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name).strip().lower()
    if value == "":
        return default
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(f"CSRTOOL_{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name).strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"CSRTOOL_{name} must be a whole number, not {value!r}"
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name).strip()
    if value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str, data_dir: Path) -> dict:
    """Translate CSRTOOL_DATABASE_URL (sqlite:///path or postgresql://…) to Django."""
    if url == "":
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'csrtool.sqlite3'}"
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("//"):
            path = path[1:]
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing mid-transaction.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {
                "NAME": os.path.join(
                    tempfile.gettempdir(), f"csrtool-test-{os.getpid()}.sqlite3"
                )
            },
        }
    if parts.scheme in ("postgres", "postgresql"):
        # Statements sent apart from their values (csrtool.prepared) are
        # prepared on the server from their fifth run on a connection;
        # `?prepare_threshold=none` turns that off, for a pooler that cannot
        # keep prepared statements (PgBouncer before 1.21 in transaction mode).
        threshold = options.pop("prepare_threshold", "5").strip().lower()
        if threshold in ("", "none"):
            options["prepare_threshold"] = None
        elif threshold.isdigit():
            options["prepare_threshold"] = int(threshold)
        else:
            raise ImproperlyConfigured(
                "prepare_threshold in CSRTOOL_DATABASE_URL must be a whole number "
                f"or none, not {threshold!r}"
            )
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"CSRTOOL_DATABASE_URL must start with sqlite:// or postgresql://, not {url!r}"
    )


def demo_file_settings(data_dir: Path) -> dict:
    """What `csrtool demo` recorded in its data directory (DEMO_FILE), so that
    later commands there (`csrtool subscribers find …`) reach the demo's database
    with no variable set. Ignored when CSRTOOL_DATABASE_URL names a database:
    that is not the demo's."""
    path = data_dir / DEMO_FILE
    if env_str("DATABASE_URL") or not path.is_file():
        return {}
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ImproperlyConfigured(
            f"{path} is not what csrtool demo writes; remove it or run csrtool demo."
        ) from None
    if not isinstance(recorded, dict):
        raise ImproperlyConfigured(f"{path} is not what csrtool demo writes.")
    return recorded


DEMO_FILE = "demo.json"
DATA_DIR = Path(
    env_str("DATA_DIR") or Path.home() / ".local" / "share" / "csrtool"
).resolve()
_demo = demo_file_settings(DATA_DIR)
DEBUG = env_bool("DEBUG", False)
DEMO = env_bool("DEMO", bool(_demo))

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or DEMO):
        raise ImproperlyConfigured(
            "CSRTOOL_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set CSRTOOL_DEBUG=true for local development."
        )
    # Demo and debug runs keep a generated key in the data directory, so sessions
    # and links survive a restart without anyone having to configure one.
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

BASE_URL = env_str(
    "BASE_URL", str(_demo.get("base_url", "http://127.0.0.1:8000"))
).rstrip("/")
_base = urlsplit(BASE_URL)
if _base.scheme not in ("http", "https") or not _base.hostname:
    raise ImproperlyConfigured(
        f"CSRTOOL_BASE_URL must be an http(s) URL, not {BASE_URL!r}"
    )
# The hosts of the CSR console (and of every partner's customer pages). A partner
# may also have its own portal host (Partner.portal_host) for its customers' pages.
# csrtool.hosts.HostMiddleware, first of all, refuses any other host, so Django's
# own check, which knows no partner, lets every host through to it.
MAIN_HOSTS = env_list("ALLOWED_HOSTS", [_base.hostname])
if DEBUG:
    MAIN_HOSTS = [*MAIN_HOSTS, "127.0.0.1", "localhost", "testserver"]
ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
SECURE = _base.scheme == "https"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "csrtool",
    "csrtool.audit",
    "csrtool.partners",
    "csrtool.subscribers",
    "csrtool.onboarding",
    "csrtool.portal",
    "csrtool.numberpool",
    "csrtool.features",
    "csrtool.api",
    "csrtool.events",
    "csrtool.webhooks",
]

MIDDLEWARE = [
    "csrtool.hosts.HostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csrtool.audit.middleware.RequestIdMiddleware",
    "csrtool.api.ratelimit.RateLimitMiddleware",
    "csrtool.edge.EdgeMiddleware",
    "csrtool.api.idempotency.IdempotencyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "csrtool.partners.middleware.SessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "csrtool.languages.CustomerLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "csrtool.partners.middleware.StaffSessionLimitMiddleware",
    "csrtool.partners.middleware.StaffTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "csrtool.urls"
WSGI_APPLICATION = "csrtool.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csrtool.console.console_context",
            ],
        },
    },
    {
        # Email subjects and plain-text parts: text, so nothing is HTML-escaped
        # ("Welcome to AT&T", not "AT&amp;T"). render_to_string(..., using="text").
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {"default": database_from_url(env_str("DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "full_name"]},
    },
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console-home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 72 * 3600
# Subscriber secrets (password, PIN, security answer): argon2-cffi's defaults,
# RFC 9106's second recommended option.
ARGON2_PARAMETERS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}

SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
# A session in use is written (and its idle limit pushed back) at most once
# this often (csrtool.partners.middleware.SessionRenewalMiddleware).
SESSION_RENEW_SECONDS = 60
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "csrtool.views.csrf_failure"
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
if SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    # Trust X-Forwarded-Proto/-For only when a reverse proxy sets them.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = False
# Joining the browsers' HSTS preload list is the operator's decision, not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}


def env_positive(name: str, default: int) -> int:
    value = env_int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"CSRTOOL_{name} must be 1 or more, not {value}")
    return value


# Sign-in protection, for staff and subscribers alike (SECURITY.md). Failed
# sign-ins lock the pair (account, client address); an address failing across
# accounts is locked for everyone behind it; an account failing from many
# addresses is slowed down (waits doubling up to a maximum), never shut.
LOGIN_LOCK_FAILURES = env_positive("LOGIN_LOCK_FAILURES", 10)
LOGIN_LOCK_MINUTES = env_positive("LOGIN_LOCK_MINUTES", 30)
LOGIN_ADDRESS_FAILURES = env_positive("LOGIN_ADDRESS_FAILURES", 30)
LOGIN_SLOWDOWN_AFTER = env_positive("LOGIN_SLOWDOWN_AFTER", 20)
LOGIN_SLOWDOWN_FIRST_SECONDS = env_positive("LOGIN_SLOWDOWN_FIRST_SECONDS", 30)
LOGIN_SLOWDOWN_MAX_MINUTES = env_positive("LOGIN_SLOWDOWN_MAX_MINUTES", 15)
# Staff second factor (csrtool.partners.second_factor): the most sensitive actions
# ask for it again when it was last passed longer ago than this.
SECOND_FACTOR_FRESH_MINUTES = env_positive("SECOND_FACTOR_FRESH_MINUTES", 15)
# The name authenticator apps show beside the staff member's address.
OTP_TOTP_ISSUER = env_str("TOTP_ISSUER", "CSR Tool")
# Single sign-on (csrtool.partners.single_sign_on): how far the provider's clock may
# be off when its ID tokens are checked (seconds), and whether a provider may be
# reached over plain http on a loopback address (tests and labs; never production).
SSO_CLOCK_SKEW_SECONDS = env_int("SSO_CLOCK_SKEW_SECONDS", 60)
SSO_ALLOW_HTTP_LOOPBACK = env_bool("SSO_ALLOW_HTTP_LOOPBACK", False)

# Request body limits in bytes (SECURITY.md): above them the answer is 413 before
# the body is read. The number import (page upload and API) takes whole files.
MAX_BODY_BYTES = env_positive("MAX_BODY_BYTES", 1024 * 1024)
MAX_IMPORT_BODY_BYTES = env_positive("MAX_IMPORT_BODY_BYTES", 32 * 1024 * 1024)
# Django's own ceiling is the largest route limit; csrtool.edge applies each one.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_BODY_BYTES, MAX_IMPORT_BODY_BYTES)

# REST API rate limits, per minute (SECURITY.md): every request from a client
# address; requests with one API key; requests from an address without a valid key.
API_ADDRESS_REQUESTS_PER_MINUTE = env_positive("API_ADDRESS_REQUESTS_PER_MINUTE", 600)
API_KEY_REQUESTS_PER_MINUTE = env_positive("API_KEY_REQUESTS_PER_MINUTE", 300)
API_ADDRESS_BAD_KEYS_PER_MINUTE = env_positive("API_ADDRESS_BAD_KEYS_PER_MINUTE", 30)
# Redis for counts every server process shares (rate limits); empty: the database.
REDIS_URL = env_str("REDIS_URL").strip()
if REDIS_URL and urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured(
        f"CSRTOOL_REDIS_URL must start with redis://, rediss:// or unix://, "
        f"not {REDIS_URL!r}"
    )
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "csrtool:")

# django-axes locks the staff pair (account, address); the address throttle and
# the account slow-down are csrtool's own (csrtool.partners.sign_in).
AXES_FAILURE_LIMIT = LOGIN_LOCK_FAILURES
AXES_COOLOFF_TIME = LOGIN_LOCK_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# The CSR console speaks English. Subscribers' pages and emails come in each
# subscriber's language, one of LANGUAGES (csrtool/locale; a partner's own email
# templates are kept per language: csrtool/onboarding/email_templates).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
# The subscriber's language, remembered by their browser for the pages before
# sign-in (csrtool/languages.py).
LANGUAGE_COOKIE_NAME = "csrtool_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Served from the package itself through WhiteNoise finders: no collectstatic step.
STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
AXES_USERNAME_CALLABLE = "csrtool.partners.access.axes_username"


def email_from_url(url: str, data_dir: Path) -> dict:
    """Translate CSRTOOL_EMAIL_URL to Django's email settings.

    smtp://[user:password@]host[:port][?starttls=true&timeout=30] (port 25 by
    default), smtps://… for TLS from the first byte (port 465). Empty: every email
    is written as a .eml file into <data dir>/outbox, for demos without a server.
    """
    if url == "":
        return {
            "EMAIL_BACKEND": "csrtool.onboarding.mailfolder.FolderEmailBackend",
            "EMAIL_FILE_PATH": str(data_dir / "outbox"),
        }
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(
            "CSRTOOL_EMAIL_URL must look like smtp://host:port or smtps://host:port, "
            f"not {url!r}"
        )
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - {"starttls", "timeout"}
    if unknown:
        raise ImproperlyConfigured(
            f"CSRTOOL_EMAIL_URL has unknown options: {', '.join(sorted(unknown))} "
            "(known: starttls, timeout)"
        )
    starttls = options.get("starttls", "false").lower()
    if starttls not in ("true", "false"):
        raise ImproperlyConfigured("CSRTOOL_EMAIL_URL starttls must be true or false")
    if starttls == "true" and parts.scheme == "smtps":
        raise ImproperlyConfigured(
            "CSRTOOL_EMAIL_URL: smtps:// already uses TLS; drop starttls=true"
        )
    try:
        timeout = float(options.get("timeout", "30"))
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ImproperlyConfigured(
            "CSRTOOL_EMAIL_URL has a malformed port or timeout"
        ) from None
    if not 0 < timeout <= 600:
        raise ImproperlyConfigured("CSRTOOL_EMAIL_URL timeout must be 0–600 seconds")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": starttls == "true",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": timeout,
    }


_email = email_from_url(env_str("EMAIL_URL").strip(), DATA_DIR)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", str(DATA_DIR / "outbox"))
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", 30)
# The sender when a partner has not set its own address.
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where mail servers return undeliverable subscriber email (the envelope sender,
# Return-Path). Set, each partner's email goes out from its own plus-address
# (bounces+acme@…), so one partner's bounces are never mixed with another's;
# unset, a partner's own sender address, else EMAIL_FROM.
EMAIL_BOUNCE_ADDRESS = env_str("EMAIL_BOUNCE_ADDRESS", "").strip()
if EMAIL_BOUNCE_ADDRESS and EMAIL_BOUNCE_ADDRESS.count("@") != 1:
    raise ImproperlyConfigured(
        "CSRTOOL_EMAIL_BOUNCE_ADDRESS must be one address, e.g. bounces@mail.example"
    )
# How many times the worker tries to deliver an email before marking it failed.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)

# The health check reports background work as late when a job has been due for
# longer than this.
HEALTH_MAX_QUEUE_MINUTES = env_int("HEALTH_MAX_QUEUE_MINUTES", 10)

# How long the event feed keeps events (days; at least 30).
EVENTS_KEEP_DAYS = max(env_int("EVENTS_KEEP_DAYS", 30), 30)

# Webhooks: endpoints may use http and private, loopback or link-local addresses
# only when this is true (test and lab installations; never in production).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
# Seconds one delivery attempt may take, connection included.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Hours a delivery is retried (with backoff) before it is marked failed; >= 24.
WEBHOOK_RETRY_HOURS = max(env_int("WEBHOOK_RETRY_HOURS", 72), 24)
# Days an endpoint may fail every attempt before it is switched off.
WEBHOOK_DISABLE_AFTER_DAYS = env_int("WEBHOOK_DISABLE_AFTER_DAYS", 5)

# Durable background jobs (the welcome email) in the application database.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "email"],
    }
}
