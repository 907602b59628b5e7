#!/usr/bin/env bash
# Install the Debian packages that building, testing and the demo need,
# only those missing. Needs root (or sudo) the first time.
set -euo pipefail

pkgs=(build-essential postgresql-15 postgresql-server-dev-15
      libcurl4-openssl-dev libjson-c-dev openssl python3 nodejs npm
      clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
# node and npm may come from outside Debian (e.g. nvm): accept what is on PATH
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ $p == nodejs || $p == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
