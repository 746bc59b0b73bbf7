"""`POST /v1/secret-scanning/github` against a real gunicorn, with GitHub's public keys served
by a key server this test starts on 127.0.0.1."""

import base64
import contextlib
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from audit.models import Action, AuditEvent
from keys import tokens
from keys.models import ApiKey, Status, issue_api_key
from tests.server import gunicorn, send

pytestmark = [pytest.mark.process, pytest.mark.django_db(transaction=True)]


class KeyServer:
    """Serves `{"public_keys": [...]}` for the signing keys it holds; counts the fetches."""

    def __init__(self):
        self.keys = {}  # identifier: private key
        self.fetches = 0
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())

    def add(self, identifier):
        self.keys[identifier] = ec.generate_private_key(ec.SECP256R1())
        return self.keys[identifier]

    def listing(self):
        return {
            "public_keys": [
                {
                    "key_identifier": identifier,
                    "key": key.public_key()
                    .public_bytes(
                        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                    )
                    .decode(),
                    "is_current": True,
                }
                for identifier, key in self.keys.items()
            ]
        }

    def handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.fetches += 1
                body = json.dumps(server.listing()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http.server_address[1]}/meta/public_keys/secret_scanning"


@contextlib.contextmanager
def serving_keys():
    server = KeyServer()
    server.add("key-one")
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()


@contextlib.contextmanager
def keydesk(key_server):
    """gunicorn with its secret scanning keys at `key_server`; yields the endpoint's URL."""
    env = {"SECRET_SCANNING_KEYS_URL": key_server.url, "SECRET_SCANNING_REFRESH_HOLD": "60"}
    with gunicorn(workers=1, env=env) as (base, _log):
        yield base + "/v1/secret-scanning/github"


@pytest.fixture(scope="module")
def key_server():
    with serving_keys() as server:
        yield server


@pytest.fixture(scope="module")
def scanning(django_db_setup, key_server):
    with keydesk(key_server) as url:
        yield url


def sign(private_key, body):
    return base64.b64encode(private_key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def post(url, body, identifier=None, signature=None):
    headers = {"Content-Type": "application/json"}
    if identifier is not None:
        headers["Github-Public-Key-Identifier"] = identifier
    if signature is not None:
        headers["Github-Public-Key-Signature"] = signature
    status, _, text = send(url, body, headers=headers)
    return status, json.loads(text)


def report(*tokens_and_urls):
    return json.dumps(
        [
            {"token": token, "type": "keydesk_api_key", "url": url, "source": "content"}
            for token, url in tokens_and_urls
        ]
    ).encode()


def test_a_signed_report_revokes_the_keys_and_labels_every_token(
    scanning, key_server, development, alice
):
    leaked, plaintext = issue_api_key(environment=development, name="leaked", by=alice)
    stranger = tokens.generate("live")
    url = "https://github.com/acme/app/blob/abc123/settings.py#L4"
    body = report((plaintext, url), (stranger, "https://github.com/x/y/blob/1/a.txt"))

    status, answer = post(scanning, body, "key-one", sign(key_server.keys["key-one"], body))

    assert status == 200
    assert answer == [
        {
            "token_hash": hashlib.sha256(plaintext.encode()).hexdigest(),
            "token_type": "keydesk_api_key",
            "label": "true_positive",
        },
        {
            "token_hash": hashlib.sha256(stranger.encode()).hexdigest(),
            "token_type": "keydesk_api_key",
            "label": "false_positive",
        },
    ]
    leaked.refresh_from_db()
    assert leaked.status == Status.REVOKED
    assert url in leaked.revoked_reason
    event = AuditEvent.objects.get(action=Action.KEY_LEAKED)
    assert event.target_id == leaked.public_id
    assert event.actor_name == "GitHub secret scanning"
    assert event.metadata["where"] == url
    assert event.metadata["source"] == "github secret scanning (content)"
    assert plaintext not in json.dumps(event.as_record())

    # Reported again (GitHub retries): still a true positive, nothing recorded twice.
    status, answer = post(scanning, body, "key-one", sign(key_server.keys["key-one"], body))
    assert status == 200 and answer[0]["label"] == "true_positive"
    assert AuditEvent.objects.filter(action=Action.KEY_LEAKED).count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"identifier": "key-one"},
        {"identifier": "key-one", "signature": "not base64!"},
        {"identifier": "key-one", "signature": base64.b64encode(b"\x30\x06junk").decode()},
        {"identifier": "key-one", "signature": "forged-by-another-key"},
        {"identifier": "key-one", "signature": "over-another-body"},
    ],
    ids=["none", "no-signature", "not-base64", "not-der", "other-key", "other-body"],
)
def test_a_bad_or_missing_signature_is_a_401_and_revokes_nothing(
    scanning, key_server, development, alice, headers
):
    key, plaintext = issue_api_key(environment=development, name="kept", by=alice)
    body = report((plaintext, "https://github.com/acme/app"))
    signature = headers.get("signature")
    if signature == "forged-by-another-key":
        signature = sign(ec.generate_private_key(ec.SECP256R1()), body)
    elif signature == "over-another-body":
        signature = sign(key_server.keys["key-one"], body + b" ")

    status, answer = post(scanning, body, headers.get("identifier"), signature)

    assert status == 401
    assert answer["error"]["code"] == "invalid_signature"
    assert ApiKey.objects.get(pk=key.pk).status == Status.ACTIVE
    assert not AuditEvent.objects.filter(action=Action.KEY_LEAKED).exists()


def test_keys_are_fetched_once_and_again_for_a_new_identifier(django_db_setup):
    body = report((tokens.generate("test"), "https://github.com/a/b"))
    with serving_keys() as key_server, keydesk(key_server) as scanning:
        for _ in range(3):
            assert post(scanning, body, "key-one", sign(key_server.keys["key-one"], body))[0] == 200
        assert key_server.fetches == 1

        # GitHub rotates its key: the first report signed by the new one fetches the list again.
        new = key_server.add("key-two")
        for _ in range(2):
            assert post(scanning, body, "key-two", sign(new, body))[0] == 200
        assert key_server.fetches == 2

        # Made-up identifiers: one fetch finds nothing, then fetching is held back.
        for n in range(5):
            assert post(scanning, body, f"made-up-{n}", sign(new, body))[0] == 401
        assert key_server.fetches == 3
        # Known keys still pass meanwhile, from the cache.
        assert post(scanning, body, "key-one", sign(key_server.keys["key-one"], body))[0] == 200
        assert key_server.fetches == 3


def test_a_signed_body_of_another_shape_is_a_400(scanning, key_server):
    for body in (b"not json", b"{}", b'[{"token": 1}]', b'[{"token": "x", "type": "t"}]'):
        status, answer = post(scanning, body, "key-one", sign(key_server.keys["key-one"], body))
        assert status == 400, body
        assert answer["error"]["code"] == "invalid_request"


def test_an_oversized_body_is_refused_before_its_signature_is_checked(scanning, key_server):
    fetches = key_server.fetches
    body = b"[" + b'"x",' * 300_000 + b'"x"]'
    status, answer = post(scanning, body, "made-up-big", "AAAA")
    assert status == 413
    assert answer["error"]["code"] == "payload_too_large"
    assert key_server.fetches == fetches


def test_an_unreachable_key_list_is_a_503_not_a_pass(django_db_setup, development, alice):
    key, plaintext = issue_api_key(environment=development, name="kept", by=alice)
    env = {"SECRET_SCANNING_KEYS_URL": "http://127.0.0.1:9/nothing-listens-here"}
    body = report((plaintext, "https://github.com/a/b"))
    with gunicorn(workers=1, env=env) as (base, _log):
        private = ec.generate_private_key(ec.SECP256R1())
        status, answer = post(base + "/v1/secret-scanning/github", body, "k", sign(private, body))
    assert status == 503
    assert answer["error"]["code"] == "service_unavailable"
    assert ApiKey.objects.get(pk=key.pk).status == Status.ACTIVE
