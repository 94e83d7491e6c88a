#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-net seen by an unmodified Linux guest (Debian's kernel and the
# test initramfs, kestrel.test=net): <interface type='bridge'> puts the
# controller's tap on a bridge of the test host; a veth from that bridge
# leads into a network namespace at 10.0.0.1.  The guest (10.0.0.2) pings
# it and sends it 1 MiB with nc; the namespace's listener must receive the
# same bytes.  A second guest (kestrel.test=nic) on the same bridge has
# <link state='down'/>: its eth0 has no carrier and nothing passes.  A
# third (kestrel.test=link) starts with the link down; domif-setlink
# brings it up (the guest sees the carrier and pings) and down again.
# A defined domain's link changes in its definition (--config).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-vnet.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=22
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
dom=vnet$$
br=kbr$$
ns=kns$$
lpid=
cleanup() {
	"$kestrel" destroy "$dom" >/dev/null 2>&1
	"$kestrel" destroy "${dom}d" >/dev/null 2>&1
	"$kestrel" destroy "${dom}l" >/dev/null 2>&1
	"$kestrel" undefine "${dom}c" >/dev/null 2>&1
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	test_net_del "$br" "$ns" "kv$$"
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs virtio-net
test_net "$br" "$ns" "kv$$"
# The listener's stdin stays open: at its EOF busybox nc would half-close
# the connection and the guest's nc, seeing that, would stop early.
sleep "$limit" | ip netns exec "$ns" busybox nc -l -p 5000 >"$tmp/recv" 2>/dev/null &
lpid=$!

cat >"$tmp/$dom.xml" <<X
<domain type='kestrel'>
  <name>$dom</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet kestrel.test=net</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <interface type='bridge'>
      <mac address='52:54:00:4b:e5:01'/>
      <source bridge='$br'/>
      <model type='virtio'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>
X
if out=$("$kestrel" create "$tmp/$dom.xml" 2>&1); then
	ok "a domain with <interface type='bridge'> is created"
else
	not_ok "a domain with <interface type='bridge'> is created # $out"
	skip_all "no domain"
fi
tap=$("$kestrel" dumpxml "$dom" 2>/dev/null | sed -n "s|.*<target dev='\([^']*\)'.*|\1|p" | head -n 1)
if [ -n "$tap" ] && ip link show master "$br" 2>/dev/null | grep -q ": $tap:"; then
	ok "its tap ($tap, named in the live dumpxml) is a port of the bridge"
else
	not_ok "its tap is a port of the bridge # tap '$tap'; ports: $(ip -o link show master "$br" 2>&1 | cut -d: -f2 | tr '\n' ' ')"
fi

wait_stopped "$dom" "$tmp/con"
why="$(grep -E '^net:|virtio|Kernel panic' "$tmp/con" | tail -n 4 | tr '\n' '|')"

if grep -q "^net: eth0 52:54:00:4b:e5:01" "$tmp/con"; then
	ok "the guest's eth0 has the XML's MAC"
else
	not_ok "the guest's eth0 has the XML's MAC # $why"
fi
if grep -q "^net: ping ok" "$tmp/con"; then
	ok "the guest pings 10.0.0.1 in the network namespace"
else
	not_ok "the guest pings 10.0.0.1 in the network namespace # $why"
fi
sleep 1
sent=$(sed -n 's/^net: sending //p' "$tmp/con" | head -n 1)
got=$(sha256sum <"$tmp/recv" | cut -d' ' -f1)
if [ -n "$sent" ] && [ "$sent" = "$got" ] && grep -q "^net: sent" "$tmp/con"; then
	ok "1 MiB sent by the guest with nc arrives intact ($(wc -c <"$tmp/recv") bytes)"
else
	not_ok "1 MiB sent by the guest with nc arrives intact # sent ${sent:-none}, got $got ($(wc -c <"$tmp/recv") bytes): $why"
fi
reason=$("$kestrel" domstate "$dom" --reason 2>/dev/null)
if [ "$reason" = "shut off (shutdown)" ]; then
	ok "then it powers off: $reason"
else
	not_ok "then it powers off # '$reason'"
fi
out=$("$kestrel" domiflist "$dom" 2>&1)
if printf '%s\n' "$out" | grep -q "^ *$tap *bridge *$br *virtio *52:54:00:4b:e5:01"; then
	ok "domiflist shows the tap, bridge, model and MAC"
else
	not_ok "domiflist shows the tap, bridge, model and MAC # $(printf '%s' "$out" | tr '\n' '|')"
fi
txb=$("$kestrel" domifstat "$dom" "$tap" 2>/dev/null | sed -n "s/^$tap tx_bytes //p")
rxp=$("$kestrel" domifstat "$dom" "$tap" 2>/dev/null | sed -n "s/^$tap rx_packets //p")
if [ "${txb:-0}" -ge 1048576 ] && [ "${rxp:-0}" -gt 0 ]; then
	ok "domifstat counts the guest's 1 MiB sent ($txb tx bytes, $rxp rx packets)"
else
	not_ok "domifstat counts the guest's 1 MiB sent # $("$kestrel" domifstat "$dom" "$tap" 2>&1 | tr '\n' '|')"
fi
"$kestrel" destroy "$dom" >/dev/null 2>&1
sleep 1
if [ -n "$tap" ] && ! ip link show "$tap" >/dev/null 2>&1; then
	ok "destroying the domain removes its tap"
else
	not_ok "destroying the domain removes its tap # '$tap' still there"
fi

# <link state='down'/>: the NIC is there, its carrier is not.
sed -e "s|<name>$dom</name>|<name>${dom}d</name>|" \
	-e 's|kestrel.test=net|kestrel.test=nic|' \
	-e 's|52:54:00:4b:e5:01|52:54:00:4b:e5:02|' \
	-e "s|<model type='virtio'/>|&\\n      <link state='down'/>|" \
	"$tmp/$dom.xml" >"$tmp/${dom}d.xml"
if out=$("$kestrel" create "$tmp/${dom}d.xml" 2>&1); then
	ok "a domain with <link state='down'/> is created"
else
	not_ok "a domain with <link state='down'/> is created # $out"
fi
"$kestrel" dumpxml "${dom}d" >"$tmp/down.dump" 2>&1
dtap=$(sed -n "s|.*<target dev='\([^']*\)'.*|\1|p" "$tmp/down.dump" | head -n 1)
if grep -q "^ *<link state='down'/>" "$tmp/down.dump"; then
	ok "its live dumpxml keeps <link state='down'/>"
else
	not_ok "its live dumpxml keeps <link state='down'/> # $(grep -A6 '<interface' "$tmp/down.dump" | tr '\n' ' ')"
fi
wait_stopped "${dom}d" "$tmp/down.con"
why="$(grep -E '^nic:|virtio|Kernel panic' "$tmp/down.con" | tail -n 5 | tr '\n' '|')"
if grep -q "^nic: eth0 52:54:00:4b:e5:02 carrier 0 flags .*NO-CARRIER" "$tmp/down.con"; then
	ok "the guest's eth0 has no carrier (NO-CARRIER)"
else
	not_ok "the guest's eth0 has no carrier (NO-CARRIER) # $why"
fi
st=$("$kestrel" domifstat "${dom}d" "$dtap" 2>&1)
rxp=$(printf '%s\n' "$st" | sed -n "s/^$dtap rx_packets //p")
txp=$(printf '%s\n' "$st" | sed -n "s/^$dtap tx_packets //p")
if grep -q "^nic: ping cpu0 failed" "$tmp/down.con" && [ "$rxp" = 0 ] && [ "$txp" = 0 ]; then
	ok "nothing passes: its ping fails, 0 packets each way"
else
	not_ok "nothing passes # rx_packets '$rxp', tx_packets '$txp': $why"
fi
"$kestrel" destroy "${dom}d" >/dev/null 2>&1

# domif-setlink on a running guest: down from the XML, up, down again.
# The guest prints "link: <n> carrier <0|1> ping ok|failed" each second.
sed -e "s|<name>$dom</name>|<name>${dom}l</name>|" \
	-e 's|kestrel.test=net|kestrel.test=link|' \
	-e 's|52:54:00:4b:e5:01|52:54:00:4b:e5:03|' \
	-e "s|<model type='virtio'/>|&\\n      <link state='down'/>|" \
	"$tmp/$dom.xml" >"$tmp/${dom}l.xml"
# Wait (60 s at most) for a guest line matching $1 after the first line
# matching $2 (empty: any); 0 once seen.
link_seen() {
	_end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt $_end ]; do
		"$kestrel" console "${dom}l" --dump 2>/dev/null | tr -d '\r' >"$tmp/link.con"
		awk -v want="$1" -v after="$2" '
			after == "" || $0 ~ after { armed = 1 }
			armed && $0 ~ want { found = 1 }
			END { exit !found }' "$tmp/link.con" && return 0
		sleep 1
	done
	return 1
}
lwhy() { grep '^link:' "$tmp/link.con" | tail -n 3 | tr '\n' '|'; }
if ! out=$("$kestrel" create "$tmp/${dom}l.xml" 2>&1); then
	not_ok "domif-setlink: a guest that starts with the link down # $out"
	for t in 2 3 4 5 6; do
		not_ok "domif-setlink: check $t # no domain"
	done
	exit 1
fi
ltap=$("$kestrel" dumpxml "${dom}l" 2>/dev/null | sed -n "s|.*<target dev='\([^']*\)'.*|\1|p" | head -n 1)
got=$("$kestrel" domif-getlink "${dom}l" "$ltap" 2>&1)
if link_seen '^link: [0-9]* carrier 0 ping failed' '' && [ "$got" = "$ltap down" ]; then
	ok "domif-getlink says '$got'; the guest has no carrier, its ping fails"
else
	not_ok "domif-getlink says down, the guest has no carrier # getlink '$got'; $(lwhy)"
fi
out=$("$kestrel" domif-setlink "${dom}l" "$ltap" up 2>&1)
if [ "$out" = "Device updated successfully" ] &&
	link_seen '^link: [0-9]* carrier 1 ping ok' ''; then
	ok "domif-setlink up: the guest sees the carrier and pings 10.0.0.1"
else
	not_ok "domif-setlink up: the guest sees the carrier and pings # '$out'; $(lwhy)"
fi
got=$("$kestrel" domif-getlink "${dom}l" 52:54:00:4b:e5:03 2>&1)
"$kestrel" dumpxml "${dom}l" >"$tmp/link.dump" 2>&1
if [ "$got" = "52:54:00:4b:e5:03 up" ] && grep -q '<link state=.up./>' "$tmp/link.dump"; then
	ok "domif-getlink (by MAC) says up, and the live dumpxml has <link state='up'/>"
else
	not_ok "domif-getlink says up, dumpxml has state up # getlink '$got'; $(grep '<link' "$tmp/link.dump")"
fi
out=$("$kestrel" domif-setlink "${dom}l" 52:54:00:4b:e5:03 down 2>&1)
if [ "$out" = "Device updated successfully" ] &&
	link_seen '^link: [0-9]* carrier 0 ping failed' '^link: [0-9]* carrier 1 ping ok'; then
	ok "domif-setlink down (by MAC): the carrier goes, the ping fails again"
else
	not_ok "domif-setlink down: the carrier goes, the ping fails # '$out'; $(lwhy)"
fi
got=$("$kestrel" domif-getlink "${dom}l" "$ltap" 2>&1)
"$kestrel" dumpxml "${dom}l" >"$tmp/link.dump" 2>&1
if [ "$got" = "$ltap down" ] && grep -q '<link state=.down./>' "$tmp/link.dump"; then
	ok "domif-getlink and the live dumpxml say down again"
else
	not_ok "domif-getlink and dumpxml say down # getlink '$got'; $(grep '<link' "$tmp/link.dump")"
fi
out=$("$kestrel" domif-setlink "${dom}l" nosuch0 up 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$out" = "error: interface (dev: nosuch0) not found" ] &&
	[ "$("$kestrel" domif-getlink "${dom}l" "$ltap" 2>&1)" = "$ltap down" ]; then
	ok "domif-setlink on an unknown interface fails in virsh's words and changes nothing"
else
	not_ok "domif-setlink on an unknown interface # rc $rc: $out"
fi
out=$("$kestrel" domif-setlink "${dom}l" "$ltap" up --config 2>&1)
rc=$?
if [ $rc -eq 1 ] && printf '%s\n' "$out" |
	grep -q "^error: Requested operation is not valid: cannot change persistent config of a transient domain$"; then
	ok "domif-setlink --config on a transient domain is refused in virsh's words"
else
	not_ok "domif-setlink --config on a transient domain is refused # rc $rc: $(printf '%s' "$out" | tr '\n' '|')"
fi
"$kestrel" destroy "${dom}l" >/dev/null 2>&1

# A defined (persistent, not running) domain: the definition's <link>.
sed -e "s|<name>$dom</name>|<name>${dom}c</name>|" "$tmp/$dom.xml" >"$tmp/${dom}c.xml"
if ! out=$("$kestrel" define "$tmp/${dom}c.xml" 2>&1); then
	not_ok "domif-setlink --config on a defined domain # define: $out"
	not_ok "domif-setlink on a domain that is not running # no definition"
	exit 1
fi
out=$("$kestrel" domif-setlink "${dom}c" 52:54:00:4b:e5:01 down --config 2>&1)
got=$("$kestrel" domif-getlink "${dom}c" 52:54:00:4b:e5:01 --config 2>&1)
if [ "$out" = "Device updated successfully" ] && [ "$got" = "52:54:00:4b:e5:01 down" ] &&
	"$kestrel" dumpxml "${dom}c" --inactive 2>&1 | grep -q "<link state='down'/>"; then
	ok "domif-setlink --config writes <link state='down'/> into the definition"
else
	not_ok "domif-setlink --config writes the definition # '$out', getlink '$got': $("$kestrel" dumpxml "${dom}c" --inactive 2>&1 | grep -A5 '<interface' | tr '\n' ' ')"
fi
out=$("$kestrel" domif-setlink "${dom}c" 52:54:00:4b:e5:01 up 2>&1)
got=$("$kestrel" domif-getlink "${dom}c" 52:54:00:4b:e5:01 2>&1)
if [ "$out" = "Device updated successfully" ] && [ "$got" = "52:54:00:4b:e5:01 up" ]; then
	ok "without --config, a domain that is not running has its definition changed"
else
	not_ok "a domain that is not running has its definition changed # '$out', getlink '$got'"
fi
"$kestrel" undefine "${dom}c" >/dev/null 2>&1
[ $fails -eq 0 ]
