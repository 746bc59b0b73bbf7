"""`make bench`: throughput under gunicorn and wrk, and verification in process (see README)."""
