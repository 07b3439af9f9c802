#!/bin/sh
# The SPDX project's own validator (tools-python's pyspdxtools), which the SBOM tests run over
# every SPDX document jinspect writes: no npm package ships SPDX 2.3's official schema, and
# this validator checks a document against the specification (its JSON format, the license
# and exception lists, purls, relationships). Debian packages it from forky/sid on; on an
# older release its two missing packages come from sid through apt (their signatures checked
# against the Debian archive keyring), with a private list state so that the host's sources
# stay as they are; their other dependencies come from the host's own release.
set -eu
[ -x /usr/bin/pyspdxtools ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "setup: missing python3-spdx-tools (run as root to install it)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 # the host's own lists: its dependencies come from there
has_candidate() { apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; }
if has_candidate python3-spdx-tools; then
  apt-get install -y -qq --no-install-recommends python3-spdx-tools >&2
  exit 0
fi
echo "setup: installing python3-spdx-tools from Debian sid" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sources" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
cat >"$work/sources/sid.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources" \
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root
apt-get "$@" update -qq >&2
wanted=python3-spdx-tools
has_candidate python3-beartype || wanted="$wanted python3-beartype"
# shellcheck disable=SC2086
(cd "$work/debs" && apt-get "$@" download $wanted >&2)
apt-get install -y -qq --no-install-recommends "$work"/debs/*.deb >&2
