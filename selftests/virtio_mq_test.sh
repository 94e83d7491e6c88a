#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Multiqueue virtio seen by an unmodified Linux guest with 2 vCPUs (Debian's
# kernel and the test initramfs, kestrel.test=nic): <driver queues='2'/> on
# an <interface type='bridge'> (a multi-queue tap, one fd per queue pair)
# and on a <disk> (virtio-blk num_queues).  The guest must see 2 queue
# pairs on eth0 and 2 queues on vda; the host's tap must have 2 queues.
# Pinned to each vCPU in turn (XPS and blk-mq map CPU N to queue N), the
# guest pings 10.0.0.1 in a network namespace behind the bridge and reads
# the disk; the interrupts of queue 1 show that traffic went through it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-vmq.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=11
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
dom=vmq$$
br=kmb$$
ns=kmn$$
cleanup() {
	"$kestrel" destroy "$dom" >/dev/null 2>&1
	test_net_del "$br" "$ns" "km$$"
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs virtio-mq
test_net "$br" "$ns" "km$$"
dd if=/dev/zero of="$tmp/disk.img" bs=1M count=0 seek=16 2>/dev/null

cat >"$tmp/$dom.xml" <<X
<domain type='kestrel'>
  <name>$dom</name>
  <memory unit='MiB'>128</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet kestrel.test=nic</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='writeback' queues='2'/>
      <source file='$tmp/disk.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:4b:e5:11'/>
      <source bridge='$br'/>
      <model type='virtio'/>
      <driver name='vhost' queues='2'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>
X
if out=$("$kestrel" create "$tmp/$dom.xml" 2>&1); then
	ok "a 2-vCPU domain with 2 queues on its interface and its disk is created"
else
	not_ok "a 2-vCPU domain with 2 queues on its interface and its disk is created # $out"
	skip_all "no domain"
fi
# Its threads carry its ID: 2 vCPUs, and a worker per queue of the disk
# and per pair of the interface (names are cut at 15 characters).
id=$("$kestrel" domid "$dom" 2>/dev/null)
nthr=$(cat /proc/[0-9]*/task/[0-9]*/comm 2>/dev/null | grep -c "^kestrel/$id:")
if [ -n "$id" ] && [ "$nthr" -ge 6 ]; then
	ok "the domain's vCPU and device threads are named kestrel/$id:... ($nthr)"
else
	not_ok "the domain's vCPU and device threads are named kestrel/$id:... # $nthr: $(cat /proc/[0-9]*/task/[0-9]*/comm 2>/dev/null | grep '^kestrel/' | tr '\n' ' ')"
fi
tap=$("$kestrel" dumpxml "$dom" 2>/dev/null | sed -n "s|.*<target dev='\([^']*\)'.*|\1|p" | grep -v '^vd' | head -n 1)
q=$(ls "/sys/class/net/$tap/queues" 2>/dev/null | tr '\n' ' ')
d=$(ip -d link show "$tap" 2>/dev/null | grep -o 'multi_queue.*numqueues [0-9]*')
if [ -n "$tap" ] && [ "$q" = "rx-0 rx-1 tx-0 tx-1 " ]; then
	ok "the host's tap $tap has 2 queues: $q(${d:-ip -d link says nothing})"
else
	not_ok "the host's tap has 2 queues # tap '$tap', queues '$q', '$d'"
fi

wait_stopped "$dom" "$tmp/con"
why="$(grep -E '^nic:|^cpus:|virtio|Kernel panic' "$tmp/con" | tail -n 10 | tr '\n' '|')"

if grep -q "^cpus: 2" "$tmp/con" &&
	grep -q "^nic: eth0 52:54:00:4b:e5:11 carrier 1" "$tmp/con"; then
	ok "the guest has 2 CPUs and eth0 with the XML's MAC, carrier up"
else
	not_ok "the guest has 2 CPUs and eth0 with the XML's MAC, carrier up # $why"
fi
if grep -q "^nic: eth0 queues rx-0 rx-1 tx-0 tx-1 *$" "$tmp/con"; then
	ok "the guest's eth0 has 2 queue pairs (rx-0 rx-1 tx-0 tx-1)"
else
	not_ok "the guest's eth0 has 2 queue pairs # $why"
fi
if grep -q "^nic: vda mq 0 1 *$" "$tmp/con"; then
	ok "the guest's vda has 2 queues (/sys/block/vda/mq: 0 1)"
else
	not_ok "the guest's vda has 2 queues # $why"
fi
if grep -q "^nic: ping cpu0 ok" "$tmp/con" && grep -q "^nic: ping cpu1 ok" "$tmp/con"; then
	ok "the guest pings 10.0.0.1 from each vCPU"
else
	not_ok "the guest pings 10.0.0.1 from each vCPU # $why"
fi
irqs=$(sed -n 's/^nic: irqs //p' "$tmp/con" | head -n 1)
# count QUEUE: the interrupts of the virtio vector named *-QUEUE
count() { printf '%s\n' "$irqs" | tr ' ' '\n' | sed -n "s/^virtio[0-9]*-$1=//p" | head -n 1; }
in0=$(count 'input\.0') in1=$(count 'input\.1')
if [ "${in0:-0}" -gt 0 ] && [ "${in1:-0}" -gt 0 ]; then
	ok "frames reached the guest on both receive queues ($in0 and $in1 interrupts)"
else
	not_ok "frames reached the guest on both receive queues # irqs: $irqs"
fi
rq0=$(count 'req\.0') rq1=$(count 'req\.1')
if grep -q "^nic: vda read cpu0 ok" "$tmp/con" && grep -q "^nic: vda read cpu1 ok" "$tmp/con" &&
	[ "${rq0:-0}" -gt 0 ] && [ "${rq1:-0}" -gt 0 ]; then
	ok "vda reads from each vCPU complete on both queues ($rq0 and $rq1 interrupts)"
else
	not_ok "vda reads from each vCPU complete on both queues # irqs: $irqs; $why"
fi
reason=$("$kestrel" domstate "$dom" --reason 2>/dev/null)
if [ "$reason" = "shut off (shutdown)" ]; then
	ok "then it powers off: $reason"
else
	not_ok "then it powers off # '$reason'"
fi
st=$("$kestrel" domifstat "$dom" "$tap" 2>&1)
rxp=$(printf '%s\n' "$st" | sed -n "s/^$tap rx_packets //p")
txp=$(printf '%s\n' "$st" | sed -n "s/^$tap tx_packets //p")
if [ "${txp:-0}" -ge 6 ] && [ "${rxp:-0}" -ge 6 ]; then
	ok "domifstat sums both pairs ($txp tx, $rxp rx packets)"
else
	not_ok "domifstat sums both pairs # $(printf '%s' "$st" | tr '\n' '|')"
fi
"$kestrel" destroy "$dom" >/dev/null 2>&1
[ $fails -eq 0 ]
