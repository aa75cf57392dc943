"""Knotwork settings: one module, read from the environment (see README "Configuration")."""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from clinic.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def _local_file(name: str) -> str:
    path = VAR_DIR / name
    return path.read_text().strip() if path.exists() else ""


def _secret_key() -> str:
    key = env_str("KNOTWORK_SECRET_KEY")
    if key:
        return key
    # Local use only: a key generated once and kept in the git-ignored var/ folder.
    path = VAR_DIR / "secret-key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = env_str("DATABASE_URL") or _local_file("database-url")
    if not url:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set and no local database was started: run `make setup`."
        )
    return url


SECRET_KEY = _secret_key()
DEBUG = env_bool("KNOTWORK_DEBUG", False)
HTTPS = env_bool("KNOTWORK_HTTPS", False)
ALLOWED_HOSTS = env_list("KNOTWORK_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KNOTWORK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "clinic",
    "knowledge",
    "intake",
    "treatments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Gives request.user.is_verified(): whether this login passed the authenticator-app code.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clinic.middleware.SessionLimitsMiddleware",
    "clinic.middleware.NoStoreMiddleware",
    # After the session limits: a user who must use two-factor reaches only its pages until then.
    "clinic.middleware.TwoFactorRequiredMiddleware",
    # Attaches the acting user to every change history row written during a request.
    "pghistory.middleware.HistoryMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "clinic.context_processors.perms",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.roles",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(_database_url(), conn_max_age=60)}
# The key pages' queries (clinic.prepared) are prepared on the server once a connection, so
# PostgreSQL plans each once, not on every request; Django's own queries are never prepared.
# Turn off behind a pooler in transaction mode that cannot keep prepared statements.
SERVER_PREPARED_QUERIES = env_bool("KNOTWORK_DB_SERVER_PREPARE", True)
if SERVER_PREPARED_QUERIES:
    # A threshold no query reaches: only clinic.prepared asks psycopg to prepare.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "prepare_threshold": 2**31 - 1,
    }
DATABASES["default"]["TEST"] = {"NAME": env_str("KNOTWORK_TEST_DATABASE") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address never reach the password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading permissions in one query.
    "clinic.backends.StaffBackend",
]
# Lock a username at one address after 5 failures for 20 minutes; a success resets the count.
AXES_FAILURE_LIMIT = env_int("KNOTWORK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KNOTWORK_LOGIN_COOLOFF_MINUTES", 20))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Clinic admins always confirm a login with a code from an authenticator app (TOTP,
# django-otp); with KNOTWORK_REQUIRE_2FA=1 every member of staff does (clinic/two_factor.py).
REQUIRE_2FA = env_bool("KNOTWORK_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "Knotwork"
# Wrong codes in a row make the next try wait 1, 2, 4, 8… seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
# Nobody, admins included, can read another person's two-factor key in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("KNOTWORK_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# collectstatic fills it for production; it exists from the start so whitenoise finds it.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' folders, so a clone runs without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_HTTPONLY = True
# A login lasts at most 12 hours, and ends after 30 minutes without a request
# (clinic.middleware.SessionLimitsMiddleware).
SESSION_ABSOLUTE_SECONDS = env_int("KNOTWORK_SESSION_SECONDS", 12 * 60 * 60)
SESSION_IDLE_SECONDS = env_int("KNOTWORK_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style, nothing from another origin: the app serves all it needs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

EMAIL_BACKEND = env_str("KNOTWORK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("KNOTWORK_FROM_EMAIL", "knotwork@localhost")

# The letterhead of printed documents and letters. The defaults come from the clinic's own page
# (shared/reference/clinic-page.txt), which names its service but gives no address or phone:
# set those for a real clinic; an empty line is left off the letterhead.
CLINIC_NAME = env_str("KNOTWORK_CLINIC_NAME", "Remedial Massage Clinic")
CLINIC_TAGLINE = env_str(
    "KNOTWORK_CLINIC_TAGLINE", "Remedial massage for leg, knee, ankle and foot pain"
)
CLINIC_ADDRESS = env_str("KNOTWORK_CLINIC_ADDRESS", "")
CLINIC_PHONE = env_str("KNOTWORK_CLINIC_PHONE", "")
CLINIC_EMAIL = env_str("KNOTWORK_CLINIC_EMAIL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KNOTWORK_LOG_LEVEL", "INFO")},
    # Request lines carry query strings; keep them out of the log at INFO.
    "loggers": {
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# `make bench` only (KNOTWORK_BENCH=1): server time and query count headers on every response,
# and a bare view to compare throughputs with (clinic/bench.py). Off in tests and production.
BENCH = env_bool("KNOTWORK_BENCH", False)
if BENCH:
    MIDDLEWARE.insert(0, "clinic.bench.BenchTimingMiddleware")
