import subprocess
import sys

from audit.masking import redact


def test_it_masks_keys_through_lists_and_dicts():
    key = "kd_live_" + "a" * 46
    masked = redact({"note": f"pasted {key}", key: [key, 3]})
    assert masked == {
        "note": "pasted kd_live_[redacted]",
        "kd_live_[redacted]": ["kd_live_[redacted]", 3],
    }


def test_it_loads_without_django_for_the_log_filter():
    # The filter is built while logging is configured, before any app (or model) is ready.
    code = (
        "import sys, keys.logging; "
        "print(sorted(m for m in sys.modules if m.startswith(('django', 'audit.models'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
