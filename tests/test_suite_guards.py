"""The rules that keep the suite honest: CI runs every browser and process test, and only
tests marked `process` start one."""

import pytest

from tests import ci_guard, server

pytest_plugins = ["pytester"]

MARKERS = """
[pytest]
markers =
    browser: drives Chromium
    process: starts processes
"""
ISOLATED = ("-p", "no:django", "-p", "no:playwright", "-p", "no:cacheprovider")


@pytest.fixture
def run(pytester):
    """run(files, *args): a pytest run over `files` with the CI guard loaded."""
    pytester.makeini(MARKERS)

    def run(files, *args):
        for path, source in files.items():
            (pytester.path / path).parent.mkdir(parents=True, exist_ok=True)
            (pytester.path / path).write_text(source)
        return pytester.runpytest(*ISOLATED, *args, plugins=[ci_guard])

    return run


SKIPPING = """
import pytest

@pytest.mark.browser
def test_skipped_browser():
    pytest.skip("no chromium")

@pytest.mark.process
def test_skipped_process():
    pytest.skip("PostgreSQL only")

@pytest.mark.browser
@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False
"""


def test_a_browser_test_that_would_be_skipped_fails_in_ci(run):
    result = run({"tests/test_a.py": SKIPPING})
    result.assert_outcomes(failed=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(["*CI: browser tests must run, not be skipped*no chromium*"])


def test_a_browser_module_that_would_be_skipped_fails_in_ci(run):
    module = "import pytest\npytest.skip('no chromium', allow_module_level=True)\n"
    result = run({"tests/browser/test_b.py": module})
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a failed collection stops the run
    result.stdout.fnmatch_lines(["*CI: browser tests must run, not be skipped*"])


@pytest.mark.parametrize("expression", ["not browser", "not process", "not (browser or process)"])
def test_ci_refuses_to_select_browser_or_process_tests_away(run, expression):
    tests = "import pytest\n\n" + "".join(
        f"@pytest.mark.{marker}\ndef test_{marker}():\n    pass\n\n"
        for marker in ("browser", "process")
    )
    result = run({"tests/test_c.py": tests}, "-m", expression)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*CI: browser and process tests must run*", "*tests/test_c.py*"])


def test_ci_lets_other_tests_be_selected_away(run):
    tests = "import pytest\n\n@pytest.mark.process\ndef test_p():\n    pass\n\n"
    result = run({"tests/test_d.py": tests + "def test_q():\n    pass\n"}, "-m", "process")
    result.assert_outcomes(passed=1, deselected=1)


def test_only_a_process_test_may_start_gunicorn_or_redis():
    for start in (server.gunicorn, server.redis_server):
        with pytest.raises(RuntimeError, match=r"mark it `pytest\.mark\.process`"), start():
            pass
