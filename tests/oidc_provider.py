"""A real OpenID Connect provider for the single sign-on tests, run in its own process.

    python tests/oidc_provider.py CLIENT_ID CLIENT_SECRET   # prints its port, then serves

oauthlib's OpenID Connect server (the engine behind django-oauth-toolkit) does the protocol:
discovery, the authorization code flow with PKCE, client_secret_post at the token endpoint,
RS256 ID tokens (the JWKS is served) and userinfo. The one thing a real provider does that this
one does not is ask who you are: `/authorize` approves the person last set with
`POST /control/user` (JSON claims: sub, email, email_verified, name, preferred_username), or,
after `POST /control/user` with `{"deny": true}`, answers `access_denied` as when someone
cancels.
"""

import json
import os
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from oauthlib.openid import RequestValidator, Server

os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on 127.0.0.1
SCOPES = {"openid", "profile", "email"}
CALLBACK_PATH = "/accounts/oidc/sso/login/callback/"


class Client:
    def __init__(self, client_id):
        self.client_id = client_id


class Validator(RequestValidator):
    """What oauthlib asks a provider to decide and remember, kept in memory."""

    def __init__(self, provider):
        self.provider = provider
        self.codes, self.tokens = {}, {}

    # The client: one, confidential, redirecting only to Keydesk's callback on this machine.
    def validate_client_id(self, client_id, request, *args, **kwargs):
        return client_id == self.provider.client_id

    def authenticate_client(self, request, *args, **kwargs):
        if request.client_id == self.provider.client_id and secrets.compare_digest(
            request.client_secret or "", self.provider.client_secret
        ):
            request.client = Client(request.client_id)
            return True
        return False

    def client_authentication_required(self, request, *args, **kwargs):
        return True

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        parts = urlsplit(redirect_uri)
        local = ("127.0.0.1", "localhost", "testserver")  # testserver: Django's test client
        return parts.hostname in local and parts.path == CALLBACK_PATH

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        return None

    def validate_response_type(self, client_id, response_type, client, request, *args, **kw):
        return response_type == "code"

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return set(scopes) <= SCOPES

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return ["openid"]

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return grant_type == "authorization_code"

    # Authorization codes.
    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        self.codes[code["code"]] = {
            "user": request.user,
            "scopes": request.scopes,
            "redirect_uri": request.redirect_uri,
            "nonce": request.nonce,
            "challenge": request.code_challenge,
            "method": request.code_challenge_method,
        }

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        stored = self.codes.get(code)
        if stored is None:
            return False
        request.user, request.scopes = stored["user"], stored["scopes"]
        return True

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *a, **kw):
        return self.codes[code]["redirect_uri"] == redirect_uri

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        self.codes.pop(code, None)

    def is_pkce_required(self, client_id, request):
        return True

    def get_code_challenge(self, code, request):
        return self.codes[code]["challenge"]

    def get_code_challenge_method(self, code, request):
        return self.codes[code]["method"]

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        return self.codes[code]["scopes"] if code in self.codes else []

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        return self.codes[code]["nonce"] if code in self.codes else None

    # Tokens.
    def save_bearer_token(self, token, request, *args, **kwargs):
        self.tokens[token["access_token"]] = {"user": request.user, "scopes": request.scopes}

    def validate_bearer_token(self, token, scopes, request):
        stored = self.tokens.get(token)
        if stored is None or not set(scopes) <= set(stored["scopes"]):
            return False
        request.user, request.scopes = stored["user"], stored["scopes"]
        return True

    def finalize_id_token(self, id_token, token, token_handler, request):
        id_token.update(iss=self.provider.issuer, exp=int(time.time()) + 300, **request.user)
        return jwt.encode(
            id_token, self.provider.key, algorithm="RS256", headers={"kid": self.provider.kid}
        )

    def get_userinfo_claims(self, request):
        return dict(request.user)

    # No silent or hinted sign-ins here.
    def validate_silent_authorization(self, request):
        return False

    def validate_silent_login(self, request):
        return False

    def validate_user_match(self, id_token_hint, scopes, claims, request):
        return True


class Provider:
    def __init__(self, client_id, client_secret):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.server = Server(Validator(self))
        self.user = None
        self.deny = False
        self.issuer = ""

    def discovery(self):
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": sorted(SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self):
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}


class Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format, *args):
        pass  # the test reads what happened from Keydesk, not from here

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer_json(self, data, status=200):
        self.answer(status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()

    def uri(self):
        return self.provider.issuer + self.path

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/.well-known/openid-configuration":
            self.answer_json(self.provider.discovery())
        elif path == "/jwks":
            self.answer_json(self.provider.jwks())
        elif path == "/authorize":
            self.authorize()
        elif path == "/userinfo":
            headers, body, status = self.provider.server.create_userinfo_response(
                self.uri(), headers=dict(self.headers)
            )
            self.answer(status, (body or "").encode(), headers)
        else:
            self.answer(404)

    def authorize(self):
        server = self.provider.server
        scopes, credentials = server.validate_authorization_request(self.uri())
        if self.provider.deny or self.provider.user is None:
            query = urlencode({"error": "access_denied", "state": credentials["state"]})
            self.answer(302, headers={"Location": f"{credentials['redirect_uri']}?{query}"})
            return
        headers, body, status = server.create_authorization_response(
            self.uri(), scopes=scopes, credentials={"user": self.provider.user}
        )
        self.answer(status, (body or "").encode(), headers)

    def do_POST(self):
        path = urlsplit(self.path).path
        if path == "/token":
            headers, body, status = self.provider.server.create_token_response(
                self.uri(), "POST", self.body(), dict(self.headers)
            )
            self.answer(status, (body or "").encode(), headers)
        elif path == "/control/user":
            data = json.loads(self.body())
            self.provider.deny = bool(data.pop("deny", False))
            self.provider.user = data or None
            self.answer(204)
        else:
            self.answer(404)


def main(client_id, client_secret):
    provider = Provider(client_id, client_secret)
    Handler.provider = provider
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.issuer = f"http://127.0.0.1:{httpd.server_address[1]}"
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:3])
