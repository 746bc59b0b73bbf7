import io
import logging

import pytest

from keys import tokens


@pytest.fixture
def server_log():
    """What the configured handlers of `django.server` write, as text."""
    logger = logging.getLogger("django.server")
    stream = io.StringIO()
    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "django.server has no stream handler configured"
    previous = [h.setStream(stream) for h in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def test_request_lines_lose_their_query_strings(server_log):
    key = tokens.generate("live")
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /v1/auth/verify?api_key={key}&x=1 HTTP/1.1", 400, 57
    )
    line = server_log.getvalue()
    assert '"GET /v1/auth/verify HTTP/1.1" 400 57' in line
    assert "api_key" not in line
    assert key not in line


def test_anything_shaped_like_a_key_is_masked_in_any_log(server_log):
    key = tokens.generate("test")
    logging.getLogger("django.server").warning("Bad header: Bearer %s", key)
    line = server_log.getvalue()
    assert key not in line
    assert key[8:20] not in line
    assert "kd_test_[redacted]" in line
