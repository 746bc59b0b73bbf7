"""Keydesk settings: everything that differs between machines comes from the environment."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# The defaults are for a laptop; `manage.py check --deploy` flags the insecure SECRET_KEY
# and keys.checks flags the default KEY_HASH_SECRET, so a deployment cannot miss them.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-keydesk-development-only")
# The first value digests new keys; the others still verify keys issued before a rotation.
KEY_HASH_SECRETS = env.list("KEY_HASH_SECRET", default=["keydesk-development-only"])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# An event is kept at least this many days; then `prune_audit_events` may delete it (0 keeps
# every event).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
# The API's docs and OpenAPI schema are public unless this is set.
API_DOCS_REQUIRE_LOGIN = env.bool("API_DOCS_REQUIRE_LOGIN", default=False)
# How many proxies in front of Keydesk append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Leak reports (`POST /v1/credentials/revoke`) one client address may send a minute.
LEAK_REPORT_RATE_LIMIT = env.int("LEAK_REPORT_RATE_LIMIT", default=10)
# GitHub secret scanning: where its signing keys are listed, and how long a fetch that did not
# name a report's key holds further fetches back (made-up key identifiers cost one fetch a minute).
SECRET_SCANNING_KEYS_URL = env(
    "SECRET_SCANNING_KEYS_URL",
    default="https://api.github.com/meta/public_keys/secret_scanning",
)
SECRET_SCANNING_REFRESH_HOLD = env.int("SECRET_SCANNING_REFRESH_HOLD", default=60)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # the widget templates, for FORM_RENDERER's template engine
    "django.contrib.humanize",  # allauth's passkey list
    "django_htmx",
    "ninja",  # serves Swagger UI from its own static files, not a CDN
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    # Single sign-on: each is offered only when its variables are set (SOCIALACCOUNT_PROVIDERS).
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.gitlab",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "dashboard",
    "keys",
    "environments",
    "audit",
    "django_tasks_db",
]

# Background work (webhook deliveries): Django's Tasks framework, queued in the database and
# run by `python manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Webhooks: only https endpoints on public addresses, unless this is set (development, tests).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)


# Security alerts by email to each organization's admins: through EMAIL_URL (django-environ's
# form, e.g. smtp+tls://user:password@smtp.example.com:587), or the console in DEBUG.
def mailers(url: str) -> dict[str, dict[str, Any]]:
    """Django's MAILERS from django-environ's reading of EMAIL_URL (empty: the console in
    DEBUG, else none)."""
    if not url:
        console = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
        return {"default": console} if DEBUG else {}
    config = env.email_url_config(url)
    mailer: dict[str, Any] = {"BACKEND": config["EMAIL_BACKEND"]}
    if config["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        mailer["OPTIONS"] = {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"],
            "password": config["EMAIL_HOST_PASSWORD"],
            "use_tls": config.get("EMAIL_USE_TLS", False),
            "use_ssl": config.get("EMAIL_USE_SSL", False),
            "timeout": 30,
        }
    return {"default": mailer}


# Without a mailer nothing is sent (ALERT_EMAILS is off); an empty MAILERS would fail the
# deploy check, so it is left unset.
if mailers(env("EMAIL_URL", default="")):
    MAILERS = mailers(env("EMAIL_URL", default=""))
ALERT_EMAILS = bool(env("EMAIL_URL", default="")) or DEBUG
# Bursts alerted once each (webhooks, email): failed sign-ins for one username, and 403/429
# answers for one key, within BURST_WINDOW seconds.
BURST_WINDOW = env.int("BURST_WINDOW", default=300)
SIGN_IN_FAILURE_BURST = env.int("SIGN_IN_FAILURE_BURST", default=10)
KEY_REFUSAL_BURST = env.int("KEY_REFUSAL_BURST", default=100)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="keydesk@localhost")
# Seconds between retries of a failed delivery (empty: audit.webhooks.RETRY_DELAYS).
WEBHOOK_RETRY_DELAYS = [int(s) for s in env.list("WEBHOOK_RETRY_DELAYS", default=[])]

MIDDLEWARE = [
    # First, so it turns any non-JSON error under /v1/ (a 405, a body too large) into JSON.
    "keys.middleware.JsonErrorsMiddleware",
    "config.outages.DatabaseOutageMiddleware",  # a 503, not a 500, while the database is away
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # /v1/auth/verify answers here, with the headers above and none of the session work below.
    "keys.middleware.VerifyLaneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.middleware.AccountSetupMiddleware",
    "dashboard.middleware.ProviderUnreachableMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# One field template and no label colons for every form (config/forms.py).
FORM_RENDERER = "config.forms.KeydeskFormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.navigation",
                "dashboard.context_processors.accounts",
                "dashboard.context_processors.chrome",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections on every engine: opening one costs more than a whole key
# verification (on SQLite, closing the last one also checkpoints the WAL).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's prepared statements off. Only key verification's lookup binds on
    # the server (Django's cursors bind on the client and are never prepared): psycopg prepares
    # it on its fifth run, and PostgreSQL then skips parsing and planning it, which took longer
    # than running it. Off behind a pooler that cannot keep them (pgbouncer before 1.21 in
    # transaction pooling): DATABASE_PREPARED_STATEMENTS=false.
    DATABASES["default"]["OPTIONS"] = {
        "prepare_threshold": 5 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None,
        **DATABASES["default"].get("OPTIONS", {}),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction begins, which serialises audit
    # chain appends; WAL lets readers carry on while one request writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }

if env("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
            # Unreachable Redis must cost a request little: keys.counters then counts per process.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    # Rate-limit and usage counters live here: room for two per active key, so culling (the
    # default keeps only 300 entries) never resets a limit early or loses a count.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "dashboard:login"

# Accounts: django-allauth, with our forms and our audit events (dashboard/accounts.py).
ACCOUNT_ADAPTER = "dashboard.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "dashboard.forms.OrganizationSignupForm"
ACCOUNT_FORMS = {
    "login": "dashboard.accounts.SignInForm",
    "change_password": "dashboard.accounts.ChangePasswordForm",
    "set_password": "dashboard.accounts.SetPasswordForm",
}
ACCOUNT_SIGNUP_REDIRECT_URL = "dashboard:quickstart"
ACCOUNT_EMAIL_VERIFICATION = "none"  # no mail server is needed to run Keydesk
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
# django-axes locks out failed sign-ins (below); allauth's own counter would answer first.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
# Two-factor (allauth.mfa): an authenticator app, passkeys (WebAuthn) and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Keydesk"
# Browsers allow WebAuthn on https and on http://localhost only; allauth also checks this.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=DEBUG)
# Revoking keys, granting manage, member changes and audit exports need a sign-in (or a
# re-authentication) at most this many seconds old.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("REAUTHENTICATION_TIMEOUT", default=300)
# The password or a second factor; not a code by email (Keydesk sends none). An account with
# neither signs in again with its provider (dashboard.views.reauthenticate).
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
# Each person's sessions (device, address, last seen) on the password page.
USERSESSIONS_TRACK_ACTIVITY = True
# Anyone may sign up (and gets an organization of their own); false: only admins add people
# (and single sign-on, for addresses whose domain an organization allows).
REGISTRATION_OPEN = env.bool("REGISTRATION_OPEN", default=True)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sso_providers() -> tuple[dict[str, dict[str, Any]], list[str]]:
    """allauth's SOCIALACCOUNT_PROVIDERS, a provider for each set of variables present, and
    the origins their sign-in forms post on to (for the CSP's form-action).

    Configured here, not as SocialApp rows, so the environment alone decides what is offered."""

    def app(prefix: str, **settings: str) -> dict[str, Any] | None:
        client_id = env(f"{prefix}_CLIENT_ID", default="")
        secret = env(f"{prefix}_CLIENT_SECRET", default="")
        if not (client_id and secret):
            return None
        return {"client_id": client_id, "secret": secret, "settings": settings}

    providers: dict[str, dict[str, Any]] = {}
    origins: list[str] = []
    if github := app("GITHUB"):
        providers["github"] = {"APPS": [github]}
        origins.append("https://github.com")
    if google := app("GOOGLE"):
        providers["google"] = {"APPS": [google]}
        origins.append("https://accounts.google.com")
    gitlab_url = env("GITLAB_URL", default="https://gitlab.com").rstrip("/")
    if gitlab := app("GITLAB", gitlab_url=gitlab_url):
        # GitLab's user API does not say whether the address was confirmed: unverified unless
        # the operator vouches for their GitLab.
        verified = env.bool("GITLAB_EMAIL_VERIFIED", default=False)
        providers["gitlab"] = {"APPS": [gitlab], "VERIFIED_EMAIL": verified}
        origins.append(origin(gitlab_url))
    server_url = env("OIDC_SERVER_URL", default="").rstrip("/")
    if server_url and (oidc := app("OIDC", server_url=server_url)):
        oidc.update(
            provider_id="sso",  # in the callback URL: /accounts/oidc/sso/login/callback/
            name=env("OIDC_NAME", default="OpenID Connect"),
        )
        providers["openid_connect"] = {"APPS": [oidc], "OAUTH_PKCE_ENABLED": True}
        origins.append(origin(server_url))
    return providers, origins


SOCIALACCOUNT_PROVIDERS, SSO_ORIGINS = sso_providers()
SOCIALACCOUNT_ADAPTER = "dashboard.sso.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "dashboard.sso.SocialSignupForm"}
# Ask every provider for the address: its domain decides which organization a newcomer joins.
SOCIALACCOUNT_QUERY_EMAIL = True
# An address the provider verified signs in to the local account that has it only when that
# address is verified here too (dashboard.sso); any other clash is refused with an explanation.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# Connecting another sign-in to an account, or removing one, needs a recent sign-in.
SOCIALACCOUNT_REAUTHENTICATION_REQUIRED = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("SSO_REQUESTS_TIMEOUT", default=10)

# Sign-in throttling: five failures for one username from one address lock that pair out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "dashboard/locked_out.html"
AXES_VERBOSE = False
# The same client address as everywhere else (TRUSTED_PROXY_COUNT), else behind a proxy every
# sign-in would share the proxy's address and one username's failures would lock it for all.
AXES_CLIENT_IP_CALLABLE = "dashboard.accounts.client_address"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security defaults. Production differs from development by these variables, not by code.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# The preload directive alone changes nothing until the domain is submitted to the list.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    # A sign-in form posts here, then Keydesk redirects it on to the provider.
    "form-action": [CSP.SELF, *SSO_ORIGINS],
}

# Request logs keep neither query strings nor anything shaped like a key (gunicorn's own
# loggers are set up the same way in gunicorn.conf.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_keys": {"()": "keys.logging.RedactKeys"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_keys"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
