"""Secret-scanner rules for Keydesk keys, to copy into other projects' scanner setups.

- `detect_secrets_keydesk.py`: a detect-secrets plugin that reports only keys whose checksum
  holds (`detect-secrets scan --plugin keys/scanners/detect_secrets_keydesk.py`);
- `gitleaks.toml`: a gitleaks rule (shape only: gitleaks cannot compute the checksum).
"""
