#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-kernel virtio devices seen by an unmodified Linux guest (Debian's
# kernel and the test initramfs, kestrel.test=rng): the PCI host bridge,
# virtio-pci with MSI-X, and virtio-rng.  One domain has an <rng>, one has
# none; both power off by themselves and stay (on_poweroff preserve) so
# their consoles can be read.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-virtio.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=7
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
cleanup() {
	"$kestrel" destroy vio-rng$$ >/dev/null 2>&1
	"$kestrel" destroy vio-none$$ >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs virtio-rng

# xml NAME DEVICES
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
    <cmdline>console=ttyS0 quiet kestrel.test=rng</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <console type='pty'/>
$2
  </devices>
</domain>
X
}
xml vio-rng$$ "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
xml vio-none$$ ""

created=
for d in vio-rng$$ vio-none$$; do
	if out=$("$kestrel" create "$tmp/$d.xml" 2>&1); then
		created="$created $d"
	else
		echo "# create $d: $out"
	fi
done
case $created in
*vio-rng$$*) ok "a domain with <rng model='virtio'> is created" ;;
*) not_ok "a domain with <rng model='virtio'> is created # $out" ;;
esac

# Both power off by themselves after the rng lines.
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$limit" ]; do
	sleep 2
	done_all=1
	for d in $created; do
		case $("$kestrel" domstate "$d" 2>/dev/null) in
		"shut off" | crashed) ;;
		*) done_all=0 ;;
		esac
	done
	[ $done_all = 1 ] && break
done
for d in vio-rng$$ vio-none$$; do
	"$kestrel" console "$d" --dump 2>/dev/null | tr -d '\r' >"$tmp/$d.con"
done

con=$tmp/vio-rng$$.con
if grep -q "^rng: current virtio_rng" "$con"; then
	ok "the guest's hw_random source is virtio_rng ($(grep '^rng: current' "$con"))"
else
	not_ok "the guest's hw_random source is virtio_rng # $(grep '^rng:' "$con" | tr '\n' '|') console ends: $(tail -n 3 "$con" | tr '\n' '|')"
fi
set -- $(sed -n 's/^rng: read //p' "$con" | head -n 1)
if [ "${1:-}" = 4096 ] && [ -n "${2:-}" ] && [ "${2:-}" != "${3:-}" ]; then
	ok "the guest reads 4096 bytes from /dev/hwrng twice, and they differ"
else
	not_ok "the guest reads 4096 bytes from /dev/hwrng twice, and they differ # $(grep '^rng: read' "$con")"
fi
reason=$("$kestrel" domstate vio-rng$$ --reason 2>/dev/null)
if [ "$reason" = "shut off (shutdown)" ]; then
	ok "then it powers off: $reason"
else
	not_ok "then it powers off # state '$reason' after $(($(date +%s) - start)) s"
fi
"$kestrel" dumpxml vio-rng$$ >"$tmp/dump.xml" 2>&1
if grep -q "<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>" "$tmp/dump.xml" &&
	grep -q "<backend model='random'>/dev/urandom</backend>" "$tmp/dump.xml"; then
	ok "dumpxml of the live domain shows the rng with its PCI address (slot 0x01)"
else
	not_ok "dumpxml of the live domain shows the rng with its PCI address # $(grep -A4 '<rng' "$tmp/dump.xml" | tr '\n' ' ')"
fi

con=$tmp/vio-none$$.con
if grep -q "^rng: current none" "$con" && grep -q "^rng: read failed" "$con"; then
	ok "without <rng> the guest has no hw_random source"
else
	not_ok "without <rng> the guest has no hw_random source # $(grep '^rng:' "$con" | tr '\n' '|')"
fi

# Two devices in one slot: refused before anything is created.
xml vio-bad$$ "    <rng model='virtio'><backend model='builtin'/><address type='pci' slot='0x03'/></rng>
    <rng model='virtio'><backend model='builtin'/><address type='pci' slot='0x03'/></rng>"
out=$("$kestrel" create "$tmp/vio-bad$$.xml" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "already taken" &&
	! "$kestrel" domstate vio-bad$$ >/dev/null 2>&1; then
	ok "two devices in one PCI slot are refused: $(printf '%s' "$out" | head -n 1)"
else
	not_ok "two devices in one PCI slot are refused # rc $rc: $out"
	"$kestrel" destroy vio-bad$$ >/dev/null 2>&1
fi
[ $fails -eq 0 ]
