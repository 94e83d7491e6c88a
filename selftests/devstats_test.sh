#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Per-device counters end to end: an unmodified Linux guest (the test
# initramfs, kestrel.test=disk kestrel.disk=write) formats a virtio disk,
# writes 1 MiB and powers off; the domain is kept shut off
# (on_poweroff='preserve'), so its devices and their counters are still
# in the kernel, and domblklist, domblkstat, domiflist and domstats
# --block show them in virsh's layouts.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-devstats.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=9
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
dom=devstats$$
cleanup() {
	"$kestrel" destroy "$dom" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs devstats

img=$tmp/disk.img
truncate -s 64M "$img"
cat >"$tmp/$dom.xml" <<X
<domain type='kestrel'>
  <name>$dom</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet kestrel.test=disk kestrel.disk=write</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='writeback'/>
      <source file='$img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
    <console type='pty'/>
  </devices>
</domain>
X

if ! out=$("$kestrel" create "$tmp/$dom.xml" 2>&1); then
	skip_all "the domain was not created: $(printf '%s' "$out" | tr '\n' ' ')"
fi
wait_stopped "$dom"
con=$("$kestrel" console "$dom" --dump 2>/dev/null | tr -d '\r')
if [ "$state" = "shut off" ] && printf '%s\n' "$con" | grep -q '^disk: wrote '; then
	ok "the guest wrote 1 MiB to vda and powered off; the domain is kept shut off"
else
	not_ok "the guest wrote 1 MiB to vda and powered off # state '$state': $(printf '%s\n' "$con" | grep -E '^disk:|Kernel panic' | tail -n 3 | tr '\n' '|')"
fi

out=$("$kestrel" domblklist "$dom" 2>&1)
if printf '%s\n' "$out" | sed -n 1p | grep -q '^ Target   Source$' &&
	printf '%s\n' "$out" | sed -n 2p | grep -q '^---*$' &&
	printf '%s\n' "$out" | grep -q "^ vda      $img\$"; then
	ok "domblklist shows vda and its source"
else
	not_ok "domblklist shows vda and its source # $(printf '%s' "$out" | tr '\n' '|')"
fi
out=$("$kestrel" domblklist "$dom" --details 2>&1)
if printf '%s\n' "$out" | sed -n 1p | grep -q '^ Type   Device   Target   Source$' &&
	printf '%s\n' "$out" | grep -q "^ file   disk     vda      $img\$"; then
	ok "domblklist --details adds the type and device"
else
	not_ok "domblklist --details adds the type and device # $(printf '%s' "$out" | tr '\n' '|')"
fi

out=$("$kestrel" domblkstat "$dom" vda 2>&1)
wr_req=$(printf '%s\n' "$out" | sed -n 's/^vda wr_req \([0-9]*\)$/\1/p')
wr_bytes=$(printf '%s\n' "$out" | sed -n 's/^vda wr_bytes \([0-9]*\)$/\1/p')
if [ "${wr_req:-0}" -gt 0 ] && [ "${wr_bytes:-0}" -ge 1048576 ] &&
	printf '%s\n' "$out" | grep -q '^vda rd_req [0-9]*$' &&
	printf '%s\n' "$out" | grep -q '^vda flush_operations [0-9]*$' &&
	printf '%s\n' "$out" | grep -q '^vda errs 0$'; then
	ok "domblkstat vda: $wr_req writes, $wr_bytes bytes written"
else
	not_ok "domblkstat vda counts the guest's writes # $(printf '%s' "$out" | tr '\n' '|')"
fi
all=$("$kestrel" domblkstat "$dom" 2>&1)
if printf '%s\n' "$all" | grep -q "^ wr_bytes $wr_bytes\$"; then
	ok "domblkstat without a device sums the disks (one here)"
else
	not_ok "domblkstat without a device sums the disks # $(printf '%s' "$all" | tr '\n' '|')"
fi
out=$("$kestrel" domblkstat "$dom" vdz 2>&1)
if [ $? -eq 1 ] && printf '%s\n' "$out" | grep -q '^error: invalid argument: invalid path: vdz$'; then
	ok "domblkstat of an unknown disk fails in libvirt's words"
else
	not_ok "domblkstat of an unknown disk fails in libvirt's words # $(printf '%s' "$out" | tr '\n' '|')"
fi

out=$("$kestrel" domiflist "$dom" 2>&1)
if [ "$(printf '%s\n' "$out" | sed -n 1p)" = " Interface   Type   Source   Model   MAC" ] &&
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]; then
	ok "domiflist of a domain without interfaces is its header"
else
	not_ok "domiflist of a domain without interfaces is its header # $(printf '%s' "$out" | tr '\n' '|')"
fi
out=$("$kestrel" domifstat "$dom" ktap9 2>&1)
if [ $? -eq 1 ] && printf '%s\n' "$out" | grep -q "^error: invalid argument: 'ktap9' is not a known interface$"; then
	ok "domifstat of an unknown interface fails in libvirt's words"
else
	not_ok "domifstat of an unknown interface fails in libvirt's words # $(printf '%s' "$out" | tr '\n' '|')"
fi

out=$("$kestrel" domstats --block "$dom" 2>&1)
if printf '%s\n' "$out" | grep -q '^  block.count=1$' &&
	printf '%s\n' "$out" | grep -q '^  block.0.name=vda$' &&
	printf '%s\n' "$out" | grep -q "^  block.0.path=$img\$" &&
	printf '%s\n' "$out" | grep -q "^  block.0.wr.bytes=$wr_bytes\$" &&
	! printf '%s\n' "$out" | grep -q '^  state\.'; then
	ok "domstats --block: block.count=1, block.0.name=vda and its counters"
else
	not_ok "domstats --block: block.count=1, block.0.name=vda # $(printf '%s' "$out" | tr '\n' '|')"
fi
[ $fails -eq 0 ]
