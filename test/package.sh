#!/usr/bin/env bash
# The Debian package, end to end, as root on a Debian 12 machine (.ci/run
# calls it after `make test`):
#   1. installs the build dependencies (Debian's packages only),
#   2. builds postgresql-15-sms-api with `dpkg-buildpackage -us -uc -b` from
#      a clean `git archive` export of HEAD,
#   3. installs the .deb with apt,
#   4. runs test/package_smoke.py: a throwaway cluster of the system's
#      PostgreSQL, as the postgres OS user, with shared_preload_libraries =
#      sms_api from the package; CREATE EXTENSION, one sms_send to the
#      simulator, the worker running,
#   5. removes the package and checks its files went with it.
# Prints what it checks; exits non-zero at the first failure. Installing
# and removing the package replaces the system's copy of sms_api (a `make
# install` one included): reinstall it afterwards if something needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
pkg=postgresql-15-sms-api

if [ "$(id -u)" -ne 0 ]; then
  echo "test/package.sh: run as root (it installs and removes packages)" >&2
  exit 1
fi

say() { echo "ok     $*"; }
fail() { echo "FAILED $*" >&2; exit 1; }

deps=(build-essential dpkg-dev debhelper postgresql-server-dev-all postgresql-15
      libcurl4-openssl-dev libjson-c-dev openssl python3 git)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
fi
say "build dependencies installed"

version=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ "${changelog%-*}" = "$version" ] || fail "debian/changelog is at $changelog, the Makefile at $version"
say "debian/changelog at $changelog, the Makefile's $version"

work=$(mktemp -d /tmp/sms_api_package.XXXXXX)
installed=no
cleanup() {
  if [ "$installed" = yes ]; then
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$pkg" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

git archive --format=tar --prefix=sms-api/ HEAD | tar -x -C "$work"
( cd "$work/sms-api" && DEB_BUILD_OPTIONS=parallel=2 nice dpkg-buildpackage -us -uc -b ) \
  > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "dpkg-buildpackage (log above)"; }
deb=$(ls "$work"/${pkg}_"$version"-*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "dpkg-buildpackage made no ${pkg}_$version-*.deb: $(ls "$work")"
say "built $(basename "$deb") from git archive HEAD"

libdir=$(pg_config --pkglibdir) sharedir=$(pg_config --sharedir)/extension
contents=$(dpkg-deb -c "$deb")
for f in "$libdir/sms_api.so" "$sharedir/sms_api.control" "$sharedir/sms_api--0.1.0.control" \
         "$sharedir/sms_api--$version.sql" "$sharedir/sms_api--0.1.0.sql" \
         "$sharedir/sms_api--0.1.0--$version.sql" \
         "/usr/share/doc/$pkg/README.md.gz" "/usr/share/doc/$pkg/SIMULATOR.md.gz"; do
  grep -q " \.$f\$" <<<"$contents" || fail "the package has no $f"
done
say "the package holds the library, the control files, the SQL scripts and the docs"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" > "$work/apt.log" 2>&1 \
  || { cat "$work/apt.log"; fail "apt-get install $deb"; }
installed=yes
owner=$(dpkg -S "$libdir/sms_api.so" | cut -d: -f1)
[ "$owner" = "$pkg" ] || fail "$libdir/sms_api.so belongs to ${owner:-no package}"
say "apt installed $pkg; $libdir/sms_api.so is its"

chmod 755 "$work"
python3 test/package_smoke.py || fail "the smoke test of the installed package"

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$pkg" > "$work/apt.log" 2>&1 \
  || { cat "$work/apt.log"; fail "apt-get remove $pkg"; }
installed=no
for f in "$libdir/sms_api.so" "$sharedir/sms_api.control"; do
  [ ! -e "$f" ] || fail "$f is still there after removing $pkg"
done
say "removed $pkg, and its files with it"
echo "test/package.sh: all checks passed"
