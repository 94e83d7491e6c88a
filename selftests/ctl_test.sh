#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kestrel controller against the loaded module: what a user sees.
set -u
dir=$(cd "$(dirname "$0")/.." && pwd)
kestrel=$dir/ctl/kestrel
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { # check NAME COMMAND...: passes when COMMAND succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

expected=${KESTREL_EXPECT_BACKEND:-}
if [ -z "$expected" ]; then
	expected=none
	if grep -qw svm /proc/cpuinfo && grep -qw npt /proc/cpuinfo; then
		expected=svm
	elif grep -qw vmx /proc/cpuinfo && grep -qw ept /proc/cpuinfo &&
	     grep -qw unrestricted_guest /proc/cpuinfo; then
		expected=vmx
	fi
fi

echo "TAP version 13"
echo "1..9"

out=$("$kestrel" version 2>&1)
check "version names the running hypervisor and backend" \
	grep -q "^Running hypervisor: Kestrel [0-9.]* ($expected)\$" <<EOT
$out
EOT

out=$("$kestrel" nodeinfo 2>&1)
cpus=$(grep -c '^processor' /proc/cpuinfo)
check "nodeinfo reports the online CPUs" \
	grep -q "^CPU(s): *$cpus\$" <<EOT
$out
EOT
mem=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
check "nodeinfo reports the memory size in KiB" \
	grep -q "^Memory size: *$mem KiB\$" <<EOT
$out
EOT
check "nodeinfo uses virsh's column layout" \
	grep -q '^CPU model:           x86_64$' <<EOT
$out
EOT

caps=$("$kestrel" capabilities 2>&1)
check "capabilities names the backend" \
	grep -q "<kestrel .*backend='$expected'" <<EOT
$caps
EOT
case $expected in
svm) feat="<feature name='npt'/>" ;;
vmx) feat="<feature name='ept'/>" ;;
*) feat="" ;;
esac
if [ -n "$feat" ]; then
	check "capabilities lists the $expected features" \
		grep -q "$feat" <<EOT
$caps
EOT
else
	check "capabilities lists no backend feature without a backend" \
		sh -c "! grep -q \"<feature name='\\(svm\\|vmx\\|npt\\|ept\\)'/>\"" <<EOT
$caps
EOT
fi
if command -v xmllint >/dev/null 2>&1; then
	check "capabilities is well-formed XML" \
		sh -c 'xmllint --noout - 2>/dev/null' <<EOT
$caps
EOT
else
	skip "capabilities is well-formed XML: xmllint is not installed here"
fi

if "$kestrel" bogus >/dev/null 2>&1; then
	not_ok "an unknown command fails"
else
	ok "an unknown command fails"
fi
err=$("$kestrel" nodeinfo --bogus 2>&1)
check "an unknown option gets virsh's wording" \
	grep -q "^error: command 'nodeinfo' doesn't support option --bogus\$" <<EOT
$err
EOT

[ $fails -eq 0 ]
