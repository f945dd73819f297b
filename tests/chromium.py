"""Debian's Chromium for the browser tests (never `playwright install`: it downloads a browser).

A test module calls `require_chromium()` at import: without /usr/bin/chromium it is skipped, unless
SAFT_NB_BROWSER_TEST=1 (as in CI), which turns a missing browser into a failure."""
import os, shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']


def require_chromium():
    if not Path(CHROMIUM).exists() and not os.environ.get('SAFT_NB_BROWSER_TEST'):
        pytest.skip('Chromium is not installed (apt-get install chromium)', allow_module_level=True)
