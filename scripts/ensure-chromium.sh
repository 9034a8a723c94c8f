#!/bin/sh
# The end-to-end tests drive Debian's chromium (never a downloaded browser: CI has no internet
# beyond package registries). Installs it when missing; needs root or sudo.
set -e
for b in "${BROWSER_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$b" ] && [ -x "$b" ]; then exit 0; fi
done
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "chromium is not installed and this user cannot install it: run 'apt-get install -y chromium' as root" >&2
    exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
    $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null
}
/usr/bin/chromium --version
