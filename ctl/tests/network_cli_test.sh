#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The network commands' command line, natively: net-define, net-list,
# net-info, net-dumpxml, net-uuid, net-name, net-undefine and their
# virsh wording, with KESTREL_CONFIG_DIR and KESTREL_RUN_DIR in a
# temporary directory.  Nothing is started (no bridge, no nft, no
# dnsmasq): net-start and net-destroy are only tried where they fail
# before touching the host, and <interface type='network'> is refused by
# create before the module is needed.
set -u
. "$(dirname "$0")/expect.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kestrel-netcli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
KESTREL_CONFIG_DIR=$tmp/cfg
KESTREL_RUN_DIR=$tmp/run
export KESTREL_CONFIG_DIR KESTREL_RUN_DIR
nets=$KESTREL_CONFIG_DIR/networks
uuid=3e3fce45-4f53-4fa7-bb32-11f34168b82b

echo "TAP version 13"
echo "1..34"

expect "--help has virsh's Networking group" 0 \
	"^ Networking (help keyword 'network')$" \
	'^    net-define  *define an inactive persistent virtual network' \
	'^    net-destroy  *destroy (stop) a network$' \
	'^    net-dhcp-leases  *print lease info for a given network$' \
	'^    net-list  *list networks$' \
	'^    net-start  *start a (previously defined) inactive network$' \
	'^    net-undefine  *undefine a persistent network$' -- --help
expect "help net-list shows its options" 0 \
	'^    net-list \[--inactive\] \[--all\] \[--persistent\] \[--transient\] \[--uuid\] \[--name\]$' \
	-- help net-list
expect "net-start without a network" 1 \
	"^error: command 'net-start' requires <network> option$" -- net-start

expect "net-list with nothing defined" 0 \
	'^ Name   State   Autostart   Persistent$' '^-\{40\}$' -- net-list --all

cat >"$tmp/default.xml" <<EOF
<network>
  <name>default</name>
  <uuid>$uuid</uuid>
  <forward mode='nat'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.150.2' end='192.168.150.254'/>
      <host mac='52:54:00:AA:00:01' name='web' ip='192.168.150.10'/>
    </dhcp>
  </ip>
</network>
EOF
expect "net-define" 0 "^Network default defined from $tmp/default.xml$" \
	-- net-define "$tmp/default.xml"
n=$((n + 1))
mode=$(stat -c %a "$nets/default.xml" 2>/dev/null)
if [ "$mode" = 600 ]; then
	echo "ok $n the definition is $nets/default.xml, mode 0600"
else
	fails=$((fails + 1))
	echo "not ok $n the definition is $nets/default.xml, mode 0600 # mode '$mode'"
fi
expect "net-list shows it inactive (not by default)" 0 \
	'^ Name   State   Autostart   Persistent$' '^-\{40\}$' -- net-list
expect "net-list --all shows it inactive and persistent" 0 \
	'^ Name      State      Autostart   Persistent$' '^-\{46\}$' \
	'^ default   inactive   no          yes$' -- net-list --all
expect "net-list --inactive --name" 0 '^default$' -- net-list --inactive --name
expect "net-list --all --uuid" 0 "^$uuid$" -- net-list --all --uuid
expect "net-dumpxml: canonical, with a generated bridge and MAC" 0 \
	'^<network>$' '^  <name>default</name>$' "^  <uuid>$uuid</uuid>$" \
	"^  <forward mode='nat'/>$" \
	"^  <bridge name='kestrel[0-9]*' stp='on' delay='0'/>$" \
	"^  <mac address='52:54:00:[0-9a-f:]*'/>$" \
	"^  <ip address='192.168.150.1' netmask='255.255.255.0'>$" \
	'^    <dhcp>$' \
	"^      <range start='192.168.150.2' end='192.168.150.254'/>$" \
	"^      <host mac='52:54:00:aa:00:01' name='web' ip='192.168.150.10'/>$" \
	'^    </dhcp>$' '^  </ip>$' '^</network>$' -- net-dumpxml default
expect "net-dumpxml by UUID" 0 '^  <name>default</name>$' -- net-dumpxml "$uuid"
expect "net-info" 0 '^Name:           default$' "^UUID:           $uuid$" \
	'^Active:         no$' '^Persistent:     yes$' '^Autostart:      no$' \
	'^Bridge:         kestrel[0-9]*$' -- net-info default
expect "net-uuid" 0 "^$uuid$" -- net-uuid default
expect "net-name" 0 '^default$' -- net-name "$uuid"

# Redefining from net-dumpxml's output changes nothing.
"$kestrel" net-dumpxml default >"$tmp/dump.xml" 2>/dev/null
cp "$nets/default.xml" "$tmp/before.xml"
expect "redefine from net-dumpxml" 0 "^Network default defined from $tmp/dump.xml$" \
	-- net-define "$tmp/dump.xml"
n=$((n + 1))
if cmp -s "$tmp/before.xml" "$nets/default.xml"; then
	echo "ok $n the redefinition is byte for byte the same"
else
	fails=$((fails + 1))
	echo "not ok $n the redefinition is byte for byte the same"
fi

sed "s|<uuid>.*</uuid>|<uuid>0b7c5d3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f</uuid>|" \
	"$tmp/default.xml" >"$tmp/other-uuid.xml"
expect "same name, another UUID" 1 \
	"^error: Failed to define network from $tmp/other-uuid.xml$" \
	"^error: operation failed: network 'default' already exists with uuid $uuid$" \
	-- net-define "$tmp/other-uuid.xml"
sed "s|<name>default</name>|<name>other</name>|" "$tmp/default.xml" >"$tmp/other-name.xml"
expect "same UUID, another name" 1 \
	"^error: Failed to define network from $tmp/other-name.xml$" \
	"^error: operation failed: network 'default' is already defined with uuid $uuid$" \
	-- net-define "$tmp/other-name.xml"

cat >"$tmp/route.xml" <<EOF
<network>
  <name>routed</name>
  <forward mode='route'/>
  <ip address='10.20.0.1' prefix='24'/>
</network>
EOF
expect "forward mode='route' is refused, naming it" 1 \
	"^error: Failed to define network from $tmp/route.xml$" \
	"^error: $tmp/route.xml: unsupported forward mode 'route' in <forward> at line 3: Kestrel networks are NAT (<forward mode='nat'/>) or isolated (no <forward>)$" \
	-- net-define "$tmp/route.xml"
cat >"$tmp/v6.xml" <<EOF
<network>
  <name>v6</name>
  <ip family='ipv6' address='fd00::1' prefix='64'/>
</network>
EOF
expect "IPv6 is refused" 1 \
	"^error: $tmp/v6.xml: unsupported <ip> family 'ipv6' at line 3: Kestrel networks are IPv4 only$" \
	-- net-define "$tmp/v6.xml"
expect "a file that does not exist" 1 \
	"^error: Failed to define network from $tmp/none.xml$" \
	"^error: cannot open $tmp/none.xml: No such file or directory$" \
	-- net-define "$tmp/none.xml"

cat >"$tmp/iso.xml" <<EOF
<network>
  <name>iso</name>
  <bridge name='kiso0'/>
  <ip address='10.30.0.1' prefix='24'/>
</network>
EOF
expect "an isolated network" 0 "^Network iso defined from $tmp/iso.xml$" \
	-- net-define "$tmp/iso.xml"
expect "net-list --all --name, sorted" 0 '^default$' '^iso$' -- net-list --all --name

expect "net-info of an unknown network" 1 "^error: failed to get network 'nope'$" \
	"^error: Network not found: no network with matching name 'nope'$" -- net-info nope
expect "net-destroy of an inactive network" 1 \
	'^error: Failed to destroy network iso$' \
	"^error: Requested operation is not valid: network 'iso' is not active$" \
	-- net-destroy iso
expect "net-dhcp-leases of a network that never ran" 0 \
	'^ Expiry Time   MAC address   Protocol   IP address   Hostname   Client ID or DUID$' \
	-- net-dhcp-leases default

# <interface type='network'>: refused by create before the module is needed.
cat >"$tmp/dom.xml" <<EOF
<domain type='kestrel'>
  <name>netdom</name>
  <memory unit='MiB'>64</memory>
  <os><type>hvm</type><kernel>/nonexistent/vmlinuz</kernel></os>
  <devices>
    <interface type='network'>
      <source network='NETWORK'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
EOF
sed 's/NETWORK/iso/' "$tmp/dom.xml" >"$tmp/dom-iso.xml"
sed 's/NETWORK/nowhere/' "$tmp/dom.xml" >"$tmp/dom-nowhere.xml"
expect "create on an inactive network" 1 \
	"^error: Failed to create domain from $tmp/dom-iso.xml$" \
	"^error: Requested operation is not valid: network 'iso' is not active$" \
	-- create "$tmp/dom-iso.xml"
expect "create on an unknown network" 1 \
	"^error: Failed to create domain from $tmp/dom-nowhere.xml$" \
	"^error: Network not found: no network with matching name 'nowhere'$" \
	-- create "$tmp/dom-nowhere.xml"

expect "net-undefine" 0 '^Network iso has been undefined$' -- net-undefine iso
expect "net-undefine again" 1 "^error: failed to get network 'iso'$" \
	"^error: Network not found: no network with matching name 'iso'$" -- net-undefine iso
expect "net-undefine by UUID" 0 '^Network default has been undefined$' \
	-- net-undefine "$uuid"
expect "net-list --all is empty again" 0 '^ Name   State   Autostart   Persistent$' \
	-- net-list --all
n=$((n + 1))
if [ -z "$(ls -A "$nets")" ]; then
	echo "ok $n nothing is left in $nets"
else
	fails=$((fails + 1))
	echo "not ok $n nothing is left in $nets # $(ls -A "$nets")"
fi
[ $fails -eq 0 ]
