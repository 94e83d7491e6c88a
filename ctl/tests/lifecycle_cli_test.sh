#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The lifecycle commands' command line, natively (no module needed): help
# and virsh's wording of define, undefine, start, shutdown, reboot, reset
# and event; and the definitions directory, which define and undefine
# manage without the module (KESTREL_CONFIG_DIR points at a temporary
# directory).  Everything that needs a running domain is in
# selftests/lifecycle_test.sh.
set -u
. "$(dirname "$0")/expect.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kestrel-lifecycle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
KESTREL_CONFIG_DIR=$tmp/defs
export KESTREL_CONFIG_DIR
defs=$KESTREL_CONFIG_DIR

# check NAME COMMAND...: one TAP line from COMMAND's status.
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		fails=$((fails + 1))
		echo "not ok $n $name"
	fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

echo "TAP version 13"

# ---- help and option wording ----

expect "--help lists the lifecycle verbs" 0 \
	"^ Domain Management (help keyword 'domain')$" \
	"^    define  *define (but don't start) a domain from an XML file$" \
	'^    reboot  *reboot a domain$' \
	'^    reset  *reset a domain$' \
	'^    shutdown  *gracefully shutdown a domain$' \
	'^    start  *start a (previously defined) inactive domain$' \
	'^    undefine  *undefine a domain$' \
	"^ Domain Events (help keyword 'events')$" \
	'^    event  *Domain Events$' -- --help
expect "help shutdown marks --wait and --timeout as Kestrel extensions" 0 \
	'^    shutdown <domain> \[--mode <string>\] \[--wait\] \[--timeout <string>\]$' \
	'^    --wait .*(Kestrel extension)$' \
	'^    --timeout .*(Kestrel extension)$' -- help shutdown
expect "help start shows --console and --paused" 0 \
	'^    start <domain> \[--console\] \[--paused\]$' -- help start
expect "help event shows virsh's options" 0 \
	'^    event \[<domain>\] \[--event <string>\] \[--all\] \[--loop\] \[--timeout <string>\] \[--list\] \[--timestamp\]$' \
	-- help event
expect "help dumpxml shows --inactive" 0 '^    dumpxml <domain> \[--inactive\]$' \
	-- help dumpxml

for cmd in start undefine shutdown reboot reset; do
	expect "$cmd without a domain" 1 \
		"^error: command '$cmd' requires <domain> option$" -- "$cmd"
done
expect "define without a file" 1 "^error: command 'define' requires <file> option$" \
	-- define
expect "start --bogus" 1 "^error: command 'start' doesn't support option --bogus$" \
	-- start web --bogus
expect "shutdown --timeout needs --wait" 1 \
	'^error: Option --wait is required by option --timeout$' \
	-- shutdown web --timeout 5
expect "shutdown --timeout 0 is out of range" 1 \
	"^error: Numeric value '0' for <timeout> option is malformed or out of range$" \
	-- shutdown web --wait --timeout 0
expect "shutdown --timeout must be a number" 1 \
	"^error: Numeric value '5s' for <timeout> option is malformed or out of range$" \
	-- shutdown web --wait --timeout 5s
expect "shutdown --mode of an unknown mode" 1 \
	"^error: Unknown mode bogus value, expecting 'acpi', 'agent', 'initctl', 'signal' or 'paravirt'$" \
	-- shutdown web --mode bogus
expect "reboot --mode agent is not Kestrel's" 1 \
	"^error: Failed to reboot domain 'web'$" \
	"^error: Operation not supported: Kestrel reboots domains through ACPI only, not with mode 'agent'$" \
	-- reboot web --mode agent
expect "reboot has no --wait" 1 "^error: command 'reboot' doesn't support option --wait$" \
	-- reboot web --wait

expect "event needs --event, --all or --list" 1 \
	'^error: one of --list, --all, or --event <type> is required$' -- event
expect "event --list names the event types" 0 '^lifecycle$' '^reboot$' '^io-error$' \
	-- event --list
expect "event --all and --event are exclusive" 1 \
	'^error: Options --all and --event are mutually exclusive$' \
	-- event --all --event lifecycle
expect "event --list and --all are exclusive" 1 \
	'^error: Options --list and --all are mutually exclusive$' \
	-- event --list --all
expect "event of an unknown type" 1 '^error: unknown event type bogus$' \
	-- event --event bogus
expect "event --timeout must be a positive number" 1 \
	"^error: Numeric value '-1' for <timeout> option is malformed or out of range$" \
	-- event --all --timeout -1

# ---- define and undefine: the definitions directory ----

kernel=$(readlink -f /vmlinuz 2>/dev/null || true)
[ -r "$kernel" ] || kernel=$(ls /boot/vmlinuz-* 2>/dev/null | tail -n 1)
if [ ! -r "$kernel" ]; then
	for i in $(seq 31); do
		skip "define needs a kernel image to validate; none is readable here"
	done
	echo "1..$n"
	[ $fails -eq 0 ]
	exit
fi
sed "s|<kernel>/vmlinuz</kernel>|<kernel>$kernel</kernel>|" \
	"$top/examples/linux.xml" >"$tmp/linux.xml"

expect "define prints virsh's message" 0 \
	"^Domain 'linux' defined from $tmp/linux.xml\$" -- define "$tmp/linux.xml"
check "define keeps NAME.xml, mode 0600, in a new 0700 directory" \
	test "$(stat -c %a "$defs/linux.xml" 2>/dev/null)-$(stat -c %a "$defs" 2>/dev/null)" = 600-700
check "define generated a UUID and wrote the canonical form" \
	grep -q '^  <uuid>[0-9a-f-]\{36\}</uuid>$' "$defs/linux.xml"
check "define sends the lifecycle actions it keeps" \
	grep -q '^  <on_reboot>restart</on_reboot>$' "$defs/linux.xml"
uuid=$(sed -n 's|^  <uuid>\(.*\)</uuid>$|\1|p' "$defs/linux.xml")

cp "$defs/linux.xml" "$tmp/same.xml"
sed -i 's|<vcpu placement=.static.>1</vcpu>|<vcpu>2</vcpu>|' "$tmp/same.xml"
expect "redefining with the same UUID replaces the definition" 0 \
	"^Domain 'linux' defined from $tmp/same.xml\$" -- define "$tmp/same.xml"
check "the replaced definition has the new settings" \
	grep -q "^  <vcpu placement='static'>2</vcpu>\$" "$defs/linux.xml"
expect "the same name with another UUID is refused" 1 \
	"^error: Failed to define domain from $tmp/linux.xml\$" \
	"^error: operation failed: domain 'linux' already exists with uuid $uuid\$" \
	-- define "$tmp/linux.xml"
sed "s|<name>linux</name>|<name>other</name>|" "$defs/linux.xml" >"$tmp/other.xml"
expect "the same UUID with another name is refused" 1 \
	"^error: operation failed: domain 'linux' is already defined with uuid $uuid\$" \
	-- define "$tmp/other.xml"

sed "s|</os>|</os><on_reboot>rename-restart</on_reboot>|" "$tmp/linux.xml" \
	| sed "s|<name>linux</name>|<name>bad</name>|" >"$tmp/rename.xml"
expect "an action Kestrel cannot do is refused naming the element" 1 \
	"^error: Failed to define domain from $tmp/rename.xml\$" \
	"<on_reboot> action 'rename-restart' is not supported" \
	-- define "$tmp/rename.xml"
sed "s|</devices>|<rng model='virtio'><backend model='random'>/dev/urandom</backend><rate bytes='2048'/></rng></devices>|; s|<name>linux</name>|<name>rng</name>|; /<uuid>/d" \
	"$tmp/linux.xml" >"$tmp/rng.xml"
"$kestrel" define "$tmp/rng.xml" >/dev/null 2>&1
check "define keeps an <rng> with the PCI address it was given" \
	sh -c "tr -d '\n' <'$defs/rng.xml' | grep -q \"<rng model='virtio'>  *<rate bytes='2048'/>  *<backend model='random'>/dev/urandom</backend>  *<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>  *</rng>\"" 
"$kestrel" undefine rng >/dev/null 2>&1
sed "s|<backend model='random'>/dev/urandom</backend>|<backend model='egd' type='pty'/>|; s|<name>rng</name>|<name>bad</name>|" \
	"$tmp/rng.xml" >"$tmp/egd.xml"
expect "an egd <rng> backend is refused, saying why" 1 \
	"^error: Failed to define domain from $tmp/egd.xml\$" \
	"<rng> backend model 'egd' is not supported at line" \
	-- define "$tmp/egd.xml"
# <disk>: define does not open the file; create opens it first.
disk="<disk type='file' device='disk'><driver name='qemu' type='raw' cache='CACHE'/><source file='SRC'/><target dev='vdb' bus='virtio'/><serial>web-01</serial></disk>"
disk_xml() {	# disk_xml NAME TYPE SRC CACHE
	printf '%s' "$disk" | sed "s|type='file'|type='$2'|; s|SRC|$3|; s|CACHE|$4|; s|source file=|source $( [ "$2" = block ] && echo dev || echo file)=|" >"$tmp/disk.frag"
	sed "s|</devices>|$(cat "$tmp/disk.frag")</devices>|; s|<name>linux</name>|<name>$1</name>|; /<uuid>/d" \
		"$tmp/linux.xml" >"$tmp/$1.xml"
}
disk_xml disk file "$tmp/nosuch.img" none
"$kestrel" define "$tmp/disk.xml" >/dev/null 2>&1
check "define keeps a <disk> (not opened) in libvirt's form, with a PCI address" \
	sh -c "tr -d '\n' <'$defs/disk.xml' | grep -q \"<devices>    <disk type='file' device='disk'>  *<driver name='qemu' type='raw' cache='none'/>  *<source file='$tmp/nosuch.img'/>  *<target dev='vdb' bus='virtio'/>  *<serial>web-01</serial>  *<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>  *</disk>\""
"$kestrel" undefine disk >/dev/null 2>&1
expect "create names a missing disk file in libvirt's words" 1 \
	"^error: Failed to create domain from $tmp/disk.xml\$" \
	"^error: Cannot access storage file '$tmp/nosuch.img': No such file or directory\$" \
	-- create "$tmp/disk.xml"
expect "create --paused opens the disks first too" 1 \
	"^error: Cannot access storage file '$tmp/nosuch.img': No such file or directory\$" \
	-- create "$tmp/disk.xml" --paused
disk_xml odirect file /proc/self/comm none
expect "cache='none' on a filesystem without O_DIRECT says so" 1 \
	"^error: Failed to create domain from $tmp/odirect.xml\$" \
	"^error: Cannot open storage file '/proc/self/comm' with cache='none': cache='none' needs a filesystem with O_DIRECT" \
	-- create "$tmp/odirect.xml"
truncate -s 1M "$tmp/plain.img"
disk_xml notblk block "$tmp/plain.img" writeback
expect "a <disk type='block'> on a regular file is refused" 1 \
	"^error: '$tmp/plain.img' is not a block device: <disk type='block'> needs one" \
	-- create "$tmp/notblk.xml"
mkdir "$tmp/dir.img"
disk_xml isdir file "$tmp/dir.img" writeback
expect "a directory is no disk image" 1 \
	"^error: Cannot access storage file '$tmp/dir.img': Is a directory\$" \
	-- create "$tmp/isdir.xml"
sed "s|<serial>web-01</serial>|<boot order='1'/>|" "$tmp/isdir.xml" >"$tmp/boot.xml"
expect "an unsupported <disk> child is refused naming it" 1 \
	"^error: Failed to define domain from $tmp/boot.xml\$" \
	"unsupported element <boot> at line" \
	-- define "$tmp/boot.xml"
# <interface>: define opens nothing and keeps a generated MAC; create
# refuses type='network' on an unknown network and a missing managed='no'
# tap before anything.
net_xml() {	# net_xml NAME FRAGMENT
	sed "s|</devices>|$2</devices>|; s|<name>linux</name>|<name>$1</name>|; /<uuid>/d" \
		"$tmp/linux.xml" >"$tmp/$1.xml"
}
net_xml nic "<interface type='bridge'><source bridge='kestrelnobr0'/><model type='virtio'/><driver queues='2'/></interface>"
"$kestrel" define "$tmp/nic.xml" >/dev/null 2>&1
check "define keeps an <interface> in libvirt's form, a 52:54:00 MAC and a PCI address" \
	sh -c "tr -d '\n' <'$defs/nic.xml' | grep -q \"<interface type='bridge'>  *<mac address='52:54:00:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]'/>  *<source bridge='kestrelnobr0'/>  *<model type='virtio'/>  *<driver queues='2'/>  *<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>  *</interface>\""
mac1=$(sed -n "s|.*<mac address='\(.*\)'/>.*|\1|p" "$defs/nic.xml")
"$kestrel" define "$defs/nic.xml" >/dev/null 2>&1
check "redefining from the definition keeps its MAC" \
	grep -q "<mac address='$mac1'/>" "$defs/nic.xml"
"$kestrel" undefine nic >/dev/null 2>&1
net_xml natnet "<interface type='network'><source network='default'/><model type='virtio'/></interface>"
expect "create refuses type='network' on an unknown network before anything" 1 \
	"^error: Failed to create domain from $tmp/natnet.xml\$" \
	"^error: Network not found: no network with matching name 'default'\$" \
	-- create "$tmp/natnet.xml"
net_xml unmanaged "<interface type='ethernet'><target dev='kestrelnotap0' managed='no'/><model type='virtio'/></interface>"
expect "create needs a managed='no' tap to exist, in libvirt's words" 1 \
	"^error: Failed to create domain from $tmp/unmanaged.xml\$" \
	"^error: target managed='no' but specified dev 'kestrelnotap0' doesn't exist\$" \
	-- create "$tmp/unmanaged.xml"
net_xml e1000 "<interface type='ethernet'><model type='e1000'/></interface>"
expect "an emulated NIC model is refused naming it and its line" 1 \
	"^error: Failed to define domain from $tmp/e1000.xml\$" \
	"unsupported <interface> model 'e1000' at line" \
	-- define "$tmp/e1000.xml"
head -c 4096 "$kernel" >"$tmp/truncated"
sed "s|<kernel>[^<]*</kernel>|<kernel>$tmp/truncated</kernel>|; s|<name>linux</name>|<name>bad</name>|" \
	"$tmp/linux.xml" >"$tmp/trunc.xml"
expect "a broken kernel is refused at define time" 1 \
	"^error: Failed to define domain from $tmp/trunc.xml\$" 'truncated' \
	-- define "$tmp/trunc.xml"
check "refused definitions leave no file behind" \
	test "$(ls -A "$defs")" = "linux.xml"
KESTREL_CONFIG_DIR=/proc/kestrel-nowhere expect "an unwritable directory is an error" 1 \
	"^error: Failed to define domain from $tmp/linux.xml\$" \
	'^error: cannot create directory /proc/kestrel-nowhere' -- define "$tmp/linux.xml"

expect "undefine of an unknown domain" 1 "^error: failed to get domain 'nosuch'$" \
	"^error: Domain not found: no domain with matching name 'nosuch'$" \
	-- undefine nosuch
expect "undefine prints virsh's message" 0 "^Domain 'linux' has been undefined$" \
	-- undefine linux
check "undefine removed the file" test ! -e "$defs/linux.xml"
"$kestrel" define "$tmp/same.xml" >/dev/null 2>&1
expect "undefine by UUID" 0 "^Domain '$uuid' has been undefined$" -- undefine "$uuid"

# ---- what needs the module ----

if [ -e /sys/module/kestrel ]; then
	skip "module not loaded: the module is loaded here"
else
	"$kestrel" define "$tmp/same.xml" >/dev/null 2>&1
	fail_all=0
	for args in "start linux" "shutdown linux" "reboot linux" "reset linux" \
		    "list --all" "dominfo linux" "dumpxml linux" "domstate linux" \
		    "event --all"; do
		# shellcheck disable=SC2086
		out=$("$kestrel" $args 2>&1) && fail_all=1
		printf '%s\n' "$out" | grep -q '^error: failed to connect to the hypervisor$' ||
			fail_all=1
	done
	check "every other lifecycle command needs the module, as virsh its hypervisor" \
		test $fail_all -eq 0
fi

echo "1..$n"
[ $fails -eq 0 ]
