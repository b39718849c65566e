#!/usr/bin/env bash
# Install Debian's Chromium for the workbench's browser tests (tests/e2e/test_serve_browser.py),
# where this machine allows it. Playwright drives it (executable_path): a browser downloaded
# by Playwright at install time cannot be fetched on machines whose network reaches only
# package registries. Never fails the command it is part of: without Chromium the browser
# tests skip and say why.
set -u
for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "Chromium: $(command -v "$name")"
        exit 0
    fi
done
. "$(dirname "$0")/apt.sh"
if apt_install chromium; then
    echo "Chromium: installed Debian's chromium"
    exit 0
fi
echo "No Chromium installed (needs apt-get and root or password-less sudo): the browser tests" \
     "will skip. To run them, install Chromium (Debian/Ubuntu: 'apt-get install chromium')." >&2
exit 0
