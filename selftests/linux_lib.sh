# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the shell selftests that boot Linux guests (linux_boot_test.sh,
# virtio_test.sh, virtio_blk_test.sh): TAP helpers and what a boot needs.
# The sourcing script sets top and plan first.
#
#   ok DESC / not_ok DESC     one TAP line, counted in n and fails
#   skip_all REASON           skips the rest of the plan and exits 0
#   linux_prereqs WHAT        skips all unless this host can boot Linux
#                             guests in make check; sets kernel and initrd
#                             (WHAT names the test in the Bochs reason)
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
