#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A guest driver gone bad breaks only its own device: the test guest
# (kestrel.test=garbage) unbinds its virtio-rng from Linux's driver and
# programs it by hand through BAR 4 with rings in the middle of its
# kernel's text, then notifies.  The device must go to DEVICE_NEEDS_RESET,
# the host must log it once, the guest's disk must keep working, the
# guest must still power off normally, and another domain must boot.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-vgarbage.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=5
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
dom=vgarb$$
cleanup() {
	"$kestrel" destroy "$dom" >/dev/null 2>&1
	"$kestrel" destroy "${dom}b" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs "the bad-driver test"

truncate -s 4M "$tmp/disk.img"
# xml NAME MODE DEVICES
xml() {
	cat >"$tmp/$1.xml" <<X
<domain type='kestrel'>
  <name>$1</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet kestrel.test=$2</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
$3
    <console type='pty'/>
  </devices>
</domain>
X
}
# wait_off NAME: until shut off or crashed (or gone); console to NAME.con
wait_off() {
	wait_stopped "$1" "$tmp/$1.con"
}

xml "$dom" garbage "    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$tmp/disk.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
before=$(dmesg 2>/dev/null | grep -c "broke the virtqueue")
if ! out=$("$kestrel" create "$tmp/$dom.xml" 2>&1); then
	not_ok "the domain is created # $out"
	skip_all "no domain"
fi
wait_off "$dom"
con=$tmp/$dom.con
why=$(grep -E '^garbage:|Kernel panic|BUG' "$con" | tr '\n' '|')

st=$(sed -n 's/^garbage: status //p' "$con")
if [ -n "$st" ] && [ $((st & 0x40)) -ne 0 ]; then
	ok "the rng programmed with garbage rings goes to DEVICE_NEEDS_RESET (status $st)"
else
	not_ok "the rng programmed with garbage rings goes to DEVICE_NEEDS_RESET # $why"
fi
after=$(dmesg 2>/dev/null | grep -c "broke the virtqueue")
if [ $((after - before)) -ge 1 ] && [ $((after - before)) -le 2 ]; then
	ok "the host logs it ($(dmesg | grep "broke the virtqueue" | tail -n 1 | sed 's/^\[[^]]*\] //'))"
else
	not_ok "the host logs it once # $((after - before)) lines"
fi
if grep -q "^garbage: disk reads 4096" "$con"; then
	ok "the guest's disk, another device, keeps working"
else
	not_ok "the guest's disk, another device, keeps working # $why"
fi
reason=$("$kestrel" domstate "$dom" --reason 2>/dev/null)
if [ "$reason" = "shut off (shutdown)" ]; then
	ok "the guest still powers off normally: $reason"
else
	not_ok "the guest still powers off normally # '$reason'"
fi
"$kestrel" destroy "$dom" >/dev/null 2>&1

xml "${dom}b" rng "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
"$kestrel" create "$tmp/${dom}b.xml" >/dev/null 2>&1
wait_off "${dom}b"
if grep -q "^rng: read 4096" "$tmp/${dom}b.con"; then
	ok "a new domain's rng works afterwards"
else
	not_ok "a new domain's rng works afterwards # $(grep '^rng:' "$tmp/${dom}b.con" | tr '\n' '|')"
fi
[ $fails -eq 0 ]
