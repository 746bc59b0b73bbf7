"""gunicorn's settings for Keydesk (`gunicorn config.wsgi` reads this file from the repo root).

The access log keeps the path but never the query string, the referrer or anything shaped
like a key: keys sent in URLs must not end up in logs. Forwarded headers are trusted only
with BEHIND_TLS_PROXY=true.
"""

import environ

wsgi_app = "config.wsgi"

# gunicorn would believe X-Forwarded-Proto (and so call a request secure) from 127.0.0.1 by
# default. Only behind a TLS proxy, as Django's SECURE_PROXY_SSL_HEADER: from the addresses in
# FORWARDED_ALLOW_IPS (the proxy's; 127.0.0.1 unless set), and from nowhere otherwise.
env = environ.Env()
if env.bool("BEHIND_TLS_PROXY", default=False):
    forwarded_allow_ips = env("FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")
else:
    forwarded_allow_ips = ""
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss pid=%(p)s'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_keys": {"()": "keys.logging.RedactKeys"}},
    "formatters": {"plain": {"format": "%(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_keys"],
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
