"""The password page lists the person's sessions, with `Sign out everywhere else`."""

from tests.conftest import PASSWORD, Client

URL = "/accounts/password/"


def signed_in(user_agent, username="alice"):
    client = Client(HTTP_USER_AGENT=user_agent)
    client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    return client


def test_it_lists_each_session_with_its_device_and_address(alice, acme):
    laptop = signed_in("Laptop Firefox")
    signed_in("Phone Safari")
    html = laptop.get(URL).content.decode()
    assert "Laptop Firefox" in html
    assert "Phone Safari" in html
    assert "127.0.0.1" in html
    assert html.count('<span class="tag">this one</span>') == 1
    assert "Sign out everywhere else" in html


def test_it_lists_no_one_elses_sessions(alice, acme, bob):
    signed_in("Bob's browser", "bob")
    html = signed_in("Laptop Firefox").get(URL).content.decode()
    assert "Bob&#x27;s browser" not in html and "Bob's browser" not in html


def test_sign_out_everywhere_else_ends_the_others_only(alice, acme):
    laptop = signed_in("Laptop Firefox")
    phone = signed_in("Phone Safari")
    assert phone.get("/projects/").status_code == 200
    response = laptop.post("/accounts/sessions/")
    assert response.status_code == 302
    assert phone.get("/projects/").url.startswith("/accounts/login/")
    assert laptop.get("/projects/").status_code == 200
    assert "Phone Safari" not in laptop.get(URL).content.decode()


def test_anonymous_users_are_sent_to_sign_in(client, db):
    assert client.get(URL).url.startswith("/accounts/login/")
    assert client.post("/accounts/sessions/").url.startswith("/accounts/login/")
