"""A pytest plugin, loaded only in CI (`.ci/run` passes `-p tests.ci_guard`).

Browser and process tests must run in CI, whatever a conftest or a command line decides: a
browser test that would be skipped fails instead, and a selection that leaves browser or
process tests out (`-m "not browser"`, `-m "not process"`, `-k`, `--deselect`) is refused.
Process tests may still skip (some only make sense on PostgreSQL).
"""

import pytest

BROWSER_DIR = "tests/browser/"


def is_browser_test(item):
    return item.get_closest_marker("browser") or item.nodeid.startswith(BROWSER_DIR)


def fail(report, reason):
    report.outcome = "failed"
    report.longrepr = f"CI: browser tests must run, not be skipped ({reason})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and is_browser_test(item):
        fail(report, report.longrepr)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if report.skipped and report.nodeid.startswith(BROWSER_DIR):
        fail(report, report.longrepr)
    return report


def pytest_deselected(items):
    left_out = [
        item.nodeid for item in items if is_browser_test(item) or item.get_closest_marker("process")
    ]
    if left_out:
        shown = "\n  ".join(left_out[:10]) + ("\n  ..." if len(left_out) > 10 else "")
        raise pytest.UsageError(
            f"CI: browser and process tests must run; this selection leaves out "
            f"{len(left_out)} of them:\n  {shown}"
        )
