#!/usr/bin/env bash
# Installs nginx and redis-server from Debian's packages for the operations tests
# (tests/fleet/, tests/redis_revocation.rs). CI calls this before `cargo test`; a
# developer may run it by hand. It is idempotent: when both binaries already exist it
# does nothing.
#
# The tests start their own instances (ephemeral loopback ports, files in a temporary
# directory, no persistence) and kill them at the end, so no system service is wanted:
# a temporary policy-rc.d (the Debian mechanism for this) keeps the packages'
# post-install scripts from starting nginx or redis-server.
#
# Overrides (the tests honour the same variables):
#   NGINX         path of the nginx binary         (default /usr/sbin/nginx)
#   REDIS_SERVER  path of the redis-server binary  (default /usr/bin/redis-server)
set -euo pipefail

NGINX="${NGINX:-/usr/sbin/nginx}"
REDIS_SERVER="${REDIS_SERVER:-/usr/bin/redis-server}"

source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

if ! already_present install-services "$NGINX" "$REDIS_SERVER"; then
  need_root install-services "nginx and redis-server"
  apt_update install-services nginx redis-server
  # policy-rc.d exit 101 keeps the packages' post-install scripts from starting
  # the system services on hosts that have an init system; removed afterwards.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod +x "$policy"
    created_policy=1
  fi
  status=0
  apt_install nginx redis-server || status=$?
  if [[ "$created_policy" -eq 1 ]]; then
    "${SUDO[@]}" rm -f "$policy"
  fi
  if [[ "$status" -ne 0 ]]; then
    exit "$status"
  fi
fi

# Versions for the CI log; a version print never fails the job by itself.
"$NGINX" -v 2>&1 || true
"$REDIS_SERVER" --version || true
