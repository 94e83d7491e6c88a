# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the shell selftests that boot Linux guests (linux_boot_test.sh,
# the virtio_*_test.sh, devstats_test.sh): TAP helpers and what a boot
# needs.
# The sourcing script sets top and plan first.
#
#   ok DESC / not_ok DESC     one TAP line, counted in n and fails
#   skip_all REASON           skips the rest of the plan and exits 0
#   linux_prereqs WHAT        skips all unless this host can boot Linux
#                             guests in make check; sets kernel and initrd
#                             (WHAT names the test in the Bochs reason)
#   wait_stopped DOM [FILE]   waits (at most $limit s) until DOM is shut
#                             off, crashed or gone, sets state to its last
#                             domstate; with FILE, dumps its console there
#   test_net BR NS VETH       a bridge BR, a network namespace NS and a
#                             veth pair VETHa (port of BR) / VETHb (in NS,
#                             10.0.0.1/24), all up; skips all if it cannot
#   test_net_del BR NS VETH   removes them again (for the EXIT trap)
kestrel=$top/ctl/kestrel
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
skip_all() {
	while [ $n -lt "$plan" ]; do n=$((n + 1)); echo "ok $n # SKIP $1"; done
	exit 0
}
linux_prereqs() {
	grep -qw -e svm -e vmx /proc/cpuinfo || skip_all "no virtualization backend on this CPU"
	if grep -qw vmx /proc/cpuinfo && ! grep -qw svm /proc/cpuinfo &&
		[ "${KESTREL_LINUX_VMX:-0}" != 1 ]; then
		skip_all "Linux boots take minutes under Bochs: $1 runs on the SVM test host (KESTREL_LINUX_VMX=1 runs it here)"
	fi
	if [ -e /vmlinuz ]; then
		kernel=$(readlink -f /vmlinuz)
	else
		kernel=$(ls /boot/vmlinuz-* 2>/dev/null | tail -n 1)
	fi
	[ -r "$kernel" ] || skip_all "no kernel image to boot here"
	initrd=$top/build/guest/initrd.img
	[ -s "$initrd" ] || skip_all "no test initramfs (tools/mkguest)"
}
wait_stopped() {
	_start=$(date +%s)
	state=
	while [ $(($(date +%s) - _start)) -lt "$limit" ]; do
		sleep 2
		state=$("$kestrel" domstate "$1" 2>/dev/null)
		case $state in "shut off" | crashed | "") break ;; esac
	done
	[ -z "${2:-}" ] ||
		"$kestrel" console "$1" --dump 2>/dev/null | tr -d '\r' >"$2"
}
test_net() {
	command -v ip >/dev/null || skip_all "no ip (iproute2) for the bridge and namespace"
	modprobe tun 2>/dev/null
	modprobe bridge 2>/dev/null
	modprobe veth 2>/dev/null
	if ! ip link add "$1" type bridge 2>/dev/null ||
		! ip netns add "$2" 2>/dev/null ||
		! ip link add "${3}a" type veth peer name "${3}b" 2>/dev/null; then
		skip_all "cannot make a bridge, a veth pair and a network namespace here"
	fi
	ip link set "$1" up
	ip link set "${3}a" master "$1" up
	ip link set "${3}b" netns "$2"
	ip -n "$2" link set lo up
	ip -n "$2" addr add 10.0.0.1/24 dev "${3}b"
	ip -n "$2" link set "${3}b" up
}
test_net_del() {
	ip netns del "$2" 2>/dev/null
	ip link del "${3}a" 2>/dev/null
	ip link del "$1" 2>/dev/null
}
