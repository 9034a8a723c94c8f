#!/bin/sh
# The Spark tests (tests/test_spark.py, `pytest -m spark`) run pyspark in local mode, which
# needs a Java 17 or newer runtime. Installs Debian's openjdk-17-jre-headless when `java`
# is missing or too old (never a downloaded JDK: CI has no internet beyond package
# registries); needs root or sudo.
set -e
java_major() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | cut -d. -f1
}
for j in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null || true)"; do
    if [ -n "$j" ] && [ -x "$j" ] && [ "$(java_major "$j")" -ge 17 ] 2>/dev/null; then exit 0; fi
done
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Java 17+ is not installed and this user cannot install it: run 'apt-get install -y openjdk-17-jre-headless' as root" >&2
    exit 1
fi
echo "Installing Debian's openjdk-17-jre-headless for the Spark tests..."
export DEBIAN_FRONTEND=noninteractive
install() { $SUDO apt-get install -y --no-install-recommends "$1" >/dev/null 2>&1; }
# (a Debian release without Java 17 has 21, which Spark 4 also runs on)
install openjdk-17-jre-headless || { $SUDO apt-get update >/dev/null && {
    install openjdk-17-jre-headless || install openjdk-21-jre-headless; }; } || {
    echo "Could not install openjdk-17-jre-headless (or -21-) with apt-get: install a Java 17+ runtime" >&2
    exit 1
}
java -version 2>&1 | head -1
