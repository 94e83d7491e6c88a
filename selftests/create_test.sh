#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kestrel create / dumpxml: a Linux kernel starts from domain XML (as far
# as the platform goes today: its early console), dumpxml returns the
# canonical XML, and bad XML or a broken kernel is refused before any
# domain exists.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
kestrel=$top/ctl/kestrel
tmp=${TMPDIR:-/tmp}/kestrel-create.$$
mkdir -p "$tmp"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
domains() { "$kestrel" list --all --name 2>/dev/null | grep -c . ; }

echo "TAP version 13"
echo "1..8"

if ! grep -qw -e svm -e vmx /proc/cpuinfo; then
	for i in 1 2 3 4 5 6 7 8; do skip "no virtualization backend on this CPU"; done
	exit 0
fi
if grep -qw vmx /proc/cpuinfo && ! grep -qw svm /proc/cpuinfo; then
	for i in 1 2 3 4 5 6 7 8; do
		skip "Linux boots take minutes under Bochs: the VMX tier boots Linux once (linux_test.sh); these run on the SVM test host"
	done
	exit 0
fi
kernel=$(readlink -e /vmlinuz 2>/dev/null || ls /boot/vmlinuz-* 2>/dev/null | tail -n 1)
if [ ! -r "$kernel" ]; then
	for i in 1 2 3 4 5 6 7 8; do skip "no kernel image to boot here"; done
	exit 0
fi
sed "s|<kernel>/vmlinuz</kernel>|<kernel>$kernel</kernel>|" \
	"$top/examples/linux.xml" >"$tmp/linux.xml"

before=$(domains)
out=$("$kestrel" create "$tmp/linux.xml" 2>&1)
check "create prints virsh's message" \
	sh -c "printf '%s\n' \"\$0\" | grep -q \"^Domain 'linux' created from $tmp/linux.xml\\\$\"" "$out"
i=0
while [ $i -lt 120 ] && ! "$kestrel" console linux --dump 2>/dev/null | grep -q "Linux version"; do
	sleep 1
	i=$((i + 1))
done
check "the guest kernel prints its banner on the console" \
	sh -c "'$kestrel' console linux --dump | grep -q 'Linux version'"
"$kestrel" dumpxml linux >"$tmp/dump.xml" 2>&1
check "dumpxml returns the canonical XML with a UUID" \
	sh -c "grep -q \"^<domain type='kestrel'>\" '$tmp/dump.xml' && grep -q '<uuid>' '$tmp/dump.xml'"
if command -v xmllint >/dev/null 2>&1 && [ -r /usr/share/libvirt/schemas/domain.rng ]; then
	check "dumpxml output validates against libvirt's domain schema" \
		sh -c "'$top/tools/xml-validate' '$tmp/dump.xml' >/dev/null"
else
	skip "libvirt's schema or xmllint is not installed here"
fi
check "destroy removes it" sh -c "'$kestrel' destroy linux >/dev/null"

printf '<domain type="kestrel"><name>bad</name>\n<memory>65536</memory>\n<bogus/>\n</domain>\n' >"$tmp/bad.xml"
out=$("$kestrel" create "$tmp/bad.xml" 2>&1)
check "unsupported XML is refused with the element and line" \
	sh -c "printf '%s\n' \"\$0\" | grep -q 'bogus.*line 3\|line 3.*bogus'" "$out"

head -c 4096 "$kernel" >"$tmp/truncated"
sed "s|<kernel>[^<]*</kernel>|<kernel>$tmp/truncated</kernel>|" "$tmp/linux.xml" >"$tmp/trunc.xml"
out=$("$kestrel" create "$tmp/trunc.xml" 2>&1)
check "a truncated kernel is refused with a clear error" \
	sh -c "printf '%s\n' \"\$0\" | grep -q 'truncated'" "$out"
check "refused creations leave no domain behind" test "$(domains)" -eq "$before"

rm -rf "$tmp"
[ $fails -eq 0 ]
