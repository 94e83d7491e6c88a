#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Kestrel's canonical domain XML is libvirt's: every expected output in
# lib/tests/xml/canonical/ validates against libvirt's own domain schema
# (tools/xml-validate).  lib/tests/domxml_test asserts that formatting each
# example of lib/tests/xml/good/ gives its canonical file byte for byte, so
# together they check that every formatted example is schema-valid.
#
# Skipped, with the reason, when xmllint or libvirt's schema (Debian:
# libxml2-utils, libvirt0) is not installed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
validate=$top/tools/xml-validate
canonical=$top/lib/tests/xml/canonical
schema=${KESTREL_DOMAIN_RNG:-/usr/share/libvirt/schemas/domain.rng}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

skip=
command -v xmllint >/dev/null || skip="xmllint is not installed (libxml2-utils)"
[ -n "$skip" ] || [ -r "$schema" ] || skip="libvirt's schema $schema is not installed (libvirt0)"

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n $1"
	[ -s "$tmp/out" ] && sed 's/^/#   /' "$tmp/out"
}

# check NAME COMMAND...: one test, passing when COMMAND succeeds.
check() {
	name=$1
	shift
	if [ -n "$skip" ]; then
		n=$((n + 1))
		echo "ok $n # SKIP $name: $skip"
	elif "$@" >"$tmp/out" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
	fi
}

# The validator must catch what the schema rejects, and need its
# type='kestrel' substitution (libvirt's schema has no such type).
catches_invalid() {
	sed 's|</devices>|  <bogus/>\n  </devices>|' "$canonical/full.xml" >"$tmp/invalid.xml"
	"$validate" "$tmp/invalid.xml"
	[ $? -eq 1 ]
}

plain_schema_rejects_kestrel() {
	! xmllint --noout --relaxng "$schema" "$canonical/full.xml"
}

# It validates a copy: the file keeps its type and its bytes.
leaves_file_alone() {
	cp "$canonical/full.xml" "$tmp/same.xml"
	"$validate" "$tmp/same.xml" &&
	cmp "$canonical/full.xml" "$tmp/same.xml" &&
	grep -q "^<domain type='kestrel'>$" "$tmp/same.xml"
}

files=$(cd "$canonical" && ls ./*.xml)
count=$(printf '%s\n' "$files" | wc -l)
echo "TAP version 13"
echo "1..$((count + 3))"
for f in $files; do
	f=${f#./}
	check "canonical/$f validates against libvirt's domain.rng" \
		"$validate" "$canonical/$f"
done
check "xml-validate reports a document the schema rejects" catches_invalid
check "libvirt's schema alone rejects type='kestrel'" plain_schema_rejects_kestrel
check "xml-validate leaves the file (and its type) unchanged" leaves_file_alone
[ $fails -eq 0 ]
