import logging
import re

from audit.masking import mask

# A path or URL in a log line, up to its query string: `"GET /path?query HTTP/1.1"`.
QUERY_STRING_RE = re.compile(r'((?:^|[\s"])(?:/|https?://)[^\s?"]*)\?[^\s"]*')


class RedactKeys(logging.Filter):
    """Drop query strings from request lines and mask anything shaped like a key.

    Wired on the console handler in settings, so it covers runserver's `django.server`,
    gunicorn's access log and every application logger alike.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = mask(QUERY_STRING_RE.sub(r"\1", message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
