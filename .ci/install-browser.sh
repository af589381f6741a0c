#!/usr/bin/env bash
# Installs headless Chromium and a matching chromedriver from Debian's packages so the
# browser tests (tests/browser/) can run, with `openssl` and `certutil` for the DBSC test.
# CI calls this before `cargo test`; a developer may run it by hand. It is idempotent: when
# the binaries already exist it does nothing.
#
# Debian's `chromium` and `chromium-driver` are built from the same source package, so
# their versions always match; that is why we take both from apt rather than from any
# download site (and this machine can reach only the package registries anyway).
#
# Overrides (the test harness honours the same variables):
#   CHROMIUM      path of the chromium binary      (default /usr/bin/chromium)
#   CHROMEDRIVER  path of the chromedriver binary  (default /usr/bin/chromedriver)
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

if ! already_present install-browser "$CHROMIUM" "$CHROMEDRIVER"; then
  need_root install-browser chromium
  apt_update install-browser chromium chromium-driver
  apt_install chromium chromium-driver
fi

# tests/browser/dbsc.rs (device-bound sessions) serves HTTPS: it makes a certificate with
# `openssl` and trusts it through an NSS database made with `certutil` (libnss3-tools), in a
# HOME of its own, since Chromium registers DBSC sessions only over HTTPS it trusts.
if ! already_present install-browser /usr/bin/openssl /usr/bin/certutil; then
  need_root install-browser "openssl libnss3-tools"
  apt_update install-browser openssl libnss3-tools
  apt_install openssl libnss3-tools
fi

# Print versions for the CI log. `|| true`: a version print must never fail the job by itself;
# the tests report a broken browser far more clearly. The Debian launcher script can print a
# harmless "[: ...: unexpected operator" line from its /dev/shm check; silence stderr here.
"$CHROMIUM" --version 2>/dev/null || true
"$CHROMEDRIVER" --version 2>/dev/null || true
