"""hypothesis over every dashboard form: whatever is posted (or put in a filter's query string),
the answer is never a 500. The test client raises any exception a view lets through, so a
crash fails the example rather than hiding in a status code.
"""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.forms import FILTERS
from dashboard.forms import MemberAddForm, RoleForm
from environments.forms import EnvironmentForm, ProjectForm, SwitchOrganizationForm
from keys.forms import KeyCreateForm, KeyEditForm, KeyFilterForm, RevokeForm, RotateForm

# Text as a browser or a script might send it (no lone surrogates: a form post is UTF-8).
TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e",
            "0",
            "-1",
            "99999999999999999999",
            "9999-12-31T23:59:59",
            "0001-01-01T00:00:00",
            "key_0000000000000000",
            "on",
            "x" * 300,
            "1.5",
            "NaN",
        ]
    ),
    st.integers(-(2**64), 2**64).map(str),
)
VALUE = st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=3))


def fields(form_class, *extra):
    return [*form_class.base_fields, *extra]


def form_data(names):
    return st.fixed_dictionaries({}, optional={name: VALUE for name in names})


def examples(count):
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture
def signed_in(client, alice, api_key):
    client.force_login(alice)
    return client


@pytest.fixture
def urls(api_key, bob):
    key, _ = api_key
    return {
        "key": key.public_id,
        "bob": bob.memberships.get().pk,
    }


def assert_no_500(response):
    assert response.status_code < 500, response.content[:2000]


POSTED = [
    ("/projects/", fields(ProjectForm)),
    ("/projects/billing-api/environments/new/", fields(EnvironmentForm)),
    ("/quickstart/project/", fields(ProjectForm)),
    ("/quickstart/environment/", fields(EnvironmentForm)),
    ("/organizations/switch/", fields(SwitchOrganizationForm)),
    ("/projects/billing-api/environments/development/keys/new/", fields(KeyCreateForm)),
    ("/keys/new/", fields(KeyCreateForm, "environment")),
    ("/keys/revoke/", fields(RevokeForm)),
    ("/keys/", ["secret"]),
    ("/keys/{key}/edit/", fields(KeyEditForm)),
    ("/keys/{key}/rotate/", fields(RotateForm)),
    ("/members/new/", fields(MemberAddForm, "role")),
    ("/members/{bob}/role/", fields(RoleForm)),
    ("/audit/verify/", []),
]


@pytest.mark.parametrize(("url", "names"), POSTED, ids=[url for url, _ in POSTED])
def test_posting_anything_to_a_dashboard_form(signed_in, urls, url, names):
    @examples(40)
    @given(data=form_data(names), htmx=st.booleans())
    def post(data, htmx):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        assert_no_500(signed_in.post(url.format(**urls), data, **headers))

    post()


FILTERED = [
    ("/keys/", fields(KeyFilterForm, "cursor", "before", "after")),
    ("/audit/", [*FILTERS, "before", "after"]),
    ("/projects/billing-api/environments/development/keys/", ["q", "cursor", "before"]),
]


@pytest.mark.parametrize(("url", "names"), FILTERED, ids=[url for url, _ in FILTERED])
def test_any_filters_in_the_query_string(signed_in, url, names):
    @examples(40)
    @given(data=form_data(names))
    def get(data):
        assert_no_500(signed_in.get(url, data))

    get()


@examples(25)
@given(data=form_data(FILTERS), fmt=st.sampled_from(["csv", "jsonl"]))
def test_any_export_filters(signed_in, data, fmt):
    response = signed_in.post(f"/audit/export.{fmt}?{urlencode(data, doseq=True)}")
    assert_no_500(response)
    if response.status_code == 200:
        b"".join(response.streaming_content)


# Sign-in and sign-up hash a password with Argon2 (100 MB, 2 passes): fewer examples.
ACCOUNTS = [
    # allauth's forms, by the names they post.
    ("/accounts/login/", ["login", "password", "remember"]),
    ("/accounts/signup/", ["username", "email", "password1", "password2", "organization"]),
]


@pytest.mark.parametrize(("url", "names"), ACCOUNTS, ids=[url for url, _ in ACCOUNTS])
def test_posting_anything_to_the_account_forms(client, alice, url, names):
    @examples(10)
    @given(data=form_data(names))
    def post(data):
        assert_no_500(client.post(url, data))

    post()


def test_posting_anything_to_the_password_form(signed_in):
    @examples(10)
    @given(data=form_data(["oldpassword", "password1", "password2"]))
    def post(data):
        assert_no_500(signed_in.post("/accounts/password/", data))

    post()


def test_posting_anything_to_member_removal(client, alice, acme, urls):
    client.force_login(alice)

    @examples(15)
    @given(data=form_data(["confirm", "keys"]))
    def post(data):
        assert_no_500(client.post(f"/members/{urls['bob']}/remove/", data))

    post()
