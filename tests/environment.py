"""Loaded by pytest before Django's settings (`-p tests.environment` in pyproject.toml).

The test suite runs with DEBUG and the local Midtrans simulator, which the settings turn on only
when asked for explicitly: `.env.example` (CI's `.env`) no longer turns DEBUG on. Real
environment variables still win.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("MIDTRANS_SIMULATOR", "1")
