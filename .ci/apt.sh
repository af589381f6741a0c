#!/usr/bin/env bash
# Shared by .ci/install-browser.sh and .ci/install-services.sh, which source it:
# the "already installed?" check and the root/sudo + apt-get steps they have in
# common. Each function's first argument is the caller's name for its messages.

# already_present NAME BIN...: true (and says so) when every BIN is executable.
already_present() {
  local name="$1"
  shift
  local bin
  for bin in "$@"; do
    [[ -x "$bin" ]] || return 1
  done
  echo "$name: $* already present, skipping apt"
}

# need_root NAME WHAT: sets SUDO to the prefix that runs a command as root (empty
# when already root), or exits saying that root (or sudo) is needed for WHAT.
need_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "$1: need root (or sudo) to apt-get install $2" >&2
    exit 1
  fi
}

# apt_update NAME PACKAGE...: announces the install and refreshes the package lists.
apt_update() {
  local name="$1"
  shift
  echo "$name: installing $* with apt"
  "${SUDO[@]}" apt-get update -q
}

# apt_install PACKAGE...: installs the packages, non-interactively, without recommends.
apt_install() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@"
}
