"""The requests-per-day chart on a key's page and an environment's keys tab (DESIGN.md 12)."""

import re
from datetime import timedelta

from django.utils import timezone

from keys.counters import counters
from keys.models import ApiKey, KeyUsage, issue_api_key


def chart_label(html):
    [label] = re.findall(r'<svg role="img" aria-label="(Requests per day[^"]*)"', html)
    return label


def day(days_ago):
    return timezone.now().date() - timedelta(days=days_ago)


def test_it_charts_a_keys_last_30_days_with_unwritten_counts(client, alice, api_key):
    key, _ = api_key
    key.usage.create(day=day(3), requests=1000)
    key.usage.create(day=day(1), requests=200)
    key.usage.create(day=day(30), requests=5000)  # 31 days ago: outside the chart
    counters.give_back(KeyUsage.counter(key.pk, day(0)), 34)  # not written yet
    client.force_login(alice)
    html = client.get(f"/keys/{key.public_id}/").content.decode()
    peak_day = day(3)
    assert chart_label(html) == (
        "Requests per day over the last 30 days: 1,234 in total,"
        f" peak 1,000 on {peak_day.day} {peak_day:%b}"
    )
    start = html.index('<svg role="img"')
    svg = html[start : html.index("</svg>", start)]
    assert svg.count("<rect") == 30  # zero days are drawn too
    assert svg.count('class="zero"') == 27
    assert "<td>34</td>" in html  # the table fallback, newest first
    assert html.index("<td>34</td>") < html.index("<td>200</td>") < html.index("<td>1000</td>")


def test_a_key_without_requests_says_so(client, victor, api_key):
    key, _ = api_key
    client.force_login(victor)
    html = client.get(f"/keys/{key.public_id}/").content.decode()
    assert chart_label(html) == "Requests per day over the last 30 days: 0 in total"
    assert "as a table" not in html


def test_an_environment_charts_its_keys_together_and_nothing_else(
    client, alice, api_key, development, production, globex_environment
):
    key, _ = api_key
    other, _ = issue_api_key(environment=development, name="other", by=alice)
    revoked, _ = issue_api_key(environment=development, name="old", by=alice)
    revoked.revoke(by=alice, reason="done")
    live, _ = issue_api_key(environment=production, name="live", by=alice)
    outsider, _ = issue_api_key(environment=globex_environment, name="theirs", by=None)
    for k, requests in [(key, 5), (other, 7), (revoked, 1), (live, 100), (outsider, 100)]:
        k.usage.create(day=day(2), requests=requests)
    ApiKey.objects.filter(pk=other.pk).update(last_used_at=timezone.now())
    counters.give_back(KeyUsage.counter(other.pk, day(0)), 3)
    client.force_login(alice)
    html = client.get("/projects/billing-api/environments/development/keys/").content.decode()
    assert chart_label(html).startswith(
        "Requests per day over the last 30 days: 16 in total, peak 13 on"
    )


def test_the_environments_chart_is_left_out_of_the_htmx_table(client, alice, api_key, htmx):
    client.force_login(alice)
    url = "/projects/billing-api/environments/development/keys/"
    html = client.get(url, **htmx).content.decode()
    assert api_key[0].hint in html
    assert 'aria-label="Requests per day' not in html


def test_the_chart_costs_the_same_queries_however_many_keys_and_days(
    alice, development, django_assert_num_queries
):
    keys = [issue_api_key(environment=development, name=f"k{n}", by=alice)[0] for n in range(6)]
    for n, key in enumerate(keys):
        for days_ago in range(n * 5):
            key.usage.create(day=day(days_ago), requests=n + days_ago)
    ApiKey.objects.update(last_used_at=timezone.now())
    with django_assert_num_queries(1):
        one = KeyUsage.per_day(keys[-1])
    # The sums, and which keys were used lately (their unwritten counts are in the cache).
    with django_assert_num_queries(2):
        together = KeyUsage.per_day(development.api_keys.all())
    assert len(one) == len(together) == 30
    assert sum(r for _, r in together) == sum(u.requests for u in KeyUsage.objects.all())


def test_another_organizations_environment_is_a_404(client, charlie, globex, api_key):
    client.force_login(charlie)
    response = client.get("/projects/billing-api/environments/development/keys/")
    assert response.status_code == 404
