#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-blk seen by an unmodified Linux guest (Debian's kernel and the
# test initramfs, kestrel.test=disk): the guest formats a raw file disk,
# writes a file and powers off; the host reads that file out of the image
# (debugfs) and checks it; a second boot reads it back.  A read-only disk
# shows as such and the device refuses a write the guest forces through.
# With cache='none' on a block device the requests go asynchronously
# (O_DIRECT, several in flight): the same format, write and read back.
# A backend error is an I/O error in the guest and an io-error event on
# the host.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=${TMPDIR:-/tmp}/kestrel-vblk.$$
limit=${KESTREL_LINUX_BOOT_TIMEOUT:-300}
plan=13
mkdir -p "$tmp"
. "$top/selftests/linux_lib.sh"
doms=
cleanup() {
	for d in $doms; do "$kestrel" destroy "$d" >/dev/null 2>&1; done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..$plan"
linux_prereqs virtio-blk
command -v debugfs >/dev/null || skip_all "no debugfs (e2fsprogs) to read the guest's file out of the image"

# xml NAME OP DISK_XML
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
    <cmdline>console=ttyS0 quiet kestrel.test=disk kestrel.disk=$2</cmdline>
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
disk() { # FILE [extra elements]
	echo "    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='writeback'/>
      <source file='$1'/>
      <target dev='vda' bus='virtio'/>${2:-}
    </disk>"
}
# boot NAME: create it and wait until it is shut off (or crashed); its
# console in $tmp/NAME.con.
boot() {
	if ! "$kestrel" create "$tmp/$1.xml" >"$tmp/$1.create" 2>&1; then
		: >"$tmp/$1.con"
		return 1
	fi
	doms="$doms $1"
	wait_stopped "$1" "$tmp/$1.con"
	"$kestrel" destroy "$1" >/dev/null 2>&1
	return 0
}
why() { # NAME: what the console or create said
	printf '%s' "$(cat "$tmp/$1.create" 2>/dev/null | tr '\n' ' ')$(grep -E '^disk:|virtio|Kernel panic' "$tmp/$1.con" | tail -n 3 | tr '\n' '|')"
}

img=$tmp/disk.img
ro=$tmp/ro.img
truncate -s 64M "$img"
truncate -s 16M "$ro"
xml vblk-w$$ write "$(disk "$img" "
      <serial>KESTREL-TEST</serial>")"
xml vblk-ro$$ rowrite "$(disk "$ro" "
      <readonly/>")"
boot vblk-w$$ &
wpid=$!
boot vblk-ro$$
wait $wpid

con=$tmp/vblk-w$$.con
if grep -q "^disk: vda 131072 sectors, ro 0, serial KESTREL-TEST" "$con"; then
	ok "the guest sees a 64 MiB virtio disk, writable, with its <serial>"
else
	not_ok "the guest sees a 64 MiB virtio disk, writable, with its <serial> # $(why vblk-w$$)"
fi
sum=$(sed -n 's/^disk: wrote //p' "$con" | head -n 1)
if [ -n "$sum" ]; then
	ok "the guest formats it (ext2), writes 1 MiB to /data and powers off"
else
	not_ok "the guest formats it (ext2), writes 1 MiB to /data and powers off # $(why vblk-w$$)"
fi
host=$(debugfs -R "cat /data" "$img" 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -n "$sum" ] && [ "$host" = "$sum" ]; then
	ok "the host reads the same 1 MiB out of the image (sha256 ${sum%"${sum#????????????????}"})"
else
	not_ok "the host reads the same 1 MiB out of the image # guest ${sum:-none}, host $host"
fi
xml vblk-r$$ read "$(disk "$img")"
boot vblk-r$$
got=$(sed -n 's/^disk: read //p' "$tmp/vblk-r$$.con" | head -n 1)
if [ -n "$sum" ] && [ "$got" = "$sum" ]; then
	ok "a second boot reads the file back unchanged"
else
	not_ok "a second boot reads the file back unchanged # wrote ${sum:-none}, read ${got:-none}: $(why vblk-r$$)"
fi

con=$tmp/vblk-ro$$.con
if grep -q "^disk: vda 32768 sectors, ro 1" "$con"; then
	ok "a <readonly/> disk shows read-only in the guest"
else
	not_ok "a <readonly/> disk shows read-only in the guest # $(why vblk-ro$$)"
fi
if grep -q "^disk: ro write refused" "$con"; then
	ok "a write forced through to the read-only disk fails in the guest"
else
	not_ok "a write forced through to the read-only disk fails in the guest # $(why vblk-ro$$)"
fi
if cmp -s -n 4096 "$ro" /dev/zero; then
	ok "...and the image is untouched"
else
	not_ok "...and the image is untouched # its first 4 KiB are not all zero"
fi

# A backend that fails: device-mapper's error target from 1 MiB on, over
# a loop device.  The failing read is an I/O error in the guest, and the
# disk goes on working.
eio_skip=
modprobe dm-mod 2>/dev/null
modprobe loop 2>/dev/null
if ! command -v dmsetup >/dev/null || ! command -v losetup >/dev/null; then
	eio_skip="no dmsetup or losetup"
elif ! truncate -s 1M "$tmp/lo.img" || ! loop=$(losetup -f --show "$tmp/lo.img" 2>/dev/null); then
	eio_skip="no loop device"
elif ! printf '0 2048 linear %s 0\n2048 2048 error\n' "$loop" |
	dmsetup create "kestrel-eio$$" 2>/dev/null; then
	eio_skip="device-mapper refused an error target"
	losetup -d "$loop"
else
	# No udev in the test host: make the /dev/mapper node ourselves.
	dmsetup mknodes "kestrel-eio$$" 2>/dev/null
fi
if [ -n "$eio_skip" ]; then
	n=$((n + 1))
	echo "ok $n # SKIP a failing backend: $eio_skip"
	n=$((n + 1))
	echo "ok $n # SKIP an io-error event: $eio_skip"
else
	xml vblk-eio$$ eio "    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source dev='/dev/mapper/kestrel-eio$$'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
	# Listening before the domain exists: no --domain filter.
	"$kestrel" event --event io-error --loop --timeout "$limit" \
		>"$tmp/eio.events" 2>&1 &
	evpid=$!
	sleep 1
	boot vblk-eio$$
	if grep -q "^disk: eio 4096 error 4096" "$tmp/vblk-eio$$.con"; then
		ok "a backend I/O error is an I/O error in the guest, and the disk goes on"
	else
		not_ok "a backend I/O error is an I/O error in the guest, and the disk goes on # $(why vblk-eio$$)"
	fi
	kill "$evpid" 2>/dev/null
	wait "$evpid" 2>/dev/null
	want="event 'io-error' for domain 'vblk-eio$$': /dev/mapper/kestrel-eio$$ (virtio-disk0) report"
	if grep -qxF "$want" "$tmp/eio.events"; then
		ok "...and an io-error event on the host names the disk"
	else
		not_ok "...and an io-error event on the host names the disk # got: $(tr '\n' '|' <"$tmp/eio.events")"
	fi
	dmsetup remove "kestrel-eio$$" 2>/dev/null
	losetup -d "$loop"
fi

# cache='none' (O_DIRECT) on a block device, a loop device over an image:
# the device's requests complete asynchronously, in the loop device's
# completion context, several in flight while the guest formats the disk
# and writes back its page cache.  A second boot reads the file back.
dio_skip=
if ! command -v losetup >/dev/null; then
	dio_skip="no losetup"
elif ! truncate -s 64M "$tmp/dio.img" ||
	! dloop=$(losetup -f --show "$tmp/dio.img" 2>/dev/null); then
	dio_skip="no loop device"
fi
if [ -n "$dio_skip" ]; then
	n=$((n + 1))
	echo "ok $n # SKIP O_DIRECT on a block device: $dio_skip"
	n=$((n + 1))
	echo "ok $n # SKIP O_DIRECT on a block device: $dio_skip"
else
	ddisk="    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source dev='$dloop'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
	xml vblk-dw$$ write "$ddisk"
	boot vblk-dw$$
	dsum=$(sed -n 's/^disk: wrote //p' "$tmp/vblk-dw$$.con" | head -n 1)
	if [ -n "$dsum" ]; then
		ok "cache='none' on a block device: the guest formats it, writes 1 MiB and powers off"
	else
		not_ok "cache='none' on a block device: the guest formats it, writes 1 MiB and powers off # $(why vblk-dw$$)"
	fi
	xml vblk-dr$$ read "$ddisk"
	boot vblk-dr$$
	dgot=$(sed -n 's/^disk: read //p' "$tmp/vblk-dr$$.con" | head -n 1)
	if [ -n "$dsum" ] && [ "$dgot" = "$dsum" ]; then
		ok "...and a second boot reads the file back unchanged"
	else
		not_ok "...and a second boot reads the file back unchanged # wrote ${dsum:-none}, read ${dgot:-none}: $(why vblk-dr$$)"
	fi
	losetup -d "$dloop"
fi

# Bad backends: refused before anything is created.
xml vblk-missing$$ write "$(disk "$tmp/no-such.img")"
out=$("$kestrel" create "$tmp/vblk-missing$$.xml" 2>&1)
if [ $? -ne 0 ] && printf '%s\n' "$out" | grep -q "no-such.img" &&
	! "$kestrel" domstate vblk-missing$$ >/dev/null 2>&1; then
	ok "a missing disk image is refused: $(printf '%s' "$out" | head -n 1)"
else
	not_ok "a missing disk image is refused # $out"
	doms="$doms vblk-missing$$"
fi
mkdir -p "$tmp/adir"
xml vblk-dir$$ write "$(disk "$tmp/adir")"
out=$("$kestrel" create "$tmp/vblk-dir$$.xml" 2>&1)
if [ $? -ne 0 ] && ! "$kestrel" domstate vblk-dir$$ >/dev/null 2>&1; then
	ok "a directory as a disk is refused: $(printf '%s' "$out" | head -n 1)"
else
	not_ok "a directory as a disk is refused # $out"
	doms="$doms vblk-dir$$"
fi
[ $fails -eq 0 ]
