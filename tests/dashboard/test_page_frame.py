"""The page frame as the server renders it (issue 12): the theme and the sidebar come from
cookies into <html>, so the first paint is right; the main navigation marks the page's section."""

import re

import pytest

from dashboard.context_processors import SIDEBAR_COOKIE, THEME_COOKIE


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_it_renders_the_chosen_theme(client, alice, acme, theme):
    client.cookies[THEME_COOKIE] = theme
    for url in ("/accounts/login/", "/no-such-page/"):
        response = client.get(url)
        assert f'data-theme="{theme}"' in html_tag(response)
        assert f'<meta name="color-scheme" content="{theme}">' in response.content.decode()


def test_without_a_choice_it_follows_the_system(client, alice, acme):
    response = client.get("/accounts/login/")
    assert html_tag(response) == '<html lang="en">'
    assert '<meta name="color-scheme" content="light dark">' in response.content.decode()


def test_it_ignores_a_cookie_it_did_not_write(client, alice, acme):
    client.cookies[THEME_COOKIE] = '"><script>alert(1)</script>'
    client.cookies[SIDEBAR_COOKIE] = "sideways"
    client.force_login(alice)
    response = client.get("/projects/")
    assert html_tag(response) == '<html lang="en">'
    assert "<script>alert" not in response.content.decode()


def test_it_renders_the_sidebar_collapsed(client, alice, acme):
    client.force_login(alice)
    client.cookies[SIDEBAR_COOKIE] = "collapsed"
    response = client.get("/projects/")
    assert 'data-sidebar="collapsed"' in html_tag(response)
    assert 'aria-controls="sidebar" aria-expanded="false"' in response.content.decode()
    client.cookies[SIDEBAR_COOKIE] = "expanded"
    response = client.get("/projects/")
    assert "data-sidebar" not in html_tag(response)
    assert 'aria-controls="sidebar" aria-expanded="true"' in response.content.decode()


@pytest.mark.parametrize(
    ("url", "section"),
    [
        ("/projects/", "Projects"),
        ("/quickstart/", "Quickstart"),
        ("/keys/", "All keys"),
        ("/settings/", "Settings"),
        ("/settings/webhooks/", "Webhooks"),
        ("/audit/", "Audit"),
    ],
)
def test_the_navigation_marks_the_section(client, alice, acme, url, section):
    client.force_login(alice)
    html = client.get(url).content.decode()
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    assert re.findall(r'aria-current="page">([^<]+)<', nav) == [section]


def test_signed_out_pages_have_no_sidebar_but_a_theme_switch(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert 'id="sidebar"' not in html and "data-sidebar-toggle" not in html
    assert "data-theme-toggle" in html
