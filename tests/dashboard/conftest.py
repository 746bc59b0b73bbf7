import pytest

from audit.models import chain_ids, verify_chain


@pytest.fixture(autouse=True)
def audit_chains_hold(request):
    """Every event a test writes, through whatever path, must leave every chain intact."""
    if "db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("db")
    yield
    for organization_id in chain_ids():
        assert verify_chain(organization_id) is None
