#!/usr/bin/env bash
# Install what tests/test_app_browser.py needs: Debian's Chromium (Playwright's own browser download does
# not work offline) and the `playwright` Python package (normally already installed by the dev extra).
set -euo pipefail
if ! python -c "import playwright.sync_api" 2>/dev/null; then
    python -m pip install -q "playwright>=1.40"
fi
if [ -x /usr/bin/chromium ]; then
    echo "browser-deps: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "browser-deps: not root and no sudo; cannot install chromium" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium
echo "browser-deps: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium installed')"
