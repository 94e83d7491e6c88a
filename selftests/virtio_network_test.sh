#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Managed networks seen by an unmodified Linux guest (Debian's kernel and
# the test initramfs, kestrel.test=dhcp): net-define and net-start a NAT
# network with DHCP; a domain with <interface type='network'> gets its tap
# on the network's bridge, the guest gets an address from dnsmasq by DHCP
# (busybox udhcpc) and pings the bridge; the lease shows in
# net-dhcp-leases; net-destroy removes the bridge, the nftables table and
# dnsmasq; a domain on an inactive or undefined network is refused with
# libvirt's messages.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-vnetwork.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=14
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
KESTREL_CONFIG_DIR=$tmp/cfg
KESTREL_RUN_DIR=$tmp/run
export KESTREL_CONFIG_DIR KESTREL_RUN_DIR
dom=vnw$$
net=knet$$
br=knb$$
table=kestrel_$net
subnet=192.168.213
cleanup() {
	"$kestrel" destroy "$dom" >/dev/null 2>&1
	"$kestrel" net-destroy "$net" >/dev/null 2>&1
	ip link del "$br" 2>/dev/null
	nft delete table ip "$table" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs virtio-network
command -v ip >/dev/null || skip_all "no ip (iproute2)"
command -v nft >/dev/null || skip_all "no nft (tools/deps installs nftables)"
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] ||
	skip_all "no dnsmasq (tools/deps installs dnsmasq-base)"
# The test host's kernel runs modprobe from its initramfs, which has none
# of these: load them from the shared root here.
for m in tun bridge nf_tables nf_conntrack nf_nat nft_chain_nat nft_masq \
	nft_ct nft_reject nft_reject_ipv4; do
	modprobe "$m" 2>/dev/null
done

cat >"$tmp/$net.xml" <<X
<network>
  <name>$net</name>
  <forward mode='nat'/>
  <bridge name='$br' stp='on' delay='0'/>
  <ip address='$subnet.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='$subnet.100' end='$subnet.150'/>
    </dhcp>
  </ip>
</network>
X
cat >"$tmp/$dom.xml" <<X
<domain type='kestrel'>
  <name>$dom</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet kestrel.test=dhcp</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <interface type='network'>
      <mac address='52:54:00:4b:e6:01'/>
      <source network='$net'/>
      <model type='virtio'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>
X

out=$("$kestrel" net-define "$tmp/$net.xml" 2>&1)
if [ "$out" = "Network $net defined from $tmp/$net.xml" ]; then
	ok "net-define a NAT network with DHCP"
else
	not_ok "net-define a NAT network with DHCP # $out"
	skip_all "no network"
fi
out=$("$kestrel" create "$tmp/$dom.xml" 2>&1)
if [ $? -ne 0 ] && printf '%s\n' "$out" |
	grep -qx "error: Requested operation is not valid: network '$net' is not active"; then
	ok "a domain on the inactive network is refused with libvirt's message"
else
	not_ok "a domain on the inactive network is refused with libvirt's message # $(printf '%s' "$out" | tr '\n' '|')"
	"$kestrel" destroy "$dom" >/dev/null 2>&1
fi

out=$("$kestrel" net-start "$net" 2>&1)
if [ "$out" = "Network $net started" ]; then
	ok "net-start"
else
	not_ok "net-start # $(printf '%s' "$out" | tr '\n' '|')"
	skip_all "the network did not start"
fi
pid=$(sed -n 's/^dnsmasq=//p' "$KESTREL_RUN_DIR/networks/$net.state" 2>/dev/null)
addr=$(ip -o -4 addr show dev "$br" 2>/dev/null | awk '{ print $4 }')
if [ "$addr" = "$subnet.1/24" ] && nft list table ip "$table" 2>/dev/null | grep -q masquerade &&
	[ -n "$pid" ] && grep -q dnsmasq "/proc/$pid/cmdline" 2>/dev/null &&
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]; then
	ok "the bridge has $addr, table ip $table masquerades, dnsmasq runs (pid $pid), forwarding is on"
else
	not_ok "bridge, table, dnsmasq, forwarding # addr '$addr', dnsmasq '$pid', $(nft list tables 2>&1 | tr '\n' ' ')"
fi
out=$("$kestrel" net-list 2>&1)
if printf '%s\n' "$out" | grep -q "^ $net  *active  *no  *yes$"; then
	ok "net-list shows it active and persistent"
else
	not_ok "net-list shows it active and persistent # $(printf '%s' "$out" | tr '\n' '|')"
fi

if out=$("$kestrel" create "$tmp/$dom.xml" 2>&1); then
	ok "a domain with <interface type='network'> is created"
else
	not_ok "a domain with <interface type='network'> is created # $(printf '%s' "$out" | tr '\n' '|')"
	skip_all "no domain"
fi
tap=$("$kestrel" dumpxml "$dom" 2>/dev/null | sed -n "s|.*<target dev='\([^']*\)'.*|\1|p" | head -n 1)
if [ -n "$tap" ] && ip link show master "$br" 2>/dev/null | grep -q ": $tap:" &&
	"$kestrel" dumpxml "$dom" | grep -q "<interface type='network'>" &&
	"$kestrel" dumpxml "$dom" | grep -q "<source network='$net'/>"; then
	ok "its tap ($tap) is a port of the network's bridge; dumpxml keeps type='network'"
else
	not_ok "its tap is a port of the network's bridge # tap '$tap'; ports: $(ip -o link show master "$br" 2>&1 | cut -d: -f2 | tr '\n' ' ')"
fi

wait_stopped "$dom" "$tmp/con"
why="$(grep -E '^dhcp:|virtio|Kernel panic' "$tmp/con" | tail -n 4 | tr '\n' '|')"
lease=$(sed -n 's|^dhcp: lease \([0-9.]*\)/\([0-9]*\) router \([0-9.]*\).*|\1 \2 \3|p' "$tmp/con")
set -- $lease
ip=${1:-} prefix=${2:-} router=${3:-}
last=${ip##*.}
if [ "${ip%.*}" = "$subnet" ] && [ "$last" -ge 100 ] && [ "$last" -le 150 ] &&
	[ "$prefix" = 24 ] && [ "$router" = "$subnet.1" ]; then
	ok "the guest's DHCP lease $ip/$prefix is in the range, router $router"
else
	not_ok "the guest gets a DHCP lease in the range # $why"
fi
if grep -q "^dhcp: ping $subnet.1 ok" "$tmp/con"; then
	ok "the guest pings the bridge's address"
else
	not_ok "the guest pings the bridge's address # $why"
fi
out=$("$kestrel" net-dhcp-leases "$net" 2>&1)
if [ -n "$ip" ] && printf '%s\n' "$out" |
	grep -q "^ [0-9-]* [0-9:]*  *52:54:00:4b:e6:01  *ipv4  *$ip/24  *kguest "; then
	ok "net-dhcp-leases shows the lease with the guest's MAC and hostname"
else
	not_ok "net-dhcp-leases shows the lease # $(printf '%s' "$out" | tr '\n' '|')"
fi
out=$("$kestrel" domiflist "$dom" 2>&1)
if printf '%s\n' "$out" | grep -q "^ *$tap *network *$net *virtio *52:54:00:4b:e6:01"; then
	ok "domiflist shows the tap, network, model and MAC"
else
	not_ok "domiflist shows the tap, network, model and MAC # $(printf '%s' "$out" | tr '\n' '|')"
fi
"$kestrel" destroy "$dom" >/dev/null 2>&1

out=$("$kestrel" net-destroy "$net" 2>&1)
sleep 1
left=
ip link show "$br" >/dev/null 2>&1 && left="$left bridge"
nft list table ip "$table" >/dev/null 2>&1 && left="$left table"
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && left="$left dnsmasq"
if [ "$out" = "Network $net destroyed" ] && [ -z "$left" ]; then
	ok "net-destroy removes the bridge, the nft table and dnsmasq"
else
	not_ok "net-destroy removes the bridge, the nft table and dnsmasq # $out; left:$left"
fi
out=$("$kestrel" create "$tmp/$dom.xml" 2>&1)
if [ $? -ne 0 ] && printf '%s\n' "$out" | grep -qx "error: Failed to create domain from $tmp/$dom.xml" &&
	printf '%s\n' "$out" | grep -qx "error: Requested operation is not valid: network '$net' is not active"; then
	ok "after net-destroy, a domain on it is refused: network is not active"
else
	not_ok "after net-destroy, a domain on it is refused # $(printf '%s' "$out" | tr '\n' '|')"
	"$kestrel" destroy "$dom" >/dev/null 2>&1
fi
"$kestrel" net-undefine "$net" >/dev/null 2>&1
out=$("$kestrel" create "$tmp/$dom.xml" 2>&1)
if [ $? -ne 0 ] && printf '%s\n' "$out" |
	grep -qx "error: Network not found: no network with matching name '$net'"; then
	ok "after net-undefine: Network not found"
else
	not_ok "after net-undefine: Network not found # $(printf '%s' "$out" | tr '\n' '|')"
	"$kestrel" destroy "$dom" >/dev/null 2>&1
fi
[ $fails -eq 0 ]
