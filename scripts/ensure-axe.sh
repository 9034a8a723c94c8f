#!/bin/sh
# The accessibility test (tests/test_e2e_a11y.py) runs axe-core in the browser. Its one file,
# axe.min.js, comes from the npm registry (`npm pack`, no node_modules) into build/vendor/;
# it is not committed. Prints the file's path.
set -e
VERSION="${AXE_VERSION:-4.10.3}"
DIR="$(cd "$(dirname "$0")/.." && pwd)/build/vendor"
OUT="$DIR/axe-core-$VERSION.min.js"
if [ ! -s "$OUT" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is needed to fetch axe-core (apt-get install -y npm)" >&2; exit 1; }
    mkdir -p "$DIR"
    TMP="$(mktemp -d)"
    trap 'rm -rf "$TMP"' EXIT
    (cd "$TMP" && npm pack --silent "axe-core@$VERSION" >/dev/null)
    tar -xzf "$TMP"/axe-core-*.tgz -C "$TMP" package/axe.min.js
    mv "$TMP/package/axe.min.js" "$OUT"
fi
echo "$OUT"
