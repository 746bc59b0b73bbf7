"""gunicorn's settings for Keydesk (`gunicorn config.wsgi` reads this file from the repo root).

The access log keeps the path but never the query string, the referrer or anything shaped
like a key: keys sent in URLs must not end up in logs.
"""

wsgi_app = "config.wsgi"
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
