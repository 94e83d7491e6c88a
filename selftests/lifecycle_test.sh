#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The persistent domain lifecycle against the loaded module: define,
# list --all, dominfo, dumpxml, domuuid and domstate of a defined domain,
# start, the events, destroy back to "shut off", undefine of a running
# domain, and shutdown, reboot and reset of a started one (which need the
# kernel's DOMAIN_SHUTDOWN and DOMAIN_RESET).  Definitions go to a
# temporary KESTREL_CONFIG_DIR.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
kestrel=$top/ctl/kestrel
tmp=${TMPDIR:-/tmp}/kestrel-lifecycle.$$
mkdir -p "$tmp"
KESTREL_CONFIG_DIR=$tmp/defs
export KESTREL_CONFIG_DIR
dom=lc-linux
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
# has NAME PATTERN: passes when $out has a line matching PATTERN.
has() { check "$1" grep -q -- "$2" <<EOF
$out
EOF
}
# run ARGS...: kestrel's combined output in $out, its status in $rc.
run() { out=$("$kestrel" "$@" 2>&1); rc=$?; }
cleanup() {
	"$kestrel" destroy "$dom" >/dev/null 2>&1
	[ -n "${evpid:-}" ] && kill "$evpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# skip_rest REASON: every remaining test of the plan.
skip_rest() {
	while [ $n -lt $plan ]; do skip "$1"; done
	exit 0
}
plan=35

echo "TAP version 13"
echo "1..$plan"

if ! grep -qw -e svm -e vmx /proc/cpuinfo; then
	skip_rest "no virtualization backend on this CPU"
fi
if grep -qw vmx /proc/cpuinfo && ! grep -qw svm /proc/cpuinfo; then
	skip_rest "Linux boots take minutes under Bochs: the VMX tier boots Linux once (linux_test.sh); these run on the SVM test host"
fi
kernel=$(readlink -e /vmlinuz 2>/dev/null || ls /boot/vmlinuz-* 2>/dev/null | tail -n 1)
if [ ! -r "$kernel" ]; then
	skip_rest "no kernel image to boot here"
fi
sed "s|<kernel>/vmlinuz</kernel>|<kernel>$kernel</kernel>|; s|<name>linux</name>|<name>$dom</name>|" \
	"$top/examples/linux.xml" >"$tmp/linux.xml"

# ---- a defined domain that is not running ----

run define "$tmp/linux.xml"
has "define prints virsh's message" "^Domain '$dom' defined from $tmp/linux.xml\$"
uuid=$(sed -n 's|^  <uuid>\(.*\)</uuid>$|\1|p' "$KESTREL_CONFIG_DIR/$dom.xml" 2>/dev/null)
run list --all
has "list --all shows the defined domain shut off" "^ -  *$dom  *shut off\$"
run list --inactive --name
has "list --inactive names it" "^$dom\$"
run list --name
check "list (active only) does not" test -z "$(printf '%s\n' "$out" | grep -x "$dom")"
run dominfo "$dom"
check "dominfo of the inactive domain: no Id, shut off, persistent" \
	sh -c 'printf "%s\n" "$1" | grep -q "^Id: *-\$" &&
	       printf "%s\n" "$1" | grep -q "^State: *shut off\$" &&
	       printf "%s\n" "$1" | grep -q "^Persistent: *yes\$" &&
	       printf "%s\n" "$1" | grep -q "^UUID: *$2\$"' sh "$out" "$uuid"
"$kestrel" dumpxml "$dom" >"$tmp/dump.xml" 2>&1
check "dumpxml of the inactive domain is its definition" \
	cmp -s "$tmp/dump.xml" "$KESTREL_CONFIG_DIR/$dom.xml"
run domuuid "$dom"
check "domuuid of the inactive domain" test "$out" = "$uuid"
run domstate "$dom" --reason
check "domstate of the inactive domain" test "$out" = "shut off (unknown)"
run destroy "$dom"
check "destroy of an inactive domain: not running" \
	sh -c 'test $0 -eq 1 && printf "%s\n" "$1" |
	       grep -q "^error: Requested operation is not valid: domain is not running\$"' "$rc" "$out"
run event "$dom" --all --timeout 1
check "event with nothing happening times out as virsh does (exit 1)" \
	sh -c 'test $0 -eq 1 && printf "%s\n" "$1" | grep -q "^event loop timed out\$" &&
	       printf "%s\n" "$1" | grep -q "^events received: 0\$"' "$rc" "$out"

# ---- start ----

"$kestrel" event "$dom" --event lifecycle --loop --timeout 60 >"$tmp/events" 2>&1 &
evpid=$!
sleep 1	# let it subscribe
run start "$dom"
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -qi 'attribute'; then
	kill "$evpid" 2>/dev/null
	evpid=
	skip_rest "kernel lacks the lifecycle attributes of DOMAIN_CREATE/START: $(printf '%s' "$out" | tail -n 1)"
fi
has "start prints virsh's message" "^Domain '$dom' started\$"
run list
has "the started domain is listed with an Id" "^ [0-9][0-9]*  *$dom  *\(running\|idle\)\$"
run dominfo "$dom"
has "dominfo of the running domain says persistent" '^Persistent: *yes$'
run start "$dom"
check "starting it again: already running" \
	sh -c 'test $0 -eq 1 && printf "%s\n" "$1" |
	       grep -q "^error: Requested operation is not valid: domain is already running\$"' "$rc" "$out"
i=0
while [ $i -lt 120 ] && ! "$kestrel" console "$dom" --dump 2>/dev/null | grep -q "Linux version"; do
	sleep 1
	i=$((i + 1))
done
check "the defined kernel boots" \
	sh -c "'$kestrel' console '$dom' --dump | grep -q 'Linux version'"
i=0
while [ $i -lt 10 ] && ! grep -q "Started Booted" "$tmp/events"; do sleep 1; i=$((i + 1)); done
check "event --loop saw virsh's 'Started Booted' line" \
	grep -q "^event 'lifecycle' for domain '$dom': Started Booted\$" "$tmp/events"

# ---- shutdown, reboot, reset: the kernel's DOMAIN_SHUTDOWN and _RESET ----

run shutdown "$dom"
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'does not support DOMAIN_SHUTDOWN'; then
	skipped_power="kernel lacks DOMAIN_SHUTDOWN (EOPNOTSUPP)"
	for i in 1 2 3 4 5 6; do skip "$skipped_power"; done
else
	has "shutdown returns at once with virsh's message" "^Domain '$dom' is being shutdown\$"
	run shutdown "$dom" --wait --timeout 3
	state=$("$kestrel" domstate "$dom" 2>/dev/null || echo gone)
	# Whether the guest heeds the button is its business; what --wait
	# says must be true either way.
	if [ $rc -eq 0 ]; then
		check "shutdown --wait returned: the domain is shut off" \
			sh -c 'test "$0" = gone || test "$0" = "shut off"' "$state"
	else
		check "shutdown --wait timed out: said so, domain left running" \
			sh -c 'printf "%s\n" "$1" | grep -q "^error: Timed out waiting for domain '"'$dom'"' to shut down\$" &&
			       test "$0" != gone && test "$0" != "shut off"' "$state" "$out"
	fi
	if [ "$state" = gone ] || [ "$state" = "shut off" ]; then
		"$kestrel" destroy "$dom" >/dev/null 2>&1
		"$kestrel" start "$dom" >/dev/null 2>&1
	fi
	run reboot "$dom"
	has "reboot prints virsh's message" "^Domain '$dom' is being rebooted\$"
	"$kestrel" event "$dom" --event reboot --timeout 30 >"$tmp/reboot" 2>&1 &
	rbpid=$!
	sleep 1
	run reset "$dom"
	has "reset prints virsh's message" "^Domain '$dom' was reset\$"
	wait "$rbpid"
	check "reset emits the reboot event, as libvirt's does" \
		grep -q "^event 'reboot' for domain '$dom'\$" "$tmp/reboot"
	run domstate "$dom"
	check "the reset domain runs" sh -c 'test "$0" = running || test "$0" = idle' "$out"
fi

# ---- destroy keeps the definition; undefine of a running domain ----

"$kestrel" event "$dom" --event lifecycle --timeout 30 >"$tmp/one" 2>&1 &
onepid=$!
sleep 1
run destroy "$dom"
has "destroy prints virsh's message" "^Domain '$dom' destroyed\$"
wait "$onepid"
onerc=$?
check "event without --loop: the first event, then its count" \
	sh -c 'test $0 -eq 0 && test "$(cat "$1")" = "event '"'lifecycle'"' for domain '"'$dom'"': Stopped Destroyed
events received: 1"' "$onerc" "$tmp/one"
run list --all
has "the destroyed persistent domain is shut off again" "^ -  *$dom  *shut off\$"
kill "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null
evpid=
check "event --loop kept going: Started, then Stopped Destroyed" \
	sh -c 'grep -q "Started Booted" "$0" && grep -q "Stopped Destroyed" "$0"' "$tmp/events"

run start "$dom" --paused
state=$("$kestrel" domstate "$dom" 2>&1)
check "a destroyed persistent domain starts again, --paused" \
	sh -c 'printf "%s\n" "$0" | grep -q "^Domain '"'$dom'"' started\$" && test "$1" = paused' "$out" "$state"
run undefine "$dom"
has "undefine of a running domain" "^Domain '$dom' has been undefined\$"
run dominfo "$dom"
check "it keeps running, transient" \
	sh -c 'printf "%s\n" "$0" | grep -q "^Persistent: *no\$" &&
	       ! printf "%s\n" "$0" | grep -q "^State: *shut off\$"' "$out"
run undefine "$dom"
has "undefine of a transient domain is refused as libvirt does" \
	'^error: Requested operation is not valid: cannot undefine transient domain$'
"$kestrel" destroy "$dom" >/dev/null 2>&1
run list --all --name
check "destroyed and undefined: gone" test -z "$(printf '%s\n' "$out" | grep -x "$dom")"

# ---- <cputune><vcpupin>: the vCPU thread's affinity ----

last=$(($(getconf _NPROCESSORS_ONLN) - 1))
sed "s|<vcpu>1</vcpu>|<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='$last'/></cputune>|" \
	"$tmp/linux.xml" >"$tmp/pinned.xml"
run create "$tmp/pinned.xml" --paused
id=$("$kestrel" domid "$dom" 2>/dev/null)
pid=$(grep -lx "kestrel/$id:0" /proc/[0-9]*/comm 2>/dev/null | head -n 1 | cut -d/ -f3)
allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/${pid:-0}/status" 2>/dev/null)
check "vcpupin sets the vCPU thread's affinity (CPU $last)" test "$allowed" = "$last"
"$kestrel" destroy "$dom" >/dev/null 2>&1

# ---- the boot image keeps the kernel file, not a copy ----
# A reset re-reads the kernel from the file the domain started with; once
# that file changed it refuses, and the domain runs on untouched.

cp "$kernel" "$tmp/vmlinuz"
sed "s|<kernel>$kernel</kernel>|<kernel>$tmp/vmlinuz</kernel>|" "$tmp/linux.xml" >"$tmp/copy.xml"
run create "$tmp/copy.xml"
i=0
while [ $i -lt 120 ] && ! "$kestrel" console "$dom" --dump 2>/dev/null | grep -q "Linux version"; do
	sleep 1
	i=$((i + 1))
done
run reset "$dom"
i=0
while [ $i -lt 120 ] && [ "$("$kestrel" console "$dom" --dump 2>/dev/null | grep -c "Linux version")" -lt 2 ]; do
	sleep 1
	i=$((i + 1))
done
check "reset boots the kernel again from its file (a second 'Linux version')" \
	test "$("$kestrel" console "$dom" --dump 2>/dev/null | grep -c "Linux version")" -ge 2
touch -d '2001-01-01' "$tmp/vmlinuz"
run reset "$dom"
check "a reset after the kernel file changed is refused, saying why" \
	sh -c 'test $0 -eq 1 && printf "%s\n" "$1" |
	       grep -q "kernel or initrd file changed since the domain started"' "$rc" "$out"
run domstate "$dom"
check "...and the domain runs on" sh -c 'test "$0" = running || test "$0" = idle' "$out"
"$kestrel" destroy "$dom" >/dev/null 2>&1

[ $fails -eq 0 ]
