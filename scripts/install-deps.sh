#!/usr/bin/env bash
# Install everything fraudscan needs to build, test and benchmark on Debian 12.
# Idempotent; run as root (or with sudo available).
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config git
  libre2-dev libicu-dev libboost-program-options-dev libfmt-dev doctest-dev
  libyaml-dev darts libsimdjson-dev nlohmann-json3-dev libmimalloc-dev libxxhash-dev
  $( [ "$(dpkg --print-architecture)" = amd64 ] && echo libhyperscan-dev )
  python3 ripgrep grep time
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
