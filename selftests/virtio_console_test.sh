#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-console (<console type='pty'><target type='virtio'/>): the guest's
# hvc0 writes into the same console stream as its serial port, and host
# input typed into `kestrel console` reaches hvc0 (kestrel.test=hvc).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-vcon.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=5
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
dom=vcon$$
hold=
cleanup() {
	"$kestrel" destroy "$dom" >/dev/null 2>&1
	[ -n "$hold" ] && kill "$hold" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs virtio-console

cat >"$tmp/$dom.xml" <<X
<domain type='kestrel'>
  <name>$dom</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet kestrel.test=hvc</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <serial type='pty'/>
    <console type='pty'><target type='virtio'/></console>
  </devices>
</domain>
X
if out=$("$kestrel" create "$tmp/$dom.xml" 2>&1); then
	ok "a domain with a serial port and a virtio console is created"
else
	not_ok "a domain with a serial port and a virtio console is created # $out"
	skip_all "no domain"
fi
dump() { "$kestrel" console "$dom" --dump 2>/dev/null | tr -d '\r' >"$tmp/con"; }
i=0
while [ $i -lt "$limit" ]; do
	dump
	grep -q "^hvc: up" "$tmp/con" && break
	grep -q "^hvc: no /dev/hvc0" "$tmp/con" && break
	sleep 1
	i=$((i + 1))
done
if grep -q "^hvc: up" "$tmp/con" && grep -q "^Kestrel guest: up" "$tmp/con"; then
	ok "hvc0's output and the serial port's share the console stream"
else
	not_ok "hvc0's output and the serial port's share the console stream # $(grep -E '^(hvc|Kestrel)' "$tmp/con" | tr '\n' '|')"
fi
# Type a line into the console, as a user of `kestrel console` would.
mkfifo "$tmp/in"
sleep 100 >"$tmp/in" &
hold=$!
"$kestrel" console "$dom" <"$tmp/in" >/dev/null 2>&1 &
printf 'hello-from-the-host\r' >"$tmp/in"
i=0
while [ $i -lt 60 ]; do
	dump
	grep -q "^hvc: got\|^hvc: no input" "$tmp/con" && break
	sleep 1
	i=$((i + 1))
done
if grep -q "^hvc: got hello-from-the-host" "$tmp/con"; then
	ok "a line typed into kestrel console reaches the guest's hvc0"
else
	not_ok "a line typed into kestrel console reaches the guest's hvc0 # $(grep '^hvc:' "$tmp/con" | tr '\n' '|')"
fi
i=0
while [ $i -lt 60 ] && [ "$("$kestrel" domstate "$dom" 2>/dev/null)" != "shut off" ]; do
	sleep 1
	i=$((i + 1))
done
reason=$("$kestrel" domstate "$dom" --reason 2>/dev/null)
if [ "$reason" = "shut off (shutdown)" ]; then
	ok "then it powers off: $reason"
else
	not_ok "then it powers off # '$reason'"
fi
if "$kestrel" dumpxml "$dom" | grep -q "<target type='virtio' port='1'/>"; then
	ok "dumpxml shows the virtio console (port 1, after the serial's)"
else
	not_ok "dumpxml shows the virtio console # $("$kestrel" dumpxml "$dom" | grep -A3 '<console' | tr '\n' ' ')"
fi
[ $fails -eq 0 ]
