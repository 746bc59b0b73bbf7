from environments.models import Membership, Role, create_organization


def test_it_sends_a_new_organization_to_the_quickstart(client, alice, acme):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/quickstart/"


def test_it_sends_htmx_to_the_quickstart_too(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.get("/", **htmx)
    assert response.status_code == 302
    assert response.url == "/quickstart/"


def test_it_keeps_sending_to_the_quickstart_until_there_is_a_key(client, alice, development):
    client.force_login(alice)
    assert client.get("/").url == "/quickstart/"


def test_it_sends_an_organization_with_a_key_to_its_projects(client, alice, api_key):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/projects/"


def test_a_revoked_key_does_not_count(client, alice, api_key):
    from keys.models import revoke_api_key

    revoke_api_key(key=api_key[0], by=alice, reason="test")
    client.force_login(alice)
    assert client.get("/").url == "/quickstart/"


def test_it_is_about_the_current_organization(client, charlie, globex, api_key):
    client.force_login(charlie)
    assert client.get("/").url == "/quickstart/"


def test_it_serves_viewers_too(client, victor, api_key):
    client.force_login(victor)
    assert client.get("/").url == "/projects/"


def test_it_asks_an_anonymous_user_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"


def test_it_refuses_a_user_with_no_organization(client, charlie):
    client.force_login(charlie)
    response = client.get("/")
    assert response.status_code == 403
    assert "You are not in an organization yet" in response.content.decode()


def test_it_refuses_post(client, alice, acme):
    client.force_login(alice)
    assert client.post("/").status_code == 405


def test_it_uses_the_chosen_organization(client, alice, acme, api_key, charlie, globex):
    Membership.objects.create(organization=globex, user=alice, role=Role.MEMBER)
    client.force_login(alice)
    assert client.get("/").url == "/projects/"
    session = client.session
    session["organization_id"] = globex.pk
    session.save()
    assert client.get("/").url == "/quickstart/"


def test_it_falls_back_to_the_oldest_membership(client, alice, acme, api_key):
    newer = create_organization(name="Newer", admin=alice)
    client.force_login(alice)
    session = client.session
    session["organization_id"] = newer.pk
    session.save()
    Membership.objects.filter(organization=newer).delete()
    assert client.get("/").url == "/projects/"
    assert client.session["organization_id"] == acme.pk
