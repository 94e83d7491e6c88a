#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One Linux boot, cheap enough for the VMX test host (Bochs), where
# linux_test.sh does not run: Debian's kernel with the test initramfs on
# 2 vCPUs, a virtio disk, network interface and rng reaches userspace,
# reads the disk and the rng, brings eth0 up and powers off
# (kestrel.test=demo); with on_poweroff preserve the domain stays, shut off
# (shutdown), and its console shows the guest's marker, CPU count and
# device lines.
# Polls once every 5 s so that the controller does not take the (single)
# CPU of the Bochs host from the vCPUs.  The VMX tier runs it first
# (KESTREL_SELFTEST_FIRST in tools/check).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-boot.$$
name=boot$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-900}
plan=6
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
cleanup() { "$kestrel" destroy "$name" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
# The one Linux boot the VMX tier runs.
KESTREL_LINUX_VMX=1 linux_prereqs linux_boot_test

# A tap needs the tun driver in this host.
modprobe tun 2>/dev/null
netxml="    <interface type='ethernet'><model type='virtio'/></interface>"
[ -c /dev/net/tun ] || netxml=
cat >"$tmp/boot.xml" <<X
<domain type='kestrel'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet kestrel.test=demo</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <console type='pty'/>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$tmp/disk.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
$netxml
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
</domain>
X
truncate -s 16M "$tmp/disk.img"
start=$(date +%s)
if ! out=$("$kestrel" create "$tmp/boot.xml" 2>&1); then
	not_ok "create: $(echo "$out" | tr '\n' '|')"
	skip_all "the domain was not created"
fi
state=
while [ $(($(date +%s) - start)) -lt "$limit" ]; do
	sleep 5
	state=$("$kestrel" domstate "$name" 2>/dev/null)
	case $state in "shut off" | crashed) break ;; esac
done
took=$(($(date +%s) - start))
"$kestrel" console "$name" --dump >"$tmp/con" 2>&1
reason=$("$kestrel" domstate "$name" --reason 2>/dev/null)
if [ "$state" = "shut off" ] && [ "$reason" = "shut off (shutdown)" ]; then
	ok "the guest powered off by itself after $took s: $reason (on_poweroff preserve)"
else
	not_ok "the guest powered off by itself # after $took s: '$reason'; console ends: $(tail -n 2 "$tmp/con" | tr '\n' '|')"
fi
if grep -q "^Kestrel guest: up" "$tmp/con"; then
	ok "Linux reached userspace ('Kestrel guest: up')"
else
	not_ok "Linux reached userspace # console ends: $(tail -n 2 "$tmp/con" | tr '\n' '|')"
fi
if grep -q "^cpus: 2" "$tmp/con"; then
	ok "the guest brought up both vCPUs ('cpus: 2')"
else
	not_ok "the guest brought up both vCPUs # $(grep '^cpus:' "$tmp/con")"
fi
dev() { # DESC PATTERN
	if grep -q "$2" "$tmp/con"; then
		ok "$1 ($(grep "$2" "$tmp/con" | head -n 1 | tr -d '\r'))"
	else
		not_ok "$1 # $(grep -E '^(disk|net|rng):' "$tmp/con" | tr '\n' '|')"
	fi
}
dev "virtio-blk: the guest reads its 16 MiB disk" "^disk: vda 16 MiB, reads 4096"
if [ -n "$netxml" ]; then
	dev "virtio-net: the guest's eth0 comes up" "^net: eth0 52:54:00:[0-9a-f:]* up"
else
	n=$((n + 1))
	echo "ok $n # SKIP virtio-net: no /dev/net/tun in this test host"
fi
dev "virtio-rng: the guest reads /dev/hwrng from virtio_rng" "^rng: virtio_rng.0, reads 4096"
[ $fails -eq 0 ]
