#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Linux guests end to end: Debian's kernel with the initramfs of
# tools/mkguest boots from domain XML to userspace ("Kestrel guest: up"),
# on one and two vCPUs, keeps time, powers off, shuts down through ACPI,
# reboots in place, crashes, is destroyed mid-boot, runs beside another;
# malformed XML and broken kernel images are refused before anything is
# created.
#
# Every test writes its XML into a private directory, uses unique names,
# reads the console with `kestrel console NAME --dump` until a marker or a
# timeout (plus an attached `kestrel console NAME` streamed to a file: a
# guest that prints its marker and powers off at once leaves no ring to
# dump, and two boots overflow the 64 KiB ring), and destroys what it
# created (an EXIT trap catches the rest).  Independent boots run in
# parallel, three at a time.
#
# What cannot pass yet is skipped with the reason found at run time: when
# the first (1-vCPU) guest does not reach userspace, every test that needs
# userspace is skipped with where its console stopped; a controller verb
# that `kestrel help` does not list skips the tests that need it.
# KESTREL_EXPECT_LINUX=1 turns those "not there yet" skips into failures.
#
# Environment: KESTREL_LINUX_STALL (s without console output before a boot
# counts as stuck, default 60), KESTREL_LINUX_TIMEOUT (s to reach userspace,
# default 240), KESTREL_LINUX_KERNEL (kernel image, default /vmlinuz),
# KESTREL_LINUX_CTL (a stand-in controller, to test this script itself).
# The initramfs is build/guest/initrd.img (tools/mkguest, `make guest`);
# if it is missing or stale the script builds it, slowly under TCG.
# shellcheck disable=SC2154 # (the test slots s_* are assigned by slot())
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
kestrel=${KESTREL_LINUX_CTL:-$top/ctl/kestrel}
corpus=$top/selftests/data/bad-xml
tmp=${TMPDIR:-/tmp}/kestrel-linux.$$
mkdir -p "$tmp/res"
tag=lt$$
stall=${KESTREL_LINUX_STALL:-60}
limit=${KESTREL_LINUX_TIMEOUT:-240}
strict=${KESTREL_EXPECT_LINUX:-0}
why=
marker='Kestrel guest: up'
t0=$(date +%s)

# ---- TAP: results are files, printed in order at the end -------------
#
# A test is a slot number; scenarios running in the background write
# "ok DESC", "not ok DESC" or "skip REASON" into $tmp/res/SLOT.

ntests=0
fails=0
slot() { ntests=$((ntests + 1)); eval "$1=$ntests"; }
res() { printf '%s\n' "$2" >"$tmp/res/$1"; }
pass() { res "$1" "ok $2"; }
fail() { res "$1" "not ok $2"; }
skip() { res "$1" "skip $2"; }
# Not there yet: a skip, or a failure under KESTREL_EXPECT_LINUX=1.
gap() {
	if [ "$strict" = 1 ]; then res "$1" "not ok $2 # $3"; else res "$1" "skip $3"; fi
}
verdict() { # SLOT DESC COMMAND...: pass or fail on the command's status
	_s=$1 _d=$2
	shift 2
	if "$@"; then pass "$_s" "$_d"; else fail "$_s" "$_d"; fi
}
note() { echo "# $*"; }
phase() { echo "# $(($(date +%s) - t0)) s: $*" >>"$tmp/notes"; }

# ---- helpers -----------------------------------------------------------

created="$tmp/created"
: >"$created"

cleanup() {
	for d in $(cat "$created" 2>/dev/null); do
		"$kestrel" destroy "$d" >/dev/null 2>&1
	done
	for p in $(cat "$tmp"/pid.* 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

has_verb() { "$kestrel" help 2>/dev/null | grep -qE "^[[:space:]]+$1[[:space:]]"; }
has_opt() { "$kestrel" help "$1" 2>/dev/null | grep -q -- "--$2"; }
exists() { "$kestrel" domstate "$1" >/dev/null 2>&1; }
listed() { "$kestrel" list --all --name 2>/dev/null | grep -qx "$1"; }
gone() { ! exists "$1" && ! listed "$1"; }
state() { "$kestrel" domstate "$1" 2>/dev/null | head -n 1; }
# Running, or blocked in HLT (virsh's "idle").
running() { case $(state "$1") in running | idle | blocked) return 0 ;; esac; return 1; }
domains() { "$kestrel" list --all --name 2>/dev/null | grep -c .; }
dump() { "$kestrel" console "$1" --dump 2>/dev/null | tr -d '\r'; }

# The last non-blank console line (quoted, at most 100 characters) of
# FILE, or of the console stream next to it when that has more.
last_line() {
	_f=$1
	_st=${1%.con}.stream
	[ "$(wc -c <"$_st" 2>/dev/null || echo 0)" -gt "$(wc -c <"$_f" 2>/dev/null || echo 0)" ] && _f=$_st
	_l=$(tr -d '\r' <"$_f" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-100 | tr -d "'")
	printf "'%s'" "$_l"
}
# seen NAME PATTERN: how often PATTERN is in the console (dump or stream).
seen() {
	_a=$(grep -cF "$2" "$tmp/$1.con" 2>/dev/null) || _a=0
	_b=$(grep -cF "$2" "$tmp/$1.stream" 2>/dev/null) || _b=0
	[ "$_a" -gt "$_b" ] && echo "$_a" || echo "$_b"
}

# xml NAME VCPUS MODE [MiB] [on_poweroff] [on_reboot] [on_crash] [extra cmdline]
xml() {
	cat >"$tmp/$1.xml" <<EOF
<domain type='kestrel'>
  <name>$1</name>
  <memory unit='MiB'>${4:-256}</memory>
  <vcpu>$2</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 kestrel.test=$3${8:+ $8}</cmdline>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>${5:-destroy}</on_poweroff>
  <on_reboot>${6:-restart}</on_reboot>
  <on_crash>${7:-destroy}</on_crash>
  <devices>
    <console type='pty'/>
  </devices>
</domain>
EOF
	echo "$tmp/$1.xml"
}

# create NAME: kestrel create its XML; remembered for the cleanup.  A
# console session follows it into $tmp/NAME.stream until the domain is
# gone: a guest that prints its marker and powers off at once leaves no
# ring to dump, and two boots may not fit in the ring.
create() {
	echo "$1" >>"$created"
	"$kestrel" create "$tmp/$1.xml" >"$tmp/$1.create" 2>&1 || return
	# Its stdin is a fifo held open by a sleep: EOF would end the session.
	mkfifo "$tmp/$1.in"
	sleep 100000 >"$tmp/$1.in" &
	echo $! >"$tmp/pid.in.$1"
	"$kestrel" console "$1" <"$tmp/$1.in" >"$tmp/$1.stream" 2>&1 &
	echo $! >"$tmp/pid.con.$1"
}

# wait_for NAME PATTERN [COUNT [TIMEOUT]]: poll the console until PATTERN
# (fixed string) has been printed COUNT times (default 1).  The console is
# kept in $tmp/NAME.con.  Returns 0 when seen; 2 the domain is gone; 3 no
# console output for $stall s; 4 crashed; 1 timed out.  Sets $why.
wait_for() {
	_n=$1 _p=$2 _c=${3:-1} _t=${4:-$limit}
	_start=$(date +%s) _size=-1 _still=$_start
	while :; do
		if exists "$_n"; then
			dump "$_n" >"$tmp/$_n.con.new" && mv "$tmp/$_n.con.new" "$tmp/$_n.con"
		fi
		[ "$(seen "$_n" "$_p")" -ge "$_c" ] && return 0
		_now=$(date +%s)
		if ! exists "$_n"; then
			# The console session may still be writing the end.
			_j=0
			while [ $_j -lt 20 ] && kill -0 "$(cat "$tmp/pid.con.$_n" 2>/dev/null)" 2>/dev/null; do
				sleep 0.1
				_j=$((_j + 1))
			done
			[ "$(seen "$_n" "$_p")" -ge "$_c" ] && return 0
			# The module logs why a domain crashed (on_crash destroy).
			_k=$(dmesg 2>/dev/null | grep -F "($_n)" | tail -n 1 | sed 's/^\[[^]]*\] //' | tr -d "'")
			why="the domain went away after $((_now - _start)) s, before '$_p' (console ends: $(last_line "$tmp/$_n.con")${_k:+; kernel log: '$_k'})"
			return 2
		fi
		if [ "$(state "$_n")" = crashed ]; then
			# A guest that crashes right after its marker (kestrel.test=crash)
			# may have printed it since the dump above.
			sleep 1
			dump "$_n" >"$tmp/$_n.con.new" && mv "$tmp/$_n.con.new" "$tmp/$_n.con"
			[ "$(seen "$_n" "$_p")" -ge "$_c" ] && return 0
			why="the domain crashed after $((_now - _start)) s, before '$_p' (console ends: $(last_line "$tmp/$_n.con"))"
			return 4
		fi
		_sz=$(cat "$tmp/$_n.con" "$tmp/$_n.stream" 2>/dev/null | wc -c)
		if [ "$_sz" != "$_size" ]; then _size=$_sz _still=$_now; fi
		if [ $((_now - _still)) -ge "$stall" ]; then
			_panic=$(cat "$tmp/$_n.con" "$tmp/$_n.stream" 2>/dev/null | grep -m1 'Kernel panic' | cut -c1-100 | tr -d "'\r")
			why="no '$_p' and no console output for $stall s (after $((_now - _start)) s; ${_panic:+it panicked: '$_panic'; }console ends: $(last_line "$tmp/$_n.con"))"
			return 3
		fi
		if [ $((_now - _start)) -ge "$_t" ]; then
			why="no '$_p' after $_t s (console ends: $(last_line "$tmp/$_n.con"))"
			return 1
		fi
		sleep 1
	done
}

# boot NAME: wait for userspace; on failure $why says what happened and
# the status tells a stall/timeout (1, 3: not there yet) from a failure.
# On the SVM test host a guest that crashes before userspace boots once
# more: QEMU's emulated SVM crashes guests (kvm_amd's too) when vCPUs of
# several domains take turns on its CPUs (README, "Known problem"), and
# these scenarios run in parallel.  The retry is noted in the output.
boot() {
	_try=1
	while :; do
		if ! create "$1"; then
			why="kestrel create failed: $(tr '\n' ' ' <"$tmp/$1.create")"
			return 5
		fi
		wait_for "$1" "$marker"
		_st=$?
		case $_st in 2 | 4) ;; *) return $_st ;; esac
		if [ $_try -ge 2 ] || [ "$bochs" = 1 ]; then
			return $_st
		fi
		note "$1 crashed before userspace, booting it once more: $why" >>"$tmp/notes"
		destroy "$1"
		# The first try's console session and its fifo go with it.
		kill "$(cat "$tmp/pid.in.$1")" "$(cat "$tmp/pid.con.$1")" 2>/dev/null
		rm -f "$tmp/$1.in" "$tmp/pid.in.$1" "$tmp/pid.con.$1"
		_try=2
	done
}

# boot_verdict SLOT DESC STATUS: userspace reached, a gap, or a failure.
boot_verdict() {
	case $3 in
	0) pass "$1" "$2" ;;
	1 | 3) gap "$1" "$2" "the guest did not reach userspace: $why" ;;
	*) fail "$1" "$2 # $why" ;;
	esac
}

destroy() { "$kestrel" destroy "$1" >/dev/null 2>&1; }

# event_start NAME SECONDS: `kestrel event --loop` into $tmp/NAME.ev.
event_start() {
	_a=
	has_opt event all && _a=--all
	# shellcheck disable=SC2086
	"$kestrel" event $_a --loop --timeout "$2" >"$tmp/$1.ev" 2>&1 &
	echo $! >"$tmp/pid.ev.$1"
	sleep 1
}
event_stop() {
	kill "$(cat "$tmp/pid.ev.$1")" 2>/dev/null
	wait "$(cat "$tmp/pid.ev.$1")" 2>/dev/null
	rm -f "$tmp/pid.ev.$1"
}

# ---- the plan ----------------------------------------------------------

for f in "$corpus"/*.xml; do
	[ -e "$f" ] || continue
	slot s_xml
done
slot s_img_trunc
slot s_img_magic
slot s_img_big
slot s_img_initrd
slot s_img_none
slot s_boot1
slot s_cpus1
slot s_poweroff
slot s_poweroff_ev
slot s_boot2
slot s_cpus2
slot s_tsc2
slot s_clock
slot s_shutdown
slot s_shutdown_ignore
slot s_reboot
slot s_reboot_ev
slot s_crash_destroy
slot s_crash_preserve
slot s_midboot
slot s_dupname
slot s_after_midboot
slot s_two

finish() {
	echo "TAP version 13"
	echo "1..$ntests"
	i=1
	while [ $i -le "$ntests" ]; do
		r=$(cat "$tmp/res/$i" 2>/dev/null || echo "not ok (no result recorded)")
		case $r in
		"ok "*) echo "ok $i ${r#ok }" ;;
		"not ok "*) echo "not ok $i ${r#not ok }"; fails=$((fails + 1)) ;;
		"skip "*) echo "ok $i # SKIP ${r#skip }" ;;
		esac
		i=$((i + 1))
	done
	cat "$tmp/notes" 2>/dev/null
	echo "# linux_test took $(($(date +%s) - t0)) s"
	[ $fails -eq 0 ]
	exit
}

skip_all() {
	i=1
	while [ $i -le "$ntests" ]; do skip $i "$1"; i=$((i + 1)); done
	finish
}

if [ -z "${KESTREL_LINUX_CTL:-}" ] && ! grep -qw -e svm -e vmx /proc/cpuinfo; then
	skip_all "no virtualization backend on this CPU"
fi
# In make check the VMX test host (Bochs) boots no Linux guest: it did
# not fit in the tier's time (docs/testhost.md).  KESTREL_LINUX_VMX=1 runs
# this harness's one-boot subset anyway.
if grep -qw vmx /proc/cpuinfo && ! grep -qw svm /proc/cpuinfo &&
	[ "${KESTREL_LINUX_VMX:-0}" != 1 ]; then
	skip_all "no Linux boot under Bochs in make check: it overran the VMX tier's time (docs/testhost.md; KESTREL_LINUX_VMX=1 runs it)"
fi
if [ -e /vmlinuz ]; then
	kernel=${KESTREL_LINUX_KERNEL:-$(readlink -f /vmlinuz)}
else
	kernel=${KESTREL_LINUX_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | tail -n 1)}
fi
if [ ! -r "$kernel" ]; then
	skip_all "no kernel image to boot here"
fi
[ -x "$kestrel" ] || skip_all "no controller at $kestrel (build it first)"
# The initramfs: tools/mkguest rebuilds it only when its inputs changed
# (in the test host the tree is an overlay, so this works there too).
# (tools/mkinitramfs uses bash's process substitution, which needs /dev/fd;
# the svm test host's devtmpfs has no such link.)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd 2>/dev/null
initrd=$top/build/guest/initrd.img
if ! initrd=$("$top/tools/mkguest" --kernel "$kernel" 2>"$tmp/mkguest.err") &&
	! initrd=$("$top/tools/mkguest" --kernel "$kernel" --out "$tmp/guest" 2>>"$tmp/mkguest.err"); then
	# The VMX test host (an initramfs) carries the image make check built
	# but not the modules and busybox it is made of.
	initrd=$top/build/guest/initrd.img
	[ -s "$initrd" ] ||
		skip_all "cannot build the guest initramfs: $(tail -n 1 "$tmp/mkguest.err")"
fi

# ---- refused before anything is created ------------------------------

phase "initramfs ready: $initrd"
before=$(domains)
# Bochs (the VMX test host) is slow: there, only the first Linux boot runs;
# what the controller refuses does not depend on the backend.
bochs=0
grep -qw vmx /proc/cpuinfo && ! grep -qw svm /proc/cpuinfo && bochs=1
if [ $bochs = 1 ]; then
	i=1
	while [ $i -lt "$s_boot1" ]; do
		skip $i "backend-independent, run on the SVM test host (Bochs is slow)"
		i=$((i + 1))
	done
else

i=1
for f in "$corpus"/*.xml; do
	[ -e "$f" ] || continue
	b=${f##*/}
	want=$(grep "^$b	" "$corpus/EXPECTED" | cut -f2-)
	desc="malformed XML $b: '$want'"
	if [ -z "$want" ]; then
		fail $i "malformed XML $b # no expected message in EXPECTED"
		i=$((i + 1))
		continue
	fi
	out=$(cd "$corpus" && "$kestrel" create "$b" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] &&
		printf '%s\n' "$out" | grep -qxF "error: Failed to create domain from $b" &&
		printf '%s\n' "$out" | grep -qxF "error: $b: $want" &&
		[ "$(domains)" -eq "$before" ]; then
		pass $i "$desc"
	else
		fail $i "$desc # exit $rc, got: $(printf '%s' "$out" | tr '\n' '|')"
	fi
	i=$((i + 1))
done

# Broken kernel images, made from the real one.
img() { # SLOT DESC XMLNAME MiB KERNEL INITRD EXPECTED
	cat >"$tmp/$3.xml" <<EOF
<domain type='kestrel'>
  <name>$tag-$3</name>
  <memory unit='MiB'>$4</memory>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$5</kernel>${6:+
    <initrd>$6</initrd>}
    <cmdline>console=ttyS0</cmdline>
  </os>
</domain>
EOF
	out=$("$kestrel" create "$tmp/$3.xml" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -qF -- "$7" &&
		[ "$(domains)" -eq "$before" ] && gone "$tag-$3"; then
		pass "$1" "$2"
	else
		fail "$1" "$2 # exit $rc, got: $(printf '%s' "$out" | tr '\n' '|')"
	fi
}
head -c 2000000 "$kernel" >"$tmp/truncated"
img $s_img_trunc "a truncated bzImage is refused by the loader" trunc 256 "$tmp/truncated" "" \
	"error: kernel image '$tmp/truncated' truncated: header says"
cp "$kernel" "$tmp/nomagic"
printf '\000\000\000\000' | dd of="$tmp/nomagic" bs=1 seek=514 conv=notrunc 2>/dev/null
img $s_img_magic "a bzImage with a zeroed header magic is refused" magic 256 "$tmp/nomagic" "" \
	"error: '$tmp/nomagic' is not a Linux kernel image (bzImage): no \"HdrS\" signature at offset 0x202"
img $s_img_big "a kernel too big for 2 MiB of guest memory is refused" big 2 "$kernel" "" \
	"error: kernel '$kernel' does not fit in guest memory (2 MiB): it needs RAM up to"
# 96 MiB holds Debian's kernel (it needs ~80 MiB) but not 80 MiB more.
truncate -s 80M "$tmp/big.initrd"
img $s_img_initrd "an initrd that does not fit above the kernel is refused" bigrd 96 "$kernel" "$tmp/big.initrd" \
	"error: initrd '$tmp/big.initrd' (80 MiB) does not fit in guest memory (96 MiB) above the kernel"
img $s_img_none "a missing kernel file is refused" none 256 "$tmp/no-such-kernel" "" \
	"error: cannot open kernel image '$tmp/no-such-kernel': No such file or directory"
fi

# ---- the first Linux boot: 1 vCPU, power-off ----------------------------

have_event=0
has_verb event && have_event=1
have_shutdown=0
has_verb shutdown && has_opt shutdown wait && have_shutdown=1

phase "malformed XML and broken images done"
n1=$tag-1cpu
xml "$n1" 1 poweroff >/dev/null
[ $have_event = 1 ] && event_start "$n1" $((limit + 60))
boot "$n1"
st=$?
boot_verdict $s_boot1 "Linux boots to userspace on 1 vCPU" $st
userspace=$st
phase "first boot: status $st"
nowhy="the 1-vCPU guest did not reach userspace: $why"
if [ $st -eq 0 ]; then
	verdict $s_cpus1 "the guest counts 1 CPU ('cpus: 1')" grep -q '^cpus: 1.\{0,1\}$' "$tmp/$n1.con" "$tmp/$n1.stream"
	i=0
	while [ $i -lt 60 ] && ! gone "$n1"; do sleep 1; i=$((i + 1)); done
	if gone "$n1"; then
		pass $s_poweroff "guest poweroff takes the transient domain down (on_poweroff destroy)"
	else
		fail $s_poweroff "guest poweroff takes the transient domain down # still there after 60 s: $(state "$n1"); console ends: $(dump "$n1" >"$tmp/$n1.con"; last_line "$tmp/$n1.con")"
		destroy "$n1"
	fi
	if [ $have_event = 1 ]; then
		sleep 1
		event_stop "$n1"
		verdict $s_poweroff_ev "kestrel event --loop reports 'Stopped Shutdown' for the guest's poweroff" \
			grep -q "'$n1'.*Stopped Shutdown" "$tmp/$n1.ev"
		grep -q "'$n1'.*Stopped Shutdown" "$tmp/$n1.ev" ||
			note "events seen: $(tr '\n' '|' <"$tmp/$n1.ev")" >>"$tmp/notes"
	else
		gap $s_poweroff_ev "kestrel event reports the poweroff" "kestrel has no 'event' verb yet (kestrel help)"
	fi
else
	[ $have_event = 1 ] && event_stop "$n1"
	destroy "$n1"
	for s in $s_cpus1 $s_poweroff $s_poweroff_ev $s_boot2 $s_cpus2 $s_tsc2 $s_clock $s_shutdown \
		$s_shutdown_ignore $s_reboot $s_reboot_ev $s_crash_destroy $s_crash_preserve \
		$s_after_midboot $s_two; do
		gap $s "" "$nowhy"
	done
fi

# Bochs (the VMX test host) runs one Linux boot per run: a boot takes
# minutes there.  The other scenarios run on the SVM test host.
if [ $bochs = 1 ]; then
	i=1
	while [ $i -le "$ntests" ]; do
		[ -e "$tmp/res/$i" ] ||
			skip $i "one Linux boot on the VMX test host (Bochs); this scenario runs on the SVM test host"
		i=$((i + 1))
	done
	finish
fi

# ---- scenarios (run in parallel waves once userspace works) -------------

# 2 vCPUs, clock: "cpus: 2", then the guest's time against ours after 30 s.
sc_clock() {
	n=$tag-2cpu
	xml $n 2 clock >/dev/null
	boot $n
	st=$?
	boot_verdict $s_boot2 "Linux boots to userspace on 2 vCPUs" $st
	if [ $st -ne 0 ]; then
		gap $s_cpus2 "" "the 2-vCPU guest did not reach userspace: $why"
		gap $s_tsc2 "" "the 2-vCPU guest did not reach userspace: $why"
		gap $s_clock "" "the 2-vCPU guest did not reach userspace: $why"
		destroy $n
		return
	fi
	verdict $s_cpus2 "the guest counts 2 CPUs ('cpus: 2')" grep -q '^cpus: 2.\{0,1\}$' "$tmp/$n.con" "$tmp/$n.stream"
	# CPUID says the TSC is invariant, so Linux does not call two vCPUs'
	# TSCs unsynchronized (a silent fall back to the ACPI PM timer, a
	# port exit per read).  Its clocksource watchdog may still drop the
	# TSC when a loaded test host delays a read: that says so on the
	# console (a warning) and is the guest's call, not the fall back.
	if grep -q '^clocksource: tsc' "$tmp/$n.con" "$tmp/$n.stream"; then
		pass $s_tsc2 "the 2-vCPU guest keeps the TSC as its clocksource"
	elif grep -q "Marking clocksource 'tsc[^']*' as unstable" "$tmp/$n.con"; then
		pass $s_tsc2 "the 2-vCPU guest took the TSC; its watchdog dropped it under load ($(grep -o "Marking clocksource 'tsc[^']*' as unstable[^|]*" "$tmp/$n.con" | head -n 1 | tr -d '\r'))"
	else
		fail $s_tsc2 "the 2-vCPU guest keeps the TSC as its clocksource # $(grep -ihE '^clocksource:|tsc|watchdog' "$tmp/$n.con" | tr -d '\r' | head -n 6 | tr '\n' '|')"
	fi
	if ! wait_for $n "clock: " 1 60; then
		fail $s_clock "guest time # no clock lines: $why"
		destroy $n
		return
	fi
	first=$(grep '^clock: ' "$tmp/$n.con" | head -n 1 | cut -d' ' -f2)
	# Each time the last "clock: V" line changes, host - V is the
	# offset plus how late we saw it (polling, a loaded host) plus the
	# guest's phase within its second.  The least of ten such samples
	# bounds the offset from above and tightly; take it early and again
	# after 30 guest seconds.  Their difference is the drift; the early
	# one also carries the RTC's whole-second truncation at boot.
	end=$(($(date +%s) + 150)) last='' early='' late='' ne=0 nl=0
	while [ "$(date +%s)" -lt $end ] && [ $nl -lt 10 ]; do
		dump $n >"$tmp/$n.con"
		v=$(grep '^clock: [0-9]*$' "$tmp/$n.con" | tail -n 1 | cut -d' ' -f2)
		now=$(date +%s.%N)
		if [ -n "$v" ] && [ -n "$last" ] && [ "$v" != "$last" ]; then
			o=$(awk -v h="$now" -v g="$v" 'BEGIN { printf "%.2f", h - g }')
			if [ $ne -lt 10 ]; then
				early=$(awk -v a="$early" -v b="$o" 'BEGIN { print (a == "" || b < a) ? b : a }')
				ne=$((ne + 1))
			elif [ $((v - first)) -ge 30 ]; then
				late=$(awk -v a="$late" -v b="$o" 'BEGIN { print (a == "" || b < a) ? b : a }')
				nl=$((nl + 1))
			fi
		fi
		last=$v
		sleep 0.2
	done
	if [ $nl -lt 10 ]; then
		fail $s_clock "guest time # too few clock samples within 150 s (early $ne, late $nl; first $first, last ${last:-none})"
	else
		d=$(awk -v a="$early" -v b="$late" 'BEGIN { printf "%.2f", b - a }')
		desc="the guest clock drifts under 1 s in 30 s from the host's and starts within 2 s of it (offset $early s, drift $d s)"
		if awk -v d="$d" -v o="$early" 'BEGIN { exit !(d > -1 && d < 1 && o > -2 && o < 2) }'; then
			pass $s_clock "$desc"
		else
			fail $s_clock "$desc # out of bounds"
		fi
	fi
	destroy $n
}

# ACPI power button with acpid: shutdown --wait takes the domain down.
sc_shutdown() {
	n=$tag-acpid
	if [ $have_shutdown = 0 ]; then
		gap $s_shutdown "" "kestrel has no 'shutdown' verb with --wait yet (kestrel help)"
		return
	fi
	xml $n 1 acpid >/dev/null
	boot $n
	st=$?
	if [ $st -ne 0 ]; then boot_verdict $s_shutdown "shutdown --wait with acpid" $st; destroy $n; return; fi
	if ! wait_for $n "acpid: ready" 1 60; then
		fail $s_shutdown "shutdown --wait with acpid # $why"
		destroy $n
		return
	fi
	out=$("$kestrel" shutdown $n --wait --timeout 60 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && { gone $n || [ "$(state $n)" = "shut off" ]; }; then
		pass $s_shutdown "kestrel shutdown --wait --timeout 60: acpid powers the guest off, the domain is shut off"
	else
		fail $s_shutdown "kestrel shutdown --wait with acpid # exit $rc ($(echo "$out" | tr '\n' '|')), state '$(state $n)'"
	fi
	destroy $n
}

# A guest that ignores the button: shutdown --wait times out cleanly.
sc_shutdown_ignore() {
	n=$tag-ignore
	if [ $have_shutdown = 0 ]; then
		gap $s_shutdown_ignore "" "kestrel has no 'shutdown' verb with --wait yet (kestrel help)"
		return
	fi
	xml $n 1 ignore >/dev/null
	boot $n
	st=$?
	if [ $st -ne 0 ]; then boot_verdict $s_shutdown_ignore "shutdown --wait on a guest that ignores it" $st; destroy $n; return; fi
	out=$("$kestrel" shutdown $n --wait --timeout 10 2>&1)
	rc=$?
	s=$(state $n)
	if [ $rc -eq 1 ] && running $n && destroy $n && gone $n; then
		pass $s_shutdown_ignore "shutdown --wait --timeout 10 on a guest that ignores the button: exit 1, still running, destroy works"
	else
		fail $s_shutdown_ignore "shutdown --wait on a guest that ignores the button # exit $rc ($(echo "$out" | tr '\n' '|')), state '$s'"
	fi
	destroy $n
}

# reboot -f with on_reboot restart: userspace twice, an 'reboot' event.
sc_reboot() {
	n=$tag-reboot
	xml $n 1 reboot >/dev/null
	[ $have_event = 1 ] && event_start $n $((2 * limit + 60))
	boot $n
	st=$?
	if [ $st -ne 0 ]; then
		boot_verdict $s_reboot "reboot in place" $st
		gap $s_reboot_ev "" "the guest did not reach userspace: $why"
		[ $have_event = 1 ] && event_stop $n
		destroy $n
		return
	fi
	wait_for $n "$marker" 2
	st=$?
	if [ $st -eq 0 ]; then
		pass $s_reboot "guest reboot with on_reboot restart: 'Kestrel guest: up' twice in one domain"
	elif [ $st -eq 2 ] && [ "$(seen $n rebooting)" -gt 0 ]; then
		gap $s_reboot "" "reboot in place is missing: $why"
	else
		fail $s_reboot "guest reboot with on_reboot restart # $why"
	fi
	destroy $n
	if [ $have_event = 1 ]; then
		sleep 1
		event_stop $n
		if grep -q "event 'reboot' for domain '$n'" "$tmp/$n.ev"; then
			pass $s_reboot_ev "kestrel event --loop reports \"event 'reboot'\" for it"
		elif [ $st -ne 0 ]; then
			gap $s_reboot_ev "" "no reboot in place, so no reboot event: $why"
		else
			fail $s_reboot_ev "kestrel event --loop reports \"event 'reboot'\" # events: $(tr '\n' '|' <"$tmp/$n.ev")"
		fi
	else
		gap $s_reboot_ev "" "kestrel has no 'event' verb yet (kestrel help)"
	fi
}

# sysrq crash: on_crash destroy takes it away, preserve keeps it crashed.
sc_crash() { # SLOT ACTION
	n=$tag-crash-$2
	xml $n 1 crash 256 destroy destroy "$2" >/dev/null
	boot $n
	st=$?
	if [ $st -ne 0 ]; then boot_verdict $1 "sysrq crash, on_crash $2" $st; destroy $n; return; fi
	wait_for $n "crashing" 1 60
	i=0
	while [ $i -lt 60 ]; do
		if [ "$2" = destroy ] && gone $n; then break; fi
		if [ "$2" = preserve ] && [ "$(state $n)" = crashed ]; then break; fi
		exists $n && dump $n >"$tmp/$n.con"
		sleep 1
		i=$((i + 1))
	done
	if [ "$2" = destroy ] && gone $n; then
		pass $1 "sysrq crash with on_crash destroy: the domain is gone"
	elif [ "$2" = preserve ] && [ "$(state $n)" = crashed ]; then
		pass $1 "sysrq crash with on_crash preserve: domstate 'crashed'"
	elif running $n && [ "$(seen $n 'Kernel panic')" -gt 0 ]; then
		gap $1 "" "the guest panicked but Kestrel did not notice within 60 s (state running; no pvpanic or other panic notification)"
	else
		fail $1 "sysrq crash, on_crash $2 # state '$(state $n)', console ends: $(last_line "$tmp/$n.con")"
	fi
	destroy $n
}

# Destroy right after create; a duplicate name is refused meanwhile.
sc_midboot() {
	n=$tag-midboot
	xml $n 1 hold >/dev/null
	if ! create $n; then
		fail $s_midboot "destroy mid-boot # create failed: $(tr '\n' ' ' <"$tmp/$n.create")"
		skip $s_dupname "create failed"
		return
	fi
	out=$("$kestrel" create "$tmp/$n.xml" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "already exists"; then
		pass $s_dupname "a second domain with a running domain's name is refused ('already exists')"
	else
		fail $s_dupname "a second domain with a running domain's name is refused # exit $rc: $(echo "$out" | tr '\n' '|')"
	fi
	out=$("$kestrel" destroy $n 2>&1)
	rc=$?
	sleep 0.5
	if [ $rc -eq 0 ] && gone $n; then
		pass $s_midboot "destroy right after create (mid-boot) removes the domain"
	else
		fail $s_midboot "destroy right after create # exit $rc ($out), state '$(state $n)'"
	fi
}

# Two at once (the first also proves a boot after the mid-boot destroy).
sc_two() {
	a=$tag-twoa b=$tag-twob
	xml $a 1 hold >/dev/null
	xml $b 1 hold >/dev/null
	(boot $a; echo "$? $why" >"$tmp/$a.st") &
	pa=$!
	(boot $b; echo "$? $why" >"$tmp/$b.st") &
	pb=$!
	wait $pa $pb
	sa=$(cut -d' ' -f1 "$tmp/$a.st") sb=$(cut -d' ' -f1 "$tmp/$b.st")
	why=$(cut -d' ' -f2- "$tmp/$a.st")
	boot_verdict $s_after_midboot "a domain boots to userspace after another was destroyed mid-boot" "$sa"
	if [ "$sa" = 0 ] && [ "$sb" = 0 ] && exists $a && exists $b; then
		pass $s_two "two Linux domains at once both reach userspace"
	else
		[ "$sa" = 0 ] || why="$a: $(cut -d' ' -f2- "$tmp/$a.st")"
		[ "$sa" != 0 ] || why="$b: $(cut -d' ' -f2- "$tmp/$b.st")"
		boot_verdict $s_two "two Linux domains at once" "$([ "$sa" = 0 ] && echo "$sb" || echo "$sa")"
	fi
	destroy $a
	destroy $b
}

if [ "$userspace" -eq 0 ]; then
	# (wait with pids: console followers run in the background too)
	sc_clock &
	p1=$!
	sc_shutdown &
	p2=$!
	sc_shutdown_ignore &
	p3=$!
	wait $p1 $p2 $p3
	phase "wave 1 done"
	sc_reboot &
	p1=$!
	sc_crash $s_crash_destroy destroy &
	p2=$!
	sc_crash $s_crash_preserve preserve &
	p3=$!
	wait $p1 $p2 $p3
	phase "wave 2 done"
	sc_midboot
	sc_two
else
	sc_midboot
fi
phase "scenarios done"

left=
for d in $(cat "$created"); do
	exists "$d" && left="$left $d"
done
[ -z "$left" ] || note "left behind (destroyed now):$left" >>"$tmp/notes"
finish
