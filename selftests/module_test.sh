#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module unloads cleanly and loads again, and nothing the selftests did
# made the kernel complain.  Runs last (selftests/run takes *.sh after the
# binaries, in name order).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
ko=${KESTREL_MODULE:-$top/kmod/kestrel.ko}
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

echo "TAP version 13"
echo "1..6"
# Only what the kernel logged since Kestrel loaded: a test host may boot
# with warnings of its own (Bochs's XSAVE sizes).
check "the kernel logged no warning, bug or oops since Kestrel loaded" \
	sh -c 'dmesg | sed -n "/kestrel: [0-9.]*, backend/,\$p" |
	       grep -E "WARNING: CPU:|BUG:|Oops|general protection|Call Trace" && exit 1 || exit 0'
check "rmmod kestrel succeeds" rmmod kestrel
check "/dev/kestrel is gone after unload" sh -c '! test -e /dev/kestrel'
check "the netlink family is gone after unload" \
	sh -c "'$top/ctl/kestrel' version 2>&1 | grep -q 'module is not loaded'"
check "the module loads again" insmod "$ko"
check "it answers after reloading" "$top/ctl/kestrel" version
[ $fails -eq 0 ]
