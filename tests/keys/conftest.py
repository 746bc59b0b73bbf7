import pytest

from keys.models import issue_api_key


@pytest.fixture
def manager(development, production, alice):
    """Headers of a call made with a key that holds `manage` in Acme's development."""
    _, plaintext = issue_api_key(
        environment=development,
        name="automation",
        by=alice,
        write=True,
        manage=True,
        rate_limit=1_000_000,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
