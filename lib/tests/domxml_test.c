// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The domain XML model.  Each example in xml/good/ parses, formats to its
 * twin in xml/canonical/ byte for byte, and survives the round trip
 * (parse(format(parse(x))) == parse(x), format idempotent).  Each document
 * in xml/bad/ is refused with the errno and the message listed below
 * (element, attribute and line included).  Then units and rounding,
 * limits, cpusets, files, escaping and the error plumbing.
 *
 * tools/xml-validate checks the canonical files against libvirt's schema
 * (ctl/tests/domxml_schema_test.sh); since every formatted example must
 * equal its canonical file, every formatted example is schema-valid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "libkestrel.h"
#include "domxml.h"

/* The UUID the canonical files give a domain whose XML had none. */
static const uint8_t fixed_uuid[KESTREL_UUID_LEN] = {
	0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0,
};

/* lib/tests/xml/<sub>/<file>, found next to this binary. */
static const char *data_path(const char *sub, const char *file)
{
	static char path[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/xml/%s%s%s", exe, sub,
		 file ? "/" : "", file ? file : "");
	return path;
}

/* A whole file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (lenp)
		*lenp = (size_t)n;
	return buf;
}

static int parse_str(const char *xml, struct kestrel_domxml *d)
{
	return kestrel_domxml_parse(xml, strlen(xml), d);
}

/* The failure just seen was @err with @msg in its message. */
#define EXPECT_FAILURE(ret, err, msg) do { \
	EXPECT_EQ(-(err), (ret)); \
	EXPECT_EQ((err), kestrel_last_errno()); \
	EXPECT_NE(NULL, strstr(kestrel_last_error(), (msg))) \
		TH_LOG("message: %s\nwanted:  %s", kestrel_last_error(), (msg)); \
} while (0)

/* ---- the good examples ---- */

FIXTURE(good) {
	struct kestrel_domxml d;
	char *xml, *canonical;
	size_t len;
};

FIXTURE_VARIANT(good) {
	const char *file;
};

FIXTURE_VARIANT_ADD(good, minimal) { .file = "minimal.xml" };
FIXTURE_VARIANT_ADD(good, full) { .file = "full.xml" };
FIXTURE_VARIANT_ADD(good, units) { .file = "units.xml" };
FIXTURE_VARIANT_ADD(good, kvm) { .file = "kvm.xml" };
FIXTURE_VARIANT_ADD(good, topology) { .file = "topology.xml" };
FIXTURE_VARIANT_ADD(good, vcpupin) { .file = "vcpupin.xml" };
FIXTURE_VARIANT_ADD(good, lifecycle) { .file = "lifecycle.xml" };
FIXTURE_VARIANT_ADD(good, escaping) { .file = "escaping.xml" };
FIXTURE_VARIANT_ADD(good, rounding) { .file = "rounding.xml" };
FIXTURE_VARIANT_ADD(good, rng) { .file = "rng.xml" };
FIXTURE_VARIANT_ADD(good, rng_minimal) { .file = "rng-minimal.xml" };
FIXTURE_VARIANT_ADD(good, disk) { .file = "disk.xml" };
FIXTURE_VARIANT_ADD(good, disk_minimal) { .file = "disk-minimal.xml" };
FIXTURE_VARIANT_ADD(good, interface) { .file = "interface.xml" };
FIXTURE_VARIANT_ADD(good, interface_minimal) { .file = "interface-minimal.xml" };
FIXTURE_VARIANT_ADD(good, console_virtio) { .file = "console-virtio.xml" };
FIXTURE_VARIANT_ADD(good, console_virtio_serial) { .file = "console-virtio-serial.xml" };

static const char *const good_files[] = {
	"minimal.xml", "full.xml", "units.xml", "kvm.xml", "topology.xml",
	"vcpupin.xml", "lifecycle.xml", "escaping.xml", "rounding.xml",
	"rng.xml", "rng-minimal.xml", "disk.xml", "disk-minimal.xml",
	"interface.xml", "interface-minimal.xml", "console-virtio.xml",
	"console-virtio-serial.xml",
};

/*
 * Generated MACs are random: the canonical files give device i's
 * 52:54:00:00:00:(0x10 + i).  The random ones have libvirt's prefix.
 */
static void fix_generated_macs(struct kestrel_domxml *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_devices; i++) {
		uint8_t *mac = d->devices[i].net.mac;

		if (d->devices[i].type != KESTREL_DEV_NET ||
		    !d->devices[i].net.mac_generated)
			continue;
		mac[3] = mac[4] = 0;
		mac[5] = (uint8_t)(0x10 + i);
	}
}

FIXTURE_SETUP(good)
{
	self->xml = slurp(data_path("good", variant->file), &self->len);
	ASSERT_NE(NULL, self->xml) TH_LOG("cannot read good/%s", variant->file);
	self->canonical = slurp(data_path("canonical", variant->file), NULL);
	ASSERT_NE(NULL, self->canonical)
		TH_LOG("cannot read canonical/%s", variant->file);
	ASSERT_EQ(0, kestrel_domxml_parse(self->xml, self->len, &self->d))
		TH_LOG("%s", kestrel_last_error());
	/* A generated UUID is random: the canonical file has a fixed one. */
	if (self->d.uuid_generated)
		memcpy(self->d.uuid, fixed_uuid, sizeof(fixed_uuid));
	fix_generated_macs(&self->d);
}

FIXTURE_TEARDOWN(good)
{
	kestrel_domxml_free(&self->d);
	free(self->xml);
	free(self->canonical);
}

TEST_F(good, formats_to_its_canonical_file)
{
	char *out = kestrel_domxml_format(&self->d);

	ASSERT_NE(NULL, out) TH_LOG("%s", kestrel_last_error());
	EXPECT_STREQ(self->canonical, out);
	free(out);
}

TEST_F(good, parse_format_parse_gives_the_same_model)
{
	struct kestrel_domxml again;
	char *out = kestrel_domxml_format(&self->d);

	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, parse_str(out, &again)) TH_LOG("%s", kestrel_last_error());
	EXPECT_TRUE(kestrel_domxml_equal(&self->d, &again));
	EXPECT_FALSE(again.uuid_generated);
	kestrel_domxml_free(&again);
	free(out);
}

TEST_F(good, canonical_form_is_a_fixed_point)
{
	struct kestrel_domxml again;
	char *out;

	ASSERT_EQ(0, parse_str(self->canonical, &again))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_TRUE(kestrel_domxml_equal(&self->d, &again));
	out = kestrel_domxml_format(&again);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ(self->canonical, out);
	kestrel_domxml_free(&again);
	free(out);
}

TEST_F(good, parse_file_reads_the_same_model)
{
	struct kestrel_domxml f;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", variant->file), &f))
		TH_LOG("%s", kestrel_last_error());
	if (f.uuid_generated)
		memcpy(f.uuid, fixed_uuid, sizeof(fixed_uuid));
	fix_generated_macs(&f);
	EXPECT_TRUE(kestrel_domxml_equal(&self->d, &f));
	kestrel_domxml_free(&f);
}

/* What the examples say, field by field. */
TEST(full_example_fields)
{
	static const uint8_t uuid[KESTREL_UUID_LEN] = {
		0x6e, 0x1f, 0x3c, 0x2a, 0x9b, 0x41, 0x4d, 0x2e,
		0x8f, 0x10, 0x55, 0x21, 0x0a, 0xbc, 0xde, 0xf1,
	};
	struct kestrel_domxml d;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "full.xml"), &d))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(KESTREL_DOMXML_TYPE_KESTREL, d.type);
	EXPECT_STREQ("web-01", d.name);
	EXPECT_EQ(0, memcmp(uuid, d.uuid, sizeof(uuid)));
	EXPECT_FALSE(d.uuid_generated);
	EXPECT_STREQ("Front-end web server", d.title);
	EXPECT_STREQ("Serves the site.\nBoots straight into the kernel; console on ttyS0.",
		     d.description);
	EXPECT_EQ(1048576, d.memory_kib);
	EXPECT_EQ(786432, d.current_memory_kib);
	EXPECT_EQ(4, d.vcpus);
	EXPECT_EQ(2, d.vcpus_current);
	EXPECT_EQ(KESTREL_DOMXML_PLACEMENT_STATIC, d.placement);
	EXPECT_STREQ("pc", d.machine);
	EXPECT_STREQ("/var/lib/kestrel/boot/vmlinuz-6.1.0-18-amd64", d.kernel);
	EXPECT_STREQ("/var/lib/kestrel/boot/initrd.img-6.1.0-18-amd64", d.initrd);
	EXPECT_STREQ("console=ttyS0,115200 root=/dev/vda1 ro quiet", d.cmdline);
	EXPECT_TRUE(d.acpi);
	EXPECT_TRUE(d.apic);
	EXPECT_EQ(KESTREL_DOMXML_CPU_HOST_PASSTHROUGH, d.cpu_mode);
	EXPECT_TRUE(d.has_topology);
	EXPECT_EQ(1, d.sockets);
	EXPECT_EQ(1, d.dies);
	EXPECT_EQ(2, d.cores);
	EXPECT_EQ(2, d.threads);
	EXPECT_EQ(KESTREL_DOMXML_CLOCK_UTC, d.clock_offset);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_DESTROY, d.on_poweroff);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_RESTART, d.on_reboot);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_DESTROY, d.on_crash);
	EXPECT_TRUE(d.serial);
	EXPECT_TRUE(d.console);
	ASSERT_EQ(4, d.nr_vcpupins);
	EXPECT_EQ(2, d.vcpupins[2].vcpu);
	EXPECT_TRUE(kestrel_cpuset_test(&d.vcpupins[2].cpuset, 2));
	EXPECT_TRUE(kestrel_cpuset_test(&d.vcpupins[2].cpuset, 3));
	EXPECT_FALSE(kestrel_cpuset_test(&d.vcpupins[2].cpuset, 1));
	kestrel_domxml_free(&d);
	EXPECT_EQ(NULL, d.title);
	EXPECT_EQ(NULL, d.kernel);
	EXPECT_STREQ("", d.name);
}

TEST(minimal_example_gets_libvirt_defaults_and_a_uuid)
{
	struct kestrel_domxml a, b;
	char *out;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "minimal.xml"), &a));
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "minimal.xml"), &b));
	EXPECT_TRUE(a.uuid_generated);
	EXPECT_EQ(0x40, a.uuid[6] & 0xf0);	/* version 4 */
	EXPECT_EQ(0x80, a.uuid[8] & 0xc0);	/* RFC 4122 variant */
	EXPECT_NE(0, memcmp(a.uuid, b.uuid, sizeof(a.uuid)));
	EXPECT_EQ(65536, a.memory_kib);
	EXPECT_EQ(65536, a.current_memory_kib);
	EXPECT_EQ(1, a.vcpus);
	EXPECT_EQ(1, a.vcpus_current);
	EXPECT_EQ(KESTREL_DOMXML_CPU_DEFAULT, a.cpu_mode);
	EXPECT_FALSE(a.has_topology);
	EXPECT_FALSE(a.acpi);
	EXPECT_FALSE(a.serial);
	EXPECT_FALSE(a.console);
	EXPECT_EQ(NULL, a.kernel);
	EXPECT_EQ(NULL, a.machine);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_DESTROY, a.on_poweroff);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_RESTART, a.on_reboot);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_DESTROY, a.on_crash);
	/* The generated UUID is written out, and kept when read back. */
	out = kestrel_domxml_format(&a);
	ASSERT_NE(NULL, out);
	kestrel_domxml_free(&b);
	ASSERT_EQ(0, parse_str(out, &b));
	EXPECT_FALSE(b.uuid_generated);
	EXPECT_EQ(0, memcmp(a.uuid, b.uuid, sizeof(a.uuid)));
	free(out);
	kestrel_domxml_free(&a);
	kestrel_domxml_free(&b);
}

TEST(kvm_type_and_plain_hex_uuid_are_kept)
{
	struct kestrel_domxml d;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "kvm.xml"), &d));
	EXPECT_EQ(KESTREL_DOMXML_TYPE_KVM, d.type);
	EXPECT_STREQ("pc-q35-7.2", d.machine);
	EXPECT_EQ(0x3a, d.uuid[0]);
	EXPECT_EQ(0xf2, d.uuid[15]);
	EXPECT_EQ(KESTREL_DOMXML_CPU_HOST_MODEL, d.cpu_mode);
	EXPECT_FALSE(d.has_topology);
	kestrel_domxml_free(&d);
}

TEST(serial_and_console_imply_each_other)
{
	struct kestrel_domxml d;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "topology.xml"), &d));
	EXPECT_TRUE(d.serial);		/* only <console> was written */
	EXPECT_TRUE(d.console);
	EXPECT_EQ(KESTREL_DOMXML_PLACEMENT_AUTO, d.placement);
	EXPECT_EQ(16, d.vcpus);
	EXPECT_EQ(4, d.vcpus_current);
	kestrel_domxml_free(&d);
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "lifecycle.xml"), &d));
	EXPECT_TRUE(d.serial);		/* only <serial> was written */
	EXPECT_TRUE(d.console);
	EXPECT_EQ(KESTREL_DOMXML_CLOCK_LOCALTIME, d.clock_offset);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_PRESERVE, d.on_poweroff);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_DESTROY, d.on_reboot);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_RESTART, d.on_crash);
	kestrel_domxml_free(&d);
}

TEST(rng_devices_get_backends_rates_and_free_slots)
{
	struct kestrel_domxml d;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "rng.xml"), &d))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(4, d.nr_devices);
	/* No address: the lowest slot the explicit ones (1, 31) left. */
	EXPECT_EQ(KESTREL_DEV_RNG, d.devices[0].type);
	EXPECT_EQ(2, d.devices[0].slot);
	EXPECT_EQ(KESTREL_DOMXML_RNG_URANDOM, d.devices[0].rng.backend);
	EXPECT_EQ(0, d.devices[0].rng.rate_bytes);
	EXPECT_EQ(0, d.devices[0].rng.rate_period);
	EXPECT_EQ(1, d.devices[1].slot);
	EXPECT_EQ(KESTREL_DOMXML_RNG_RANDOM, d.devices[1].rng.backend);
	EXPECT_EQ(1024, d.devices[1].rng.rate_bytes);
	EXPECT_EQ(2000, d.devices[1].rng.rate_period);
	EXPECT_EQ(3, d.devices[2].slot);
	EXPECT_EQ(KESTREL_DOMXML_RNG_BUILTIN, d.devices[2].rng.backend);
	EXPECT_EQ(512, d.devices[2].rng.rate_bytes);
	EXPECT_EQ(0, d.devices[2].rng.rate_period);	/* libvirt's default */
	EXPECT_EQ(31, d.devices[3].slot);		/* slot='31': decimal */
	EXPECT_STREQ("/dev/urandom",
		     kestrel_domxml_rng_path(KESTREL_DOMXML_RNG_URANDOM));
	EXPECT_STREQ("/dev/random",
		     kestrel_domxml_rng_path(KESTREL_DOMXML_RNG_RANDOM));
	EXPECT_EQ(NULL, kestrel_domxml_rng_path(KESTREL_DOMXML_RNG_BUILTIN));
	kestrel_domxml_free(&d);
}

TEST(virtio_console_is_a_device_besides_the_uart)
{
	struct kestrel_domxml d;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "console-virtio.xml"), &d))
		TH_LOG("%s", kestrel_last_error());
	/* Not the UART's console: no serial port comes with it. */
	EXPECT_FALSE(d.serial);
	EXPECT_FALSE(d.console);
	ASSERT_EQ(2, d.nr_devices);
	EXPECT_EQ(KESTREL_DEV_RNG, d.devices[0].type);
	EXPECT_EQ(1, d.devices[0].slot);
	/* Last in the model and given its slot after the other devices. */
	EXPECT_EQ(KESTREL_DEV_CONSOLE, d.devices[1].type);
	EXPECT_EQ(2, d.devices[1].slot);
	kestrel_domxml_free(&d);

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "console-virtio-serial.xml"), &d))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_TRUE(d.serial);
	EXPECT_TRUE(d.console);
	ASSERT_EQ(2, d.nr_devices);
	EXPECT_EQ(KESTREL_DEV_RNG, d.devices[0].type);
	EXPECT_EQ(1, d.devices[0].slot);
	EXPECT_EQ(KESTREL_DEV_CONSOLE, d.devices[1].type);
	EXPECT_EQ(7, d.devices[1].slot);	/* its <address> */
	kestrel_domxml_free(&d);
}

TEST(disks_come_first_sorted_by_target_with_their_settings)
{
	static const char *const targets[] = { "vda", "vdb", "vdc", "vdd",
					       "vdz", "vdaa" };
	static const unsigned int slots[] = { 1, 5, 2, 3, 4, 6 };
	struct kestrel_domxml d;
	unsigned int i;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "disk.xml"), &d))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(7, d.nr_devices);
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(KESTREL_DEV_BLOCK, d.devices[i].type);
		EXPECT_STREQ(targets[i], d.devices[i].disk.target);
		EXPECT_EQ(slots[i], d.devices[i].slot) TH_LOG("%s", targets[i]);
	}
	/* The rng came first in the document; it gets the slot after them. */
	EXPECT_EQ(KESTREL_DEV_RNG, d.devices[6].type);
	EXPECT_EQ(7, d.devices[6].slot);

	EXPECT_EQ(KESTREL_DOMXML_DISK_FILE, d.devices[0].disk.type);
	EXPECT_STREQ("/var/lib/kestrel/web.img", d.devices[0].disk.source);
	EXPECT_EQ(KESTREL_DOMXML_DISK_DRIVER_QEMU, d.devices[0].disk.driver);
	EXPECT_EQ(KESTREL_DOMXML_DISK_CACHE_DEFAULT, d.devices[0].disk.cache);
	EXPECT_EQ(KESTREL_DOMXML_DISK_IO_DEFAULT, d.devices[0].disk.io);
	EXPECT_EQ(0, d.devices[0].disk.queues);
	EXPECT_TRUE(d.devices[0].disk.readonly);
	EXPECT_STREQ("WEB 01_v1.0+x", d.devices[0].disk.serial);

	EXPECT_EQ(KESTREL_DOMXML_DISK_BLOCK, d.devices[1].disk.type);
	EXPECT_STREQ("/dev/vg0/web-root", d.devices[1].disk.source);
	EXPECT_EQ(KESTREL_DOMXML_DISK_CACHE_NONE, d.devices[1].disk.cache);
	EXPECT_EQ(KESTREL_DOMXML_DISK_IO_NATIVE, d.devices[1].disk.io);
	EXPECT_EQ(4, d.devices[1].disk.queues);
	EXPECT_FALSE(d.devices[1].disk.readonly);
	EXPECT_STREQ("", d.devices[1].disk.serial);

	EXPECT_EQ(KESTREL_DOMXML_DISK_DRIVER_NONE, d.devices[2].disk.driver);
	EXPECT_EQ(KESTREL_DOMXML_DISK_CACHE_UNSAFE, d.devices[2].disk.cache);
	EXPECT_EQ(KESTREL_DOMXML_DISK_CACHE_WRITETHROUGH, d.devices[3].disk.cache);
	EXPECT_EQ(KESTREL_DOMXML_DISK_CACHE_DIRECTSYNC, d.devices[4].disk.cache);
	EXPECT_EQ(KESTREL_DOMXML_DISK_IO_THREADS, d.devices[4].disk.io);
	EXPECT_EQ(KESTREL_DOMXML_DISK_DRIVER_KESTREL, d.devices[5].disk.driver);
	EXPECT_EQ(KESTREL_DOMXML_DISK_CACHE_WRITEBACK, d.devices[5].disk.cache);
	EXPECT_EQ(KESTREL_DOMXML_DISK_IO_URING, d.devices[5].disk.io);
	EXPECT_STREQ("/srv/images/data & logs.img", d.devices[5].disk.source);

	/* O_DIRECT for none and directsync only. */
	EXPECT_TRUE(kestrel_domxml_disk_direct(KESTREL_DOMXML_DISK_CACHE_NONE));
	EXPECT_TRUE(kestrel_domxml_disk_direct(KESTREL_DOMXML_DISK_CACHE_DIRECTSYNC));
	EXPECT_FALSE(kestrel_domxml_disk_direct(KESTREL_DOMXML_DISK_CACHE_DEFAULT));
	EXPECT_FALSE(kestrel_domxml_disk_direct(KESTREL_DOMXML_DISK_CACHE_WRITEBACK));
	EXPECT_FALSE(kestrel_domxml_disk_direct(KESTREL_DOMXML_DISK_CACHE_WRITETHROUGH));
	EXPECT_FALSE(kestrel_domxml_disk_direct(KESTREL_DOMXML_DISK_CACHE_UNSAFE));
	EXPECT_STREQ("io_uring", kestrel_domxml_disk_io_name(KESTREL_DOMXML_DISK_IO_URING));
	EXPECT_EQ(NULL, kestrel_domxml_disk_cache_name(KESTREL_DOMXML_DISK_CACHE_DEFAULT));
	EXPECT_EQ(NULL, kestrel_domxml_disk_driver_name(KESTREL_DOMXML_DISK_DRIVER_NONE));
	EXPECT_STREQ("block", kestrel_domxml_disk_type_name(KESTREL_DOMXML_DISK_BLOCK));
	kestrel_domxml_free(&d);
}

TEST(disk_values_at_their_limits)
{
	static const char head[] = "<domain type='kestrel'><name>r</name>"
		"<memory>65536</memory><os><type>hvm</type></os><devices>";
	static const struct {
		const char *disk;
		int err;
		const char *msg;
	} cases[] = {
		{ "<disk><source file='/a'/><target dev='vdabcdefghijklm'/>"
		  "<driver queues='64'/><serial>12345678901234567890</serial></disk>",
		  0, NULL },
		{ "<disk><source file='/a'/><target dev='vda' bus='virtio'/>"
		  "<driver queues='1'/><address type='pci' slot='0x1f'/></disk>",
		  0, NULL },
		{ "<disk type='block'><source dev='/dev/sdb'/><target dev='vdb'/></disk>",
		  0, NULL },
		{ "<disk><source file='/a'/><target dev='vdabcdefghijklmn'/></disk>",
		  EINVAL, "invalid target dev 'vdabcdefghijklmn' of <disk>" },
		{ "<disk><source file='/a'/><target dev='vd'/></disk>",
		  EINVAL, "invalid target dev 'vd' of <disk>" },
		{ "<disk><source file='/a'/><target dev='vdA'/></disk>",
		  EINVAL, "invalid target dev 'vdA' of <disk>" },
		{ "<disk><source file='/a'/><target bus='virtio'/></disk>",
		  EINVAL, "missing attribute 'dev' of <target>" },
		{ "<disk><source file='/a'/></disk>",
		  EINVAL, "missing element <target> in <disk>" },
		{ "<disk><source file='/a'/><target dev='vda' tray='open'/></disk>",
		  EINVAL, "unsupported attribute 'tray' of <target>" },
		{ "<disk><source file='/a'/><target dev='vda'/><driver queues='0'/></disk>",
		  ERANGE, "value '0' of attribute 'queues' of <driver> is out of range" },
		{ "<disk><source file='/a'/><target dev='vda'/><driver discard='unmap'/></disk>",
		  EINVAL, "unsupported attribute 'discard' of <driver>" },
		{ "<disk><source file='/a'/><target dev='vda'/><driver type='vmdk'/></disk>",
		  EINVAL, "unsupported disk format 'vmdk' in <driver>" },
		{ "<disk><source file=''/><target dev='vda'/></disk>",
		  EINVAL, "empty attribute 'file' of <source>" },
		{ "<disk><source dev='/dev/sdb'/><target dev='vda'/></disk>",
		  EINVAL, "unsupported attribute 'dev' of <source>" },
		{ "<disk type='block'><source/><target dev='vda'/></disk>",
		  EINVAL, "missing attribute 'dev' of <source>" },
		{ "<disk><source file='/a' startupPolicy='optional'/><target dev='vda'/></disk>",
		  EINVAL, "unsupported attribute 'startupPolicy' of <source>" },
		{ "<disk><source file='/a'><seclabel relabel='no'/></source><target dev='vda'/></disk>",
		  EINVAL, "unsupported element <seclabel>" },
		{ "<disk><source file='/a'/><target dev='vda'/><readonly/><readonly/></disk>",
		  EINVAL, "duplicate element <readonly>" },
		{ "<disk><source file='/a'/><target dev='vda'/><readonly>yes</readonly></disk>",
		  EINVAL, "unexpected text 'yes' in <readonly>" },
		{ "<disk><source file='/a'/><target dev='vda'/><serial></serial></disk>",
		  EINVAL, "empty <serial> of <disk>" },
		{ "<disk><source file='/a'/><target dev='vda'/><encryption format='luks'/></disk>",
		  EINVAL, "unsupported element <encryption>" },
		{ "<disk><source file='/a'/><target dev='vda'/><alias name='ua-x'/></disk>",
		  EINVAL, "unsupported element <alias>" },
		{ "<disk type='volume'><source pool='p' volume='v'/><target dev='vda'/></disk>",
		  EINVAL, "unsupported <disk> type 'volume'" },
		{ "<disk device='floppy'><source file='/a'/><target dev='fda'/></disk>",
		  EINVAL, "unsupported <disk> device 'floppy'" },
		{ "<disk snapshot='no'><source file='/a'/><target dev='vda'/></disk>",
		  EINVAL, "unsupported attribute 'snapshot' of <disk>" },
		{ "<disk><source file='/a'/><target dev='vda'/>"
		  "<address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>",
		  EINVAL, "unsupported <address> type 'drive'" },
	};
	struct kestrel_domxml d;
	char xml[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret;

		snprintf(xml, sizeof(xml), "%s%s</devices></domain>", head,
			 cases[i].disk);
		kestrel_clear_error();
		ret = kestrel_domxml_parse(xml, strlen(xml), &d);
		if (!cases[i].err) {
			EXPECT_EQ(0, ret) TH_LOG("%zu: %s", i, kestrel_last_error());
			EXPECT_EQ(1, d.nr_devices);
		} else {
			EXPECT_EQ(-cases[i].err, ret) TH_LOG("%zu", i);
			EXPECT_NE(NULL, strstr(kestrel_last_error(), cases[i].msg))
				TH_LOG("%zu: %s", i, kestrel_last_error());
			EXPECT_EQ(0, d.nr_devices);
		}
		kestrel_domxml_free(&d);
	}
	/* 16 disks fit, sorted, and a 17th device is refused. */
	{
		char big[8192];
		size_t len = snprintf(big, sizeof(big), "%s", head);

		for (i = 0; i < KESTREL_MAX_DEVICES; i++)
			len += snprintf(big + len, sizeof(big) - len,
					"<disk><source file='/d%zu'/><target dev='vd%c'/></disk>",
					i, (char)('p' - i));
		ASSERT_EQ(0, kestrel_domxml_parse(big, len + snprintf(big + len, sizeof(big) - len,
								      "</devices></domain>"), &d))
			TH_LOG("%s", kestrel_last_error());
		ASSERT_EQ(KESTREL_MAX_DEVICES, d.nr_devices);
		for (i = 0; i < KESTREL_MAX_DEVICES; i++) {
			EXPECT_EQ('a' + i, d.devices[i].disk.target[2]);
			EXPECT_EQ(i + 1, d.devices[i].slot);
		}
		kestrel_domxml_free(&d);
		len += snprintf(big + len, sizeof(big) - len,
				"<disk><source file='/x'/><target dev='vdq'/></disk></devices></domain>");
		EXPECT_EQ(-ERANGE, kestrel_domxml_parse(big, len, &d));
		EXPECT_NE(NULL, strstr(kestrel_last_error(), "a 17th device <disk>"))
			TH_LOG("%s", kestrel_last_error());
		kestrel_domxml_free(&d);
	}
}

TEST(disk_models_compare_and_format_strictly)
{
	struct kestrel_domxml a, b;
	char *out;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "disk.xml"), &a));
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "disk.xml"), &b));
	memcpy(b.uuid, a.uuid, sizeof(a.uuid));
	EXPECT_TRUE(kestrel_domxml_equal(&a, &b));
#define DIFFERS(stmt) do { stmt; EXPECT_FALSE(kestrel_domxml_equal(&a, &b)) \
	TH_LOG("%s", #stmt); kestrel_domxml_free(&b); \
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "disk.xml"), &b)); \
	memcpy(b.uuid, a.uuid, sizeof(a.uuid)); \
	} while (0)
	DIFFERS(b.devices[1].disk.type = KESTREL_DOMXML_DISK_FILE);
	DIFFERS(b.devices[0].disk.source[1] = 'x');
	DIFFERS(b.devices[0].disk.target[2] = 'q');
	DIFFERS(b.devices[0].disk.driver = KESTREL_DOMXML_DISK_DRIVER_KESTREL);
	DIFFERS(b.devices[0].disk.cache = KESTREL_DOMXML_DISK_CACHE_NONE);
	DIFFERS(b.devices[0].disk.io = KESTREL_DOMXML_DISK_IO_NATIVE);
	DIFFERS(b.devices[0].disk.queues = 2);
	DIFFERS(b.devices[0].disk.readonly = false);
	DIFFERS(b.devices[0].disk.serial[0] = '\0');
	DIFFERS(b.devices[0].slot = 9);
#undef DIFFERS
	/* What a built model holds is checked before it is written. */
	b.devices[0].disk.cache = (enum kestrel_domxml_disk_cache)17;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	EXPECT_EQ(EINVAL, kestrel_last_errno());
	b.devices[0].disk.cache = KESTREL_DOMXML_DISK_CACHE_DEFAULT;
	b.devices[0].disk.io = (enum kestrel_domxml_disk_io)4;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[0].disk.io = KESTREL_DOMXML_DISK_IO_DEFAULT;
	b.devices[0].disk.source[0] = 'v';
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[0].disk.source[0] = '/';
	b.devices[0].disk.type = (enum kestrel_domxml_disk_type)3;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[0].disk.type = KESTREL_DOMXML_DISK_FILE;
	b.devices[0].disk.queues = 65;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[0].disk.queues = 0;
	b.devices[0].slot = 0;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[0].slot = 1;
	out = kestrel_domxml_format(&b);
	ASSERT_NE(NULL, out) TH_LOG("%s", kestrel_last_error());
	EXPECT_NE(NULL, strstr(out, "  <devices>\n    <disk type='file' device='disk'>\n"
			       "      <driver name='qemu' type='raw'/>\n"
			       "      <source file='/var/lib/kestrel/web.img'/>\n"
			       "      <target dev='vda' bus='virtio'/>\n"
			       "      <readonly/>\n"
			       "      <serial>WEB 01_v1.0+x</serial>\n"
			       "      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>\n"
			       "    </disk>\n")) TH_LOG("%s", out);
	free(out);
	kestrel_domxml_free(&a);
	kestrel_domxml_free(&b);
}

TEST(interfaces_follow_disks_and_take_slots_first)
{
	struct kestrel_domxml d;
	const struct kestrel_domxml_device *n;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "interface.xml"), &d))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(6, d.nr_devices);
	/* Model order: the disk, the interfaces (document order), the rng. */
	EXPECT_EQ(KESTREL_DEV_BLOCK, d.devices[0].type);
	EXPECT_EQ(4, d.devices[0].slot);
	EXPECT_EQ(KESTREL_DEV_RNG, d.devices[5].type);
	EXPECT_EQ(5, d.devices[5].slot);

	n = &d.devices[1];
	EXPECT_EQ(KESTREL_DEV_NET, n->type);
	EXPECT_EQ(KESTREL_DOMXML_NET_BRIDGE, n->net.type);
	EXPECT_EQ(1, n->slot);		/* interfaces get slots before disks */
	EXPECT_STREQ("br0", n->net.source);
	EXPECT_STREQ("", n->net.target);
	EXPECT_EQ(0x52, n->net.mac[0]);
	EXPECT_EQ(0xab, n->net.mac[3]);	/* upper case read */
	EXPECT_FALSE(n->net.mac_generated);
	EXPECT_EQ(KESTREL_DOMXML_NET_DRIVER_VHOST, n->net.driver);
	EXPECT_EQ(4, n->net.queues);
	EXPECT_EQ(KESTREL_DOMXML_LINK_DEFAULT, n->net.link);

	n = &d.devices[2];
	EXPECT_EQ(KESTREL_DOMXML_NET_ETHERNET, n->net.type);
	EXPECT_EQ(8, n->slot);
	EXPECT_STREQ("tap-web", n->net.target);
	EXPECT_EQ(KESTREL_DOMXML_NO, n->net.managed);
	EXPECT_EQ(KESTREL_DOMXML_LINK_DOWN, n->net.link);
	EXPECT_EQ(0, n->net.queues);

	n = &d.devices[3];
	EXPECT_EQ(2, n->slot);
	EXPECT_STREQ("web1", n->net.target);
	EXPECT_EQ(KESTREL_DOMXML_YES, n->net.managed);
	EXPECT_EQ(16, n->net.queues);
	EXPECT_EQ(KESTREL_DOMXML_LINK_UP, n->net.link);
	EXPECT_EQ(KESTREL_DOMXML_NET_DRIVER_NONE, n->net.driver);

	/* A generated name (ktapN) is read as none, as libvirt's vnetN. */
	n = &d.devices[4];
	EXPECT_EQ(KESTREL_DOMXML_NET_NETWORK, n->net.type);
	EXPECT_EQ(3, n->slot);
	EXPECT_STREQ("default", n->net.source);
	EXPECT_STREQ("", n->net.target);
	EXPECT_EQ(KESTREL_DOMXML_NET_DRIVER_QEMU, n->net.driver);
	kestrel_domxml_free(&d);

	/* No <mac>: 52:54:00 and three random bytes, generated at parse. */
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "interface-minimal.xml"), &d));
	ASSERT_EQ(2, d.nr_devices);
	EXPECT_TRUE(d.devices[0].net.mac_generated);
	EXPECT_EQ(0, memcmp(d.devices[0].net.mac, "\x52\x54\x00", 3));
	EXPECT_EQ(0, memcmp(d.devices[1].net.mac, "\x52\x54\x00", 3));
	EXPECT_NE(0, memcmp(d.devices[0].net.mac, d.devices[1].net.mac, 6));
	kestrel_domxml_free(&d);
}

TEST(interface_values_at_their_limits)
{
	static const char head[] = "<domain type='kestrel'><name>r</name>"
		"<memory>65536</memory><os><type>hvm</type></os><devices>";
	static const struct {
		const char *net;
		int err;
		const char *msg;
	} cases[] = {
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<target dev='abcdefghijklmno'/><driver queues='1'/>"
		  "<address type='pci' slot='0x1f'/></interface>", 0, NULL },
		{ "<interface type='bridge'><source bridge='abcdefghijklmno'/>"
		  "<model type='virtio'/><mac address='fe:ff:ff:ff:ff:ff'/></interface>",
		  0, NULL },
		{ "<interface type='network'><source network='"
		  "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc'/>"
		  "<model type='virtio'/></interface>", 0, NULL },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<target dev='abcdefghijklmnop'/></interface>",
		  EINVAL, "invalid target dev 'abcdefghijklmnop' of <interface>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<target dev='tap%d'/></interface>",
		  EINVAL, "invalid target dev 'tap%d' of <interface>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<target dev='..'/></interface>",
		  EINVAL, "invalid target dev '..' of <interface>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<target dev='a' managed='maybe'/></interface>",
		  EINVAL, "invalid value 'maybe' of attribute 'managed' of <target>" },
		{ "<interface type='network'><source network='default' portgroup='p'/>"
		  "<model type='virtio'/></interface>",
		  EINVAL, "unsupported attribute 'portgroup' of <source>" },
		{ "<interface type='network'><source bridge='br0'/>"
		  "<model type='virtio'/></interface>",
		  EINVAL, "unsupported attribute 'bridge' of <source>" },
		{ "<interface type='network'><source network='a/b'/>"
		  "<model type='virtio'/></interface>",
		  EINVAL, "invalid network name 'a/b' in <source>" },
		{ "<interface type='bridge'><source/><model type='virtio'/></interface>",
		  EINVAL, "missing attribute 'bridge' of <source>" },
		{ "<interface><model type='virtio'/></interface>",
		  EINVAL, "missing attribute 'type' of <interface>" },
		{ "<interface type='ethernet' trustGuestRxFilters='yes'>"
		  "<model type='virtio'/></interface>",
		  EINVAL, "unsupported attribute 'trustGuestRxFilters' of <interface>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<mac address='00:00:00:00:00:00'/></interface>",
		  EINVAL, "it is all zeros" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<mac address='52:54:00:12:34:5'/></interface>",
		  EINVAL, "invalid MAC address '52:54:00:12:34:5' in <mac>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<mac address='52-54-00-12-34-56'/></interface>",
		  EINVAL, "invalid MAC address '52-54-00-12-34-56' in <mac>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<mac address='52:54:00:12:34:56' type='static'/></interface>",
		  EINVAL, "unsupported attribute 'type' of <mac>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<driver queues='0'/></interface>",
		  ERANGE, "value '0' of attribute 'queues' of <driver> is out of range" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<driver name='kestrel'/></interface>",
		  EINVAL, "unsupported <driver> name 'kestrel' of <interface>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<driver><host csum='off'/></driver></interface>",
		  EINVAL, "unsupported element <host>" },
		{ "<interface type='ethernet'><model type='virtio'/><link/></interface>",
		  EINVAL, "missing attribute 'state' of <link>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<model type='virtio'/></interface>",
		  EINVAL, "duplicate element <model>" },
		{ "<interface type='ethernet'><model/></interface>",
		  EINVAL, "missing attribute 'type' of <model>" },
		{ "<interface type='ethernet'><model type='virtio'/><boot order='1'/></interface>",
		  EINVAL, "unsupported element <boot>" },
		{ "<interface type='ethernet'><model type='virtio'/><mtu size='9000'/></interface>",
		  EINVAL, "unsupported element <mtu>" },
		{ "<interface type='ethernet'><model type='virtio'/>"
		  "<bandwidth><inbound average='1000'/></bandwidth></interface>",
		  EINVAL, "unsupported element <bandwidth>" },
		{ "<interface type='direct'><source dev='eth0' mode='bridge'/>"
		  "<model type='virtio'/></interface>",
		  EINVAL, "unsupported <interface> type 'direct'" },
	};
	struct kestrel_domxml d;
	char xml[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret;

		snprintf(xml, sizeof(xml), "%s%s</devices></domain>", head,
			 cases[i].net);
		kestrel_clear_error();
		ret = kestrel_domxml_parse(xml, strlen(xml), &d);
		if (!cases[i].err) {
			EXPECT_EQ(0, ret) TH_LOG("%zu: %s", i, kestrel_last_error());
			EXPECT_EQ(1, d.nr_devices);
		} else {
			EXPECT_EQ(-cases[i].err, ret) TH_LOG("%zu", i);
			EXPECT_NE(NULL, strstr(kestrel_last_error(), cases[i].msg))
				TH_LOG("%zu: %s", i, kestrel_last_error());
			EXPECT_EQ(0, d.nr_devices);
		}
		kestrel_domxml_free(&d);
	}
	/* managed='no' keeps even a ktap name: it is the admin's tap. */
	snprintf(xml, sizeof(xml), "%s<interface type='ethernet'><model type='virtio'/>"
		 "<target dev='ktap3' managed='no'/></interface></devices></domain>",
		 head);
	ASSERT_EQ(0, kestrel_domxml_parse(xml, strlen(xml), &d));
	EXPECT_STREQ("ktap3", d.devices[0].net.target);
	kestrel_domxml_free(&d);
}

TEST(interface_models_compare_and_format_strictly)
{
	struct kestrel_domxml a, b;
	char *out;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "interface.xml"), &a));
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "interface.xml"), &b));
	memcpy(b.uuid, a.uuid, sizeof(a.uuid));
	EXPECT_TRUE(kestrel_domxml_equal(&a, &b));
#define DIFFERS(stmt) do { stmt; EXPECT_FALSE(kestrel_domxml_equal(&a, &b)) \
	TH_LOG("%s", #stmt); kestrel_domxml_free(&b); \
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "interface.xml"), &b)); \
	memcpy(b.uuid, a.uuid, sizeof(a.uuid)); \
	} while (0)
	DIFFERS(b.devices[1].net.type = KESTREL_DOMXML_NET_NETWORK);
	DIFFERS(b.devices[1].net.mac[5] = 7);
	DIFFERS(b.devices[1].net.source[0] = 'x');
	DIFFERS(b.devices[1].net.target[0] = 'x');
	DIFFERS(b.devices[2].net.managed = KESTREL_DOMXML_ABSENT);
	DIFFERS(b.devices[1].net.driver = KESTREL_DOMXML_NET_DRIVER_NONE);
	DIFFERS(b.devices[1].net.queues = 2);
	DIFFERS(b.devices[1].net.link = KESTREL_DOMXML_LINK_UP);
	DIFFERS(b.devices[1].slot = 9);
#undef DIFFERS
	/* How the MAC came about is not what the domain is. */
	b.devices[1].net.mac_generated = true;
	EXPECT_TRUE(kestrel_domxml_equal(&a, &b));

	/* What a built model holds is checked before it is written. */
	b.devices[1].net.link = (enum kestrel_domxml_link)3;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	EXPECT_EQ(EINVAL, kestrel_last_errno());
	b.devices[1].net.link = KESTREL_DOMXML_LINK_DEFAULT;
	b.devices[1].net.mac[0] = 0x53;		/* multicast */
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[1].net.mac[0] = 0x52;
	b.devices[1].net.source[0] = '\0';	/* a bridge without one */
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[1].net.source[0] = 'b';
	b.devices[1].net.queues = 17;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[1].net.queues = 4;
	b.devices[2].net.target[0] = '\0';	/* managed='no' without a name */
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[2].net.target[0] = 't';
	b.devices[1].net.type = (enum kestrel_domxml_net_type)5;
	EXPECT_EQ(NULL, kestrel_domxml_format(&b));
	b.devices[1].net.type = KESTREL_DOMXML_NET_BRIDGE;

	/* The live model: a generated name is written, as libvirt's vnet0. */
	snprintf(b.devices[1].net.target, sizeof(b.devices[1].net.target),
		 "ktap0");
	out = kestrel_domxml_format(&b);
	ASSERT_NE(NULL, out) TH_LOG("%s", kestrel_last_error());
	EXPECT_NE(NULL, strstr(out, "    </disk>\n    <interface type='bridge'>\n"
			       "      <mac address='52:54:00:ab:cd:01'/>\n"
			       "      <source bridge='br0'/>\n"
			       "      <target dev='ktap0'/>\n"
			       "      <model type='virtio'/>\n"
			       "      <driver name='vhost' queues='4'/>\n"
			       "      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>\n"
			       "    </interface>\n")) TH_LOG("%s", out);
	/* ... and read back as none, to be generated again. */
	kestrel_domxml_free(&b);
	ASSERT_EQ(0, parse_str(out, &b));
	EXPECT_STREQ("", b.devices[1].net.target);
	EXPECT_TRUE(kestrel_domxml_equal(&a, &b));
	free(out);
	kestrel_domxml_free(&a);
	kestrel_domxml_free(&b);
}

TEST(mac_and_ifname_helpers)
{
	uint8_t mac[6];
	char buf[18];

	EXPECT_EQ(0, kestrel_mac_parse("52:54:00:Ab:cD:eF", mac));
	EXPECT_STREQ("52:54:00:ab:cd:ef", kestrel_mac_format(mac, buf));
	EXPECT_EQ(-EINVAL, kestrel_mac_parse("52:54:00:ab:cd:ef:", mac));
	EXPECT_EQ(-EINVAL, kestrel_mac_parse("52:54:00:ab:cd", mac));
	EXPECT_EQ(-EINVAL, kestrel_mac_parse(" 52:54:00:ab:cd:ef", mac));
	EXPECT_EQ(-EINVAL, kestrel_mac_parse("", mac));
	EXPECT_EQ(0, kestrel_mac_generate(mac));
	EXPECT_EQ(0, memcmp(mac, "\x52\x54\x00", 3));
	EXPECT_TRUE(kestrel_ifname_valid("eth0"));
	EXPECT_TRUE(kestrel_ifname_valid("a.b-c_d@e"));
	EXPECT_TRUE(kestrel_ifname_valid("abcdefghijklmno"));
	EXPECT_FALSE(kestrel_ifname_valid("abcdefghijklmnop"));
	EXPECT_FALSE(kestrel_ifname_valid(""));
	EXPECT_FALSE(kestrel_ifname_valid("."));
	EXPECT_FALSE(kestrel_ifname_valid("a b"));
	EXPECT_FALSE(kestrel_ifname_valid("a:1"));
	EXPECT_FALSE(kestrel_ifname_valid("tap%d"));
	EXPECT_STREQ("ethernet", kestrel_domxml_net_type_name(KESTREL_DOMXML_NET_ETHERNET));
	EXPECT_STREQ("network", kestrel_domxml_net_type_name(KESTREL_DOMXML_NET_NETWORK));
	EXPECT_EQ(NULL, kestrel_domxml_net_driver_name(KESTREL_DOMXML_NET_DRIVER_NONE));
	EXPECT_EQ(NULL, kestrel_domxml_link_name(KESTREL_DOMXML_LINK_DEFAULT));
	EXPECT_STREQ("down", kestrel_domxml_link_name(KESTREL_DOMXML_LINK_DOWN));
	EXPECT_EQ(NULL, kestrel_domxml_tristate_name(KESTREL_DOMXML_ABSENT));
	EXPECT_STREQ("no", kestrel_domxml_tristate_name(KESTREL_DOMXML_NO));
}

TEST(rng_values_at_their_limits)
{
	static const char head[] = "<domain type='kestrel'><name>r</name>"
		"<memory>65536</memory><os><type>hvm</type></os><devices>";
	static const struct {
		const char *rng;
		int err;
		const char *msg;
	} cases[] = {
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<rate bytes='4294967295' period='3600000'/>"
		  "<address type='pci' slot='0x1f'/></rng>", 0, NULL },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<address type='pci' domain='0' bus='00' slot='010' function='0x0'/></rng>",
		  0, NULL },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<rate bytes='4294967296'/></rng>", ERANGE,
		  "value '4294967296' of attribute 'bytes' of <rate> is out of range" },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<rate bytes='0'/></rng>", ERANGE,
		  "value '0' of attribute 'bytes' of <rate> is out of range" },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<rate bytes='8' period='0'/></rng>", ERANGE,
		  "value '0' of attribute 'period' of <rate> is out of range" },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<address type='pci' slot='0x00'/></rng>", ERANGE,
		  "PCI slot '0x00' in <address> is out of range" },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<address type='pci' slot='0x1' function='0x1'/></rng>", EINVAL,
		  "unsupported PCI function '0x1' in <address>" },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<address type='pci' slot='0x1' multifunction='on'/></rng>", EINVAL,
		  "unsupported attribute 'multifunction' of <address>" },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<address type='pci' domain='0x0000'/></rng>", EINVAL,
		  "missing attribute 'slot' of <address>" },
		{ "<rng model='virtio'><backend model='builtin'/>"
		  "<address type='pci' slot='-1'/></rng>", EINVAL,
		  "invalid value '-1' of attribute 'slot' of <address>" },
		{ "<rng model='virtio'><backend model='builtin'>/dev/random</backend></rng>",
		  EINVAL, "unexpected text '/dev/random' in <backend>" },
		{ "<rng model='virtio'><backend model='random'/></rng>", EINVAL,
		  "<backend model='random'> without a path" },
		{ "<rng model='virtio'><backend model='random'> /dev/random</backend></rng>",
		  EINVAL, "unsupported <rng> backend ' /dev/random'" },
		{ "<rng model='virtio'><backend model='random'>/dev/urandom</backend>"
		  "<backend model='builtin'/></rng>", EINVAL,
		  "duplicate element <backend>" },
		{ "<rng model='virtio'><backend model='random'>/dev/urandom</backend>"
		  "<driver iommu='on'/></rng>", EINVAL,
		  "unsupported element <driver>" },
		{ "<rng><backend model='builtin'/></rng>", EINVAL,
		  "missing attribute 'model' of <rng>" },
		{ "<rng model='virtio'><backend model='qemu'/></rng>", EINVAL,
		  "unsupported value 'qemu' of attribute 'model' of <backend>" },
	};
	struct kestrel_domxml d;
	char xml[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret;

		snprintf(xml, sizeof(xml), "%s%s</devices></domain>", head,
			 cases[i].rng);
		kestrel_clear_error();
		ret = kestrel_domxml_parse(xml, strlen(xml), &d);
		if (!cases[i].err) {
			EXPECT_EQ(0, ret) TH_LOG("%zu: %s", i, kestrel_last_error());
			EXPECT_EQ(1, d.nr_devices);
		} else {
			EXPECT_EQ(-cases[i].err, ret) TH_LOG("%zu", i);
			EXPECT_NE(NULL, strstr(kestrel_last_error(), cases[i].msg))
				TH_LOG("%zu: %s", i, kestrel_last_error());
		}
		kestrel_domxml_free(&d);
	}
	/* 16 devices fit, and each has its own slot. */
	{
		char big[4096];
		size_t len = snprintf(big, sizeof(big), "%s", head);
		unsigned int seen = 0;

		for (i = 0; i < KESTREL_MAX_DEVICES; i++)
			len += snprintf(big + len, sizeof(big) - len,
					"<rng model='virtio'><backend model='builtin'/></rng>");
		len += snprintf(big + len, sizeof(big) - len, "</devices></domain>");
		ASSERT_EQ(0, kestrel_domxml_parse(big, len, &d))
			TH_LOG("%s", kestrel_last_error());
		ASSERT_EQ(KESTREL_MAX_DEVICES, d.nr_devices);
		for (i = 0; i < KESTREL_MAX_DEVICES; i++) {
			EXPECT_EQ(i + 1, d.devices[i].slot);
			seen |= 1U << d.devices[i].slot;
		}
		EXPECT_EQ(0x1fffeU, seen);
		kestrel_domxml_free(&d);
	}
}

TEST(vcpupins_are_sorted_and_exclusions_applied)
{
	static const char *const want[] = { "0-1,3,5", "5-7", "0-1",
					    "8-9,11-15" };
	struct kestrel_domxml d;
	unsigned int i;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "vcpupin.xml"), &d));
	ASSERT_EQ(4, d.nr_vcpupins);
	for (i = 0; i < 4; i++) {
		char *s = kestrel_cpuset_format(&d.vcpupins[i].cpuset);

		EXPECT_EQ(i, d.vcpupins[i].vcpu);
		EXPECT_STREQ(want[i], s);
		free(s);
	}
	/* A <cpu> with a topology but no mode. */
	EXPECT_EQ(KESTREL_DOMXML_CPU_DEFAULT, d.cpu_mode);
	EXPECT_TRUE(d.has_topology);
	EXPECT_EQ(1, d.dies);	/* libvirt's default */
	kestrel_domxml_free(&d);
}

TEST(escapes_cdata_and_blanks_read_as_libvirt_reads_them)
{
	struct kestrel_domxml d;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "escaping.xml"), &d));
	EXPECT_STREQ("café-\"01\" & co", d.name);
	EXPECT_STREQ("Tom's <test> & \"demo\"", d.title);
	EXPECT_STREQ("Line one <raw> & unescaped.\n\tLine two, after a tab.",
		     d.description);
	EXPECT_STREQ("/boot/with space/&vmlinuz", d.kernel);
	EXPECT_STREQ("console=ttyS0 init=/bin/sh -c \"echo <hi> & exit\"",
		     d.cmdline);
	EXPECT_EQ(65536, d.memory_kib);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_PRESERVE, d.on_crash);
	EXPECT_EQ(0x33, d.uuid[0]);
	EXPECT_FALSE(d.serial);
	kestrel_domxml_free(&d);
}

/* ---- the bad corpus ---- */

FIXTURE(bad) {
	struct kestrel_domxml d;
};

FIXTURE_VARIANT(bad) {
	const char *file;
	int err;
	const char *msg;
};

FIXTURE_SETUP(bad) {}
FIXTURE_TEARDOWN(bad)
{
	kestrel_domxml_free(&self->d);
}

/* X(variant, file, errno, message substring) */
#define BAD_CASES(X) \
	X(malformed_unclosed, "malformed-unclosed.xml", EINVAL, \
	  "malformed XML at line 6 column 10: Opening and ending tag mismatch: os line 4 and domain") \
	X(malformed_entity, "malformed-entity.xml", EINVAL, \
	  "malformed XML at line 7 column 34: Entity 'nbsp' not defined") \
	X(malformed_attribute, "malformed-attribute.xml", EINVAL, \
	  "malformed XML at line 3 column 16: AttValue: \" or ' expected") \
	X(malformed_trailing, "malformed-trailing.xml", EINVAL, \
	  "malformed XML at line 9 column 1: Extra content at the end of the document") \
	X(malformed_not_xml, "malformed-not-xml.xml", EINVAL, \
	  "malformed XML at line 1 column 1: Start tag expected") \
	X(empty, "empty.xml", EINVAL, "empty domain XML") \
	X(doctype, "doctype.xml", EINVAL, \
	  "<!DOCTYPE> at line 2 is not supported in domain XML") \
	X(root_not_domain, "root-not-domain.xml", EINVAL, \
	  "the root element is <network>, not <domain> at line 1") \
	X(unknown_element, "unknown-element.xml", EINVAL, \
	  "unsupported element <bogus> at line 8") \
	X(unknown_element_metadata, "unknown-element-metadata.xml", EINVAL, \
	  "unsupported element <metadata> at line 8") \
	X(namespaced_element, "namespaced-element.xml", EINVAL, \
	  "unsupported element <qemu:commandline> at line 8") \
	X(unknown_attribute, "unknown-attribute.xml", EINVAL, \
	  "unsupported attribute 'dumpCore' of <memory> at line 3") \
	X(unknown_attribute_id, "unknown-attribute-id.xml", EINVAL, \
	  "unsupported attribute 'id' of <domain> at line 1") \
	X(namespaced_attribute, "namespaced-attribute.xml", EINVAL, \
	  "unsupported attribute 'k:owner' of <domain> at line 1") \
	X(device_disk, "device-disk.xml", EINVAL, \
	  "unsupported <disk> device 'cdrom' at line 9: Kestrel has virtio-blk disks, device 'disk'") \
	X(device_interface, "device-interface.xml", EINVAL, \
	  "missing element <model> in <interface> at line 10: Kestrel's interfaces are virtio-net") \
	X(device_graphics, "device-graphics.xml", EINVAL, \
	  "unsupported element <graphics> at line 9") \
	X(device_emulator, "device-emulator.xml", EINVAL, \
	  "unsupported element <emulator> at line 9: Kestrel has no emulator process") \
	X(memory_bad_unit, "memory-bad-unit.xml", EINVAL, \
	  "unknown unit 'KiBs' of <memory> at line 3") \
	X(memory_not_a_number, "memory-not-a-number.xml", EINVAL, \
	  "invalid size '64M' in <memory> at line 3: not a number") \
	X(memory_negative, "memory-negative.xml", EINVAL, \
	  "invalid size '-64' in <memory> at line 3") \
	X(memory_too_small, "memory-too-small.xml", ERANGE, \
	  "<memory> of 1024 KiB is out of range at line 3: Kestrel runs guests of 2048 KiB (2 MiB) to 1073741824 KiB (1 TiB)") \
	X(memory_too_large, "memory-too-large.xml", ERANGE, \
	  "<memory> of 2147483648 KiB is out of range at line 3") \
	X(memory_overflow_unit, "memory-overflow-unit.xml", ERANGE, \
	  "size 16 EiB in <memory> is too large at line 3") \
	X(memory_overflow_number, "memory-overflow-number.xml", ERANGE, \
	  "size 99999999999999999999 KiB in <memory> is too large at line 3") \
	X(memory_missing, "memory-missing.xml", EINVAL, \
	  "missing element <memory> in <domain> at line 1") \
	X(current_memory_larger, "current-memory-larger.xml", ERANGE, \
	  "<currentMemory> of 131072 KiB is larger than <memory> of 65536 KiB at line 4") \
	X(duplicate_memory, "duplicate-memory.xml", EINVAL, \
	  "duplicate element <memory> at line 4 (the first is at line 3)") \
	X(vcpu_current_larger, "vcpu-current-larger.xml", ERANGE, \
	  "value '5' of attribute 'current' of <vcpu> is out of range at line 8: want 1..4") \
	X(vcpu_zero, "vcpu-zero.xml", ERANGE, \
	  "value '0' of <vcpu> is out of range at line 8: want 1..64") \
	X(vcpu_too_many, "vcpu-too-many.xml", ERANGE, \
	  "value '65' of <vcpu> is out of range at line 8: want 1..64") \
	X(vcpu_placement, "vcpu-placement.xml", EINVAL, \
	  "unsupported value 'dynamic' of attribute 'placement' of <vcpu> at line 8") \
	X(vcpu_cpuset, "vcpu-cpuset.xml", EINVAL, \
	  "unsupported attribute 'cpuset' of <vcpu> at line 8") \
	X(topology_mismatch, "topology-mismatch.xml", EINVAL, \
	  "<topology> of 8 vCPUs (sockets 2 * dies 1 * cores 2 * threads 2) does not match the 4 of <vcpu> at line 10") \
	X(topology_zero, "topology-zero.xml", ERANGE, \
	  "value '0' of attribute 'cores' of <topology> is out of range at line 10") \
	X(topology_missing_cores, "topology-missing-cores.xml", EINVAL, \
	  "missing attribute 'cores' of <topology> at line 9") \
	X(cpu_custom, "cpu-custom.xml", EINVAL, \
	  "<cpu> mode 'custom' (a named CPU model) is not supported yet at line 8") \
	X(cpu_check, "cpu-check.xml", EINVAL, \
	  "unsupported attribute 'check' of <cpu> at line 8") \
	X(cpu_feature, "cpu-feature.xml", EINVAL, \
	  "unsupported element <feature> at line 9") \
	X(uuid_bad, "uuid-bad.xml", EINVAL, \
	  "invalid UUID '6e1f3c2a-9b41-4d2e-8f10-55210abcdefz' at line 3") \
	X(uuid_short, "uuid-short.xml", EINVAL, \
	  "invalid UUID '6e1f3c2a9b414d2e8f1055210abcdef' at line 3: want 8-4-4-4-12 or 32 hex digits") \
	X(name_slash, "name-slash.xml", EINVAL, \
	  "invalid domain name 'web/01' at line 2: it cannot contain '/'") \
	X(name_dash, "name-dash.xml", EINVAL, \
	  "invalid domain name '-rf' at line 2: it cannot start with '-'") \
	X(name_too_long, "name-too-long.xml", EINVAL, \
	  "at line 2: it is 64 bytes, at most 63") \
	X(name_empty, "name-empty.xml", EINVAL, \
	  "invalid domain name at line 2: it is empty") \
	X(name_newline, "name-newline.xml", EINVAL, \
	  "invalid domain name at line 2: it contains control character 0x0a") \
	X(name_child_element, "name-child-element.xml", EINVAL, \
	  "unsupported element <b> at line 2") \
	X(name_missing, "name-missing.xml", EINVAL, \
	  "missing element <name> in <domain> at line 1") \
	X(type_missing, "type-missing.xml", EINVAL, \
	  "missing attribute 'type' of <domain> at line 1") \
	X(type_xen, "type-xen.xml", EINVAL, \
	  "unsupported domain type 'xen' at line 1: Kestrel runs type 'kestrel' (or 'kvm')") \
	X(title_newline, "title-newline.xml", EINVAL, \
	  "<title> contains a line break at line 3") \
	X(os_missing, "os-missing.xml", EINVAL, \
	  "missing element <os> in <domain> at line 1") \
	X(os_type_missing, "os-type-missing.xml", EINVAL, \
	  "missing element <type> in <os> at line 4") \
	X(os_type_linux, "os-type-linux.xml", EINVAL, \
	  "unsupported OS type 'linux' in <type> at line 5") \
	X(os_arch, "os-arch.xml", EINVAL, \
	  "unsupported value 'i686' of attribute 'arch' of <type> at line 5") \
	X(os_machine, "os-machine.xml", EINVAL, \
	  "invalid value 'pc q35' of attribute 'machine' of <type> at line 5") \
	X(os_boot, "os-boot.xml", EINVAL, \
	  "unsupported element <boot> at line 6") \
	X(os_firmware, "os-firmware.xml", EINVAL, \
	  "unsupported attribute 'firmware' of <os> at line 4") \
	X(os_text, "os-text.xml", EINVAL, \
	  "unexpected text 'hvm' in <os> at line 5") \
	X(initrd_without_kernel, "initrd-without-kernel.xml", EINVAL, \
	  "<initrd> without a <kernel> at line 6") \
	X(cmdline_without_kernel, "cmdline-without-kernel.xml", EINVAL, \
	  "<cmdline> without a <kernel> at line 6") \
	X(kernel_relative, "kernel-relative.xml", EINVAL, \
	  "<kernel> path 'boot/vmlinuz' is not absolute at line 6") \
	X(kernel_empty, "kernel-empty.xml", EINVAL, \
	  "empty <kernel> at line 6") \
	X(feature_pae, "feature-pae.xml", EINVAL, \
	  "unsupported element <pae> at line 10") \
	X(feature_apic_eoi, "feature-apic-eoi.xml", EINVAL, \
	  "unsupported attribute 'eoi' of <apic> at line 9") \
	X(clock_variable, "clock-variable.xml", EINVAL, \
	  "unsupported attribute 'adjustment' of <clock> at line 8") \
	X(clock_timezone, "clock-timezone.xml", EINVAL, \
	  "unsupported value 'timezone' of attribute 'offset' of <clock> at line 8") \
	X(clock_timer, "clock-timer.xml", EINVAL, \
	  "unsupported element <timer> at line 9") \
	X(lifecycle_bad, "lifecycle-bad.xml", EINVAL, \
	  "invalid value 'explode' of <on_crash> at line 8") \
	X(lifecycle_rename_restart, "lifecycle-rename-restart.xml", EINVAL, \
	  "<on_reboot> action 'rename-restart' is not supported at line 8: Kestrel can destroy, restart or preserve") \
	X(lifecycle_coredump, "lifecycle-coredump.xml", EINVAL, \
	  "<on_crash> action 'coredump-destroy' is not supported at line 8") \
	X(lifecycle_coredump_poweroff, "lifecycle-coredump-poweroff.xml", EINVAL, \
	  "invalid value 'coredump-restart' of <on_poweroff> at line 8") \
	X(vcpupin_out_of_range, "vcpupin-out-of-range.xml", ERANGE, \
	  "<vcpupin> vcpu='4' is out of range at line 10: the domain has 4 vCPUs (0-3)") \
	X(vcpupin_duplicate, "vcpupin-duplicate.xml", EINVAL, \
	  "duplicate <vcpupin> for vcpu 1 at line 11") \
	X(vcpupin_bad_cpuset, "vcpupin-bad-cpuset.xml", EINVAL, \
	  "invalid cpuset '0-3,x' (expected a CPU number at 'x') in <vcpupin> at line 10") \
	X(vcpupin_empty_cpuset, "vcpupin-empty-cpuset.xml", EINVAL, \
	  "<vcpupin> cpuset '1,^1' selects no CPU at line 10") \
	X(vcpupin_cpu_too_high, "vcpupin-cpu-too-high.xml", ERANGE, \
	  "invalid cpuset '0,1024' (CPU numbers go up to 1023) in <vcpupin> at line 10") \
	X(vcpupin_reversed, "vcpupin-reversed.xml", EINVAL, \
	  "(range 3-1 goes backwards) in <vcpupin> at line 10") \
	X(vcpupin_negated_range, "vcpupin-negated-range.xml", EINVAL, \
	  "('^' excludes one CPU, not a range) in <vcpupin> at line 10") \
	X(vcpupin_missing_cpuset, "vcpupin-missing-cpuset.xml", EINVAL, \
	  "missing attribute 'cpuset' of <vcpupin> at line 10") \
	X(cputune_shares, "cputune-shares.xml", EINVAL, \
	  "unsupported element <shares> at line 9") \
	X(serial_file, "serial-file.xml", EINVAL, \
	  "unsupported <serial> type 'file' at line 9: Kestrel has type 'pty'") \
	X(serial_port_1, "serial-port-1.xml", EINVAL, \
	  "unsupported <serial> target port 1 at line 10: Kestrel has one serial port, port 0") \
	X(serial_two, "serial-two.xml", EINVAL, \
	  "a second <serial> at line 10 (the first is at line 9)") \
	X(serial_source, "serial-source.xml", EINVAL, \
	  "unsupported element <source> at line 10") \
	X(serial_model, "serial-model.xml", EINVAL, \
	  "unsupported serial model '16550a' at line 11") \
	X(console_virtio, "console-virtio.xml", EINVAL, \
	  "unsupported virtio <console> type 'file' at line 9: Kestrel's virtio console has type 'pty'") \
	X(console_virtio_two, "console-virtio-two.xml", EINVAL, \
	  "a second virtio <console> at line 12 (the first is at line 9): Kestrel has one virtio console") \
	X(console_virtio_port, "console-virtio-port.xml", EINVAL, \
	  "unsupported virtio <console> target port 1 at line 10: Kestrel has one virtio console, port 0") \
	X(console_virtio_source, "console-virtio-source.xml", EINVAL, \
	  "unsupported element <source> at line 10") \
	X(console_no_type, "console-no-type.xml", EINVAL, \
	  "missing attribute 'type' of <console> at line 9") \
	X(rng_model, "rng-model.xml", EINVAL, \
	  "unsupported <rng> model 'virtio-transitional' at line 9: Kestrel has model 'virtio'") \
	X(rng_backend_egd, "rng-backend-egd.xml", EINVAL, \
	  "<rng> backend model 'egd' is not supported at line 10: Kestrel serves entropy from the host kernel") \
	X(rng_backend_path, "rng-backend-path.xml", EINVAL, \
	  "unsupported <rng> backend '/dev/hwrng' at line 10: Kestrel takes /dev/urandom or /dev/random") \
	X(rng_backend_missing, "rng-backend-missing.xml", EINVAL, \
	  "missing element <backend> in <rng> at line 9") \
	X(rng_address_bus, "rng-address-bus.xml", EINVAL, \
	  "unsupported PCI bus '0x01' in <address> at line 11") \
	X(rng_address_slot, "rng-address-slot.xml", ERANGE, \
	  "PCI slot '0x20' in <address> is out of range at line 11: want 0x01..0x1f") \
	X(rng_address_type, "rng-address-type.xml", EINVAL, \
	  "unsupported <address> type 'ccw' at line 11") \
	X(rng_duplicate_slot, "rng-duplicate-slot.xml", EINVAL, \
	  "PCI slot 0x05 of <rng> at line 13 is already taken by <rng> at line 9") \
	X(rng_rate_no_bytes, "rng-rate-no-bytes.xml", EINVAL, \
	  "missing attribute 'bytes' of <rate> at line 11") \
	X(rng_rate_period, "rng-rate-period.xml", ERANGE, \
	  "value '3600001' of attribute 'period' of <rate> is out of range at line 11: want 1..3600000") \
	X(rng_unknown_child, "rng-unknown-child.xml", EINVAL, \
	  "unsupported element <alias> at line 11") \
	X(rng_unknown_attribute, "rng-unknown-attribute.xml", EINVAL, \
	  "unsupported attribute 'index' of <rng> at line 9") \
	X(rng_too_many, "rng-too-many.xml", ERANGE, \
	  "a 17th device <rng> at line 57: Kestrel has at most 16 devices") \
	X(interface_bridge_name, "interface-bridge-name.xml", EINVAL, \
	  "invalid bridge name 'a-very-long-bridge' in <source> at line 10: a Linux interface name") \
	X(interface_bridge_no_source, "interface-bridge-no-source.xml", EINVAL, \
	  "missing element <source> in <interface type='bridge'> at line 9") \
	X(interface_driver_txmode, "interface-driver-txmode.xml", EINVAL, \
	  "unsupported attribute 'txmode' of <driver> at line 11") \
	X(interface_duplicate_mac, "interface-duplicate-mac.xml", EINVAL, \
	  "duplicate MAC address '52:54:00:12:34:56' of <interface> at line 14 (the first is at line 9)") \
	X(interface_duplicate_slot, "interface-duplicate-slot.xml", EINVAL, \
	  "PCI slot 0x02 of <interface> at line 14 is already taken by <disk> at line 9") \
	X(interface_duplicate_target, "interface-duplicate-target.xml", EINVAL, \
	  "duplicate target dev 'web0' of <interface> at line 13 (the first is at line 9)") \
	X(interface_ethernet_source, "interface-ethernet-source.xml", EINVAL, \
	  "unsupported element <source> in <interface type='ethernet'> at line 10: an ethernet interface is its tap device") \
	X(interface_filterref, "interface-filterref.xml", EINVAL, \
	  "unsupported element <filterref> at line 12") \
	X(interface_link_state, "interface-link-state.xml", EINVAL, \
	  "invalid value 'off' of attribute 'state' of <link> at line 11: want 'up' or 'down'") \
	X(interface_mac_invalid, "interface-mac-invalid.xml", EINVAL, \
	  "invalid MAC address '52:54:00:zz:00:01' in <mac> at line 10") \
	X(interface_mac_multicast, "interface-mac-multicast.xml", EINVAL, \
	  "expected unicast mac address, found multicast '01:00:5e:00:00:01' at line 10") \
	X(interface_managed_bridge, "interface-managed-bridge.xml", EINVAL, \
	  "unmanaged target dev is not supported on interfaces of type 'bridge' at line 11") \
	X(interface_managed_no_dev, "interface-managed-no-dev.xml", EINVAL, \
	  "target dev must be supplied when managed='no' at line 10") \
	X(interface_model_missing, "interface-model-missing.xml", EINVAL, \
	  "missing element <model> in <interface> at line 9: Kestrel's interfaces are virtio-net") \
	X(interface_model, "interface-model.xml", EINVAL, \
	  "unsupported <interface> model 'e1000' at line 11: Kestrel's interfaces are virtio-net, model 'virtio'") \
	X(interface_queues, "interface-queues.xml", ERANGE, \
	  "value '17' of attribute 'queues' of <driver> is out of range at line 11: want 1..16") \
	X(interface_target_dev, "interface-target-dev.xml", EINVAL, \
	  "invalid target dev 'web/0' of <interface> at line 10") \
	X(interface_type_user, "interface-type-user.xml", EINVAL, \
	  "unsupported <interface> type 'user' at line 9: Kestrel's interfaces are taps") \
	X(disk_backing_store, "disk-backing-store.xml", EINVAL, \
	  "unsupported element <backingStore> at line 12") \
	X(disk_block_file_attr, "disk-block-file-attr.xml", EINVAL, \
	  "unsupported attribute 'file' of <source> at line 11: a <disk type='block'> names its device with 'dev'") \
	X(disk_boot_order, "disk-boot-order.xml", EINVAL, \
	  "unsupported element <boot> at line 13") \
	X(disk_bus_sata, "disk-bus-sata.xml", EINVAL, \
	  "unsupported <disk> bus 'sata' at line 12: Kestrel's disks are virtio-blk, bus 'virtio'") \
	X(disk_cache, "disk-cache.xml", EINVAL, \
	  "unsupported value 'writearound' of attribute 'cache' of <driver> at line 10") \
	X(disk_device_lun, "disk-device-lun.xml", EINVAL, \
	  "unsupported <disk> device 'lun' at line 9") \
	X(disk_driver_name, "disk-driver-name.xml", EINVAL, \
	  "unsupported <driver> name 'tap' of <disk> at line 10") \
	X(disk_duplicate_slot, "disk-duplicate-slot.xml", EINVAL, \
	  "PCI slot 0x03 of <disk> at line 13 is already taken by <rng> at line 9") \
	X(disk_duplicate_target, "disk-duplicate-target.xml", EINVAL, \
	  "duplicate target dev 'vda' of <disk> at line 14 (the first is at line 9)") \
	X(disk_format_qcow2, "disk-format-qcow2.xml", EINVAL, \
	  "unsupported disk format 'qcow2' in <driver> at line 10: Kestrel serves raw images only") \
	X(disk_io_default, "disk-io-default.xml", EINVAL, \
	  "unsupported value 'default' of attribute 'io' of <driver> at line 10: want native, threads or io_uring") \
	X(disk_iotune, "disk-iotune.xml", EINVAL, \
	  "unsupported element <iotune> at line 13") \
	X(disk_queues, "disk-queues.xml", ERANGE, \
	  "value '65' of attribute 'queues' of <driver> is out of range at line 10: want 1..64") \
	X(disk_serial_char, "disk-serial-char.xml", EINVAL, \
	  "invalid character 0x2f in <serial> of <disk> at line 13") \
	X(disk_serial_long, "disk-serial-long.xml", EINVAL, \
	  "<serial> 'ABCDEFGHIJKLMNOPQRSTU' of <disk> is 21 bytes at line 13: virtio-blk's serial is at most 20 bytes") \
	X(disk_shareable, "disk-shareable.xml", EINVAL, \
	  "unsupported element <shareable> at line 13") \
	X(disk_source_missing, "disk-source-missing.xml", EINVAL, \
	  "missing element <source> in <disk> at line 9") \
	X(disk_source_relative, "disk-source-relative.xml", EINVAL, \
	  "<source> path 'images/web.img' is not absolute at line 11") \
	X(disk_target_dev, "disk-target-dev.xml", EINVAL, \
	  "invalid target dev 'hda' of <disk> at line 12") \
	X(disk_type_network, "disk-type-network.xml", EINVAL, \
	  "unsupported <disk> type 'network' at line 9: Kestrel's disks are backed by a local file or block device")

#define BAD_VARIANT(id, f, e, m) \
	FIXTURE_VARIANT_ADD(bad, id) { .file = f, .err = e, .msg = m };
BAD_CASES(BAD_VARIANT)

#define BAD_FILE(id, f, e, m) f,
static const char *const bad_files[] = { BAD_CASES(BAD_FILE) };

TEST_F(bad, is_refused_with_errno_element_and_line)
{
	struct kestrel_domxml init;
	size_t len = 0;
	char *xml;
	int ret;

	xml = slurp(data_path("bad", variant->file), &len);
	ASSERT_NE(NULL, xml) TH_LOG("cannot read bad/%s", variant->file);
	kestrel_clear_error();
	ret = kestrel_domxml_parse(xml, len, &self->d);
	EXPECT_FAILURE(ret, variant->err, variant->msg);
	/* Nothing is half-filled: the model is back to its defaults. */
	kestrel_domxml_init(&init);
	EXPECT_TRUE(kestrel_domxml_equal(&init, &self->d));
	EXPECT_FALSE(self->d.uuid_generated);
	free(xml);
}

/* Every file of the corpus has its case, and every example its twin. */
TEST(corpus_files_all_have_tests)
{
	const char *const *list;
	struct dirent *e;
	size_t i, n, seen = 0;
	DIR *dir;

	dir = opendir(data_path("bad", NULL));
	ASSERT_NE(NULL, dir);
	while ((e = readdir(dir))) {
		bool found = false;

		if (e->d_name[0] == '.')
			continue;
		for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++)
			found |= !strcmp(bad_files[i], e->d_name);
		EXPECT_TRUE(found) TH_LOG("bad/%s has no case in BAD_CASES", e->d_name);
		seen++;
	}
	closedir(dir);
	EXPECT_EQ(sizeof(bad_files) / sizeof(bad_files[0]), seen);

	list = good_files;
	n = sizeof(good_files) / sizeof(good_files[0]);
	seen = 0;
	dir = opendir(data_path("good", NULL));
	ASSERT_NE(NULL, dir);
	while ((e = readdir(dir))) {
		bool found = false;

		if (e->d_name[0] == '.')
			continue;
		for (i = 0; i < n; i++)
			found |= !strcmp(list[i], e->d_name);
		EXPECT_TRUE(found) TH_LOG("good/%s has no variant", e->d_name);
		EXPECT_EQ(0, access(data_path("canonical", e->d_name), R_OK))
			TH_LOG("good/%s has no canonical/ twin", e->d_name);
		seen++;
	}
	closedir(dir);
	EXPECT_EQ(n, seen);
}

/* ---- units and rounding ---- */

FIXTURE(units) {
	struct kestrel_domxml d;
};

FIXTURE_VARIANT(units) {
	const char *unit;	/* NULL: no unit attribute (KiB) */
	const char *value;
	uint64_t kib;
};

FIXTURE_SETUP(units) {}
FIXTURE_TEARDOWN(units)
{
	kestrel_domxml_free(&self->d);
}

FIXTURE_VARIANT_ADD(units, default_kib) { NULL, "4096", 4096 };
FIXTURE_VARIANT_ADD(units, default_kib_rounds_to_pages) { NULL, "4097", 4100 };
FIXTURE_VARIANT_ADD(units, b) { "b", "4194304", 4096 };
FIXTURE_VARIANT_ADD(units, byte) { "byte", "4194305", 4100 };
FIXTURE_VARIANT_ADD(units, bytes) { "bytes", "4194303", 4096 };
FIXTURE_VARIANT_ADD(units, k) { "k", "4096", 4096 };
FIXTURE_VARIANT_ADD(units, KiB) { "KiB", "4098", 4100 };
FIXTURE_VARIANT_ADD(units, KB) { "KB", "4096", 4000 };
FIXTURE_VARIANT_ADD(units, M) { "M", "4", 4096 };
FIXTURE_VARIANT_ADD(units, MiB) { "MiB", "3", 3072 };
FIXTURE_VARIANT_ADD(units, MB) { "MB", "3", 2932 };
FIXTURE_VARIANT_ADD(units, G) { "G", "1", 1048576 };
FIXTURE_VARIANT_ADD(units, GiB) { "GiB", "2", 2097152 };
FIXTURE_VARIANT_ADD(units, GB) { "GB", "1", 976564 };
FIXTURE_VARIANT_ADD(units, T) { "T", "1", 1073741824 };
FIXTURE_VARIANT_ADD(units, TiB) { "TiB", "1", 1073741824 };
FIXTURE_VARIANT_ADD(units, TB) { "TB", "1", 976562500 };
FIXTURE_VARIANT_ADD(units, any_case) { "mib", "2", 2048 };
FIXTURE_VARIANT_ADD(units, upper_case) { "KIB", "8192", 8192 };
FIXTURE_VARIANT_ADD(units, blanks_around_number) { "MiB", " 16\n ", 16384 };

TEST_F(units, memory_in_kib_rounded_up_to_4_kib)
{
	char xml[512];

	snprintf(xml, sizeof(xml),
		 "<domain type='kestrel'><name>u</name>"
		 "<memory%s%s%s>%s</memory>"
		 "<currentMemory%s%s%s>%s</currentMemory>"
		 "<os><type>hvm</type></os></domain>",
		 variant->unit ? " unit='" : "", variant->unit ?: "",
		 variant->unit ? "'" : "", variant->value,
		 variant->unit ? " unit='" : "", variant->unit ?: "",
		 variant->unit ? "'" : "", variant->value);
	ASSERT_EQ(0, parse_str(xml, &self->d)) TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(variant->kib, self->d.memory_kib);
	EXPECT_EQ(variant->kib, self->d.current_memory_kib);
	EXPECT_EQ(0, self->d.memory_kib % KESTREL_DOMXML_PAGE_KIB);
}

static int parse_memory(const char *memory, struct kestrel_domxml *d)
{
	char xml[512];

	snprintf(xml, sizeof(xml),
		 "<domain type='kestrel'><name>m</name>%s"
		 "<os><type>hvm</type></os></domain>", memory);
	return parse_str(xml, d);
}

TEST(memory_bounds_apply_after_rounding)
{
	struct kestrel_domxml d;

	/* 2 MiB - 1 KiB rounds up to 2 MiB: accepted, as libvirt would. */
	ASSERT_EQ(0, parse_memory("<memory>2047</memory>", &d));
	EXPECT_EQ(2048, d.memory_kib);
	kestrel_domxml_free(&d);
	EXPECT_FAILURE(parse_memory("<memory>2044</memory>", &d), ERANGE,
		       "<memory> of 2044 KiB is out of range at line 1");
	ASSERT_EQ(0, parse_memory("<memory unit='TiB'>1</memory>", &d));
	EXPECT_EQ(KESTREL_DOMXML_MEMORY_MAX_KIB, d.memory_kib);
	kestrel_domxml_free(&d);
	EXPECT_FAILURE(parse_memory("<memory>1073741825</memory>", &d), ERANGE,
		       "<memory> of 1073741828 KiB is out of range");
	EXPECT_FAILURE(parse_memory("<memory unit='b'>18446744073709551615</memory>", &d),
		       ERANGE, "<memory> of 18014398509481984 KiB is out of range");
	EXPECT_FAILURE(parse_memory("<memory unit='KiB'>18014398509481984</memory>", &d),
		       ERANGE, "too large");
	EXPECT_FAILURE(parse_memory("<memory unit='P'>1</memory>", &d), ERANGE,
		       "out of range");
	EXPECT_FAILURE(parse_memory("<memory unit=''>4096</memory>", &d), EINVAL,
		       "unknown unit '' of <memory>");
	EXPECT_FAILURE(parse_memory("<memory unit='Mi'>4</memory>", &d), EINVAL,
		       "unknown unit 'Mi'");
	EXPECT_FAILURE(parse_memory("<memory>0x1000</memory>", &d), EINVAL,
		       "invalid size '0x1000'");
	EXPECT_FAILURE(parse_memory("<memory>+4096</memory>", &d), EINVAL,
		       "invalid size '+4096'");
	EXPECT_FAILURE(parse_memory("<memory></memory>", &d), EINVAL,
		       "invalid size ''");
	EXPECT_FAILURE(parse_memory("<memory>4096</memory><currentMemory>2044</currentMemory>", &d),
		       ERANGE, "<currentMemory> of 2044 KiB is out of range");
}

TEST(current_memory_compares_after_rounding)
{
	struct kestrel_domxml d;

	/* 4097 KiB and 4099 KiB both take 4100 KiB of pages. */
	ASSERT_EQ(0, parse_memory("<memory>4097</memory><currentMemory>4099</currentMemory>",
				  &d)) TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(4100, d.memory_kib);
	EXPECT_EQ(4100, d.current_memory_kib);
	kestrel_domxml_free(&d);
	ASSERT_EQ(0, parse_memory("<memory>8192</memory><currentMemory>4096</currentMemory>",
				  &d));
	EXPECT_EQ(4096, d.current_memory_kib);
	kestrel_domxml_free(&d);
}

/* ---- vCPUs and names ---- */

TEST(vcpu_limits)
{
	struct kestrel_domxml d;

	ASSERT_EQ(0, parse_memory("<memory>4096</memory><vcpu current='1'>64</vcpu>", &d));
	EXPECT_EQ(64, d.vcpus);
	EXPECT_EQ(1, d.vcpus_current);
	kestrel_domxml_free(&d);
	EXPECT_FAILURE(parse_memory("<memory>4096</memory><vcpu current='0'>2</vcpu>", &d),
		       ERANGE, "value '0' of attribute 'current' of <vcpu> is out of range");
	EXPECT_FAILURE(parse_memory("<memory>4096</memory><vcpu>two</vcpu>", &d),
		       EINVAL, "invalid value 'two' of <vcpu> at line 1: not a number");
	EXPECT_FAILURE(parse_memory("<memory>4096</memory><vcpu>99999999999999999999999</vcpu>", &d),
		       ERANGE, "of <vcpu> is out of range");
	/* current equal to the count is not written out. */
	ASSERT_EQ(0, parse_memory("<memory>4096</memory><vcpu current='2'>2</vcpu>", &d));
	EXPECT_EQ(2, d.vcpus_current);
	kestrel_domxml_free(&d);
}

static int parse_name(const char *name, struct kestrel_domxml *d)
{
	char xml[512];

	snprintf(xml, sizeof(xml),
		 "<domain type='kestrel'><name>%s</name><memory>4096</memory>"
		 "<os><type>hvm</type></os></domain>", name);
	return parse_str(xml, d);
}

TEST(names_follow_libvirt_and_kestrel_rules)
{
	char name[KESTREL_NAME_MAX + 1];
	struct kestrel_domxml d;

	memset(name, 'a', sizeof(name));
	name[KESTREL_NAME_MAX - 1] = '\0';	/* 63 bytes: the longest */
	ASSERT_EQ(0, parse_name(name, &d));
	EXPECT_STREQ(name, d.name);
	kestrel_domxml_free(&d);
	name[KESTREL_NAME_MAX - 1] = 'a';
	name[KESTREL_NAME_MAX] = '\0';		/* 64 bytes */
	EXPECT_FAILURE(parse_name(name, &d), EINVAL, "it is 64 bytes, at most 63");
	ASSERT_EQ(0, parse_name("web 01.example_x-y", &d));
	kestrel_domxml_free(&d);
	ASSERT_EQ(0, parse_name("a-", &d));	/* only a leading '-' */
	kestrel_domxml_free(&d);
	ASSERT_EQ(0, parse_name("\xc3\xa9t\xc3\xa9", &d));	/* UTF-8 */
	kestrel_domxml_free(&d);
	EXPECT_FAILURE(parse_name("a&#9;b", &d), EINVAL, "control character 0x09");
	EXPECT_FAILURE(parse_name("a&#127;b", &d), EINVAL, "control character 0x7f");
	EXPECT_FAILURE(parse_name("/", &d), EINVAL, "it cannot contain '/'");
	EXPECT_FAILURE(parse_name("-", &d), EINVAL, "it cannot start with '-'");
}

TEST(uuid_forms)
{
	struct kestrel_domxml d;
	char xml[512];

	snprintf(xml, sizeof(xml),
		 "<domain type='kestrel'><name>u</name>"
		 "<uuid>6E1F3C2A9B414D2E8F1055210ABCDEF1</uuid>"
		 "<memory>4096</memory><os><type>hvm</type></os></domain>");
	ASSERT_EQ(0, parse_str(xml, &d));
	EXPECT_EQ(0x6e, d.uuid[0]);
	EXPECT_EQ(0xf1, d.uuid[15]);
	EXPECT_FALSE(d.uuid_generated);
	kestrel_domxml_free(&d);
	snprintf(xml, sizeof(xml),
		 "<domain type='kestrel'><name>u</name><uuid></uuid>"
		 "<memory>4096</memory><os><type>hvm</type></os></domain>");
	EXPECT_FAILURE(parse_str(xml, &d), EINVAL, "invalid UUID '' at line 1");
	snprintf(xml, sizeof(xml),
		 "<domain type='kestrel'><name>u</name>"
		 "<uuid>6e1f3c2a-9b41-4d2e-8f10_55210abcdef1</uuid>"
		 "<memory>4096</memory><os><type>hvm</type></os></domain>");
	EXPECT_FAILURE(parse_str(xml, &d), EINVAL, "invalid UUID");
}

/* ---- sizes, files, libxml2's output, threads ---- */

/* A valid document padded with a comment to exactly @len bytes. */
static char *padded_doc(size_t len)
{
	static const char head[] = "<domain type='kestrel'><name>big</name>"
		"<memory>4096</memory><os><type>hvm</type></os><!--";
	static const char tail[] = "--></domain>";
	char *xml = malloc(len + 1);

	if (!xml)
		return NULL;
	memset(xml, 'x', len);
	memcpy(xml, head, strlen(head));
	memcpy(xml + len - strlen(tail), tail, strlen(tail));
	xml[len] = '\0';
	return xml;
}

TEST(document_size_limit)
{
	struct kestrel_domxml d;
	char *xml;

	xml = padded_doc(KESTREL_XML_MAX);
	ASSERT_NE(NULL, xml);
	ASSERT_EQ(0, kestrel_domxml_parse(xml, KESTREL_XML_MAX, &d))
		TH_LOG("%s", kestrel_last_error());
	kestrel_domxml_free(&d);
	free(xml);
	xml = padded_doc(KESTREL_XML_MAX + 1);
	ASSERT_NE(NULL, xml);
	EXPECT_FAILURE(kestrel_domxml_parse(xml, KESTREL_XML_MAX + 1, &d), EFBIG,
		       "domain XML is 65001 bytes, more than the maximum of 65000");
	free(xml);
	EXPECT_FAILURE(kestrel_domxml_parse(NULL, 0, &d), EINVAL, "empty domain XML");
	EXPECT_FAILURE(kestrel_domxml_parse("", 0, &d), EINVAL, "empty domain XML");
}

TEST(parse_file_errors_name_the_file)
{
	char dir[] = "/tmp/domxml_test.XXXXXX", path[PATH_MAX];
	struct kestrel_domxml d;
	char *xml;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.xml", dir);
	EXPECT_FAILURE(kestrel_domxml_parse_file(path, &d), ENOENT, "cannot open ");
	EXPECT_NE(NULL, strstr(kestrel_last_error(), path));

	snprintf(path, sizeof(path), "%s/big.xml", dir);
	xml = padded_doc(KESTREL_XML_MAX + 4096);
	ASSERT_NE(NULL, xml);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs(xml, f);
	fclose(f);
	free(xml);
	EXPECT_FAILURE(kestrel_domxml_parse_file(path, &d), EFBIG,
		       "big.xml: domain XML is larger than the maximum of 65000 bytes");
	unlink(path);

	EXPECT_FAILURE(kestrel_domxml_parse_file(dir, &d), EISDIR, "cannot read ");
	rmdir(dir);

	/* Parse errors are prefixed with the file's name. */
	snprintf(path, sizeof(path), "%s", data_path("bad", "device-disk.xml"));
	EXPECT_FAILURE(kestrel_domxml_parse_file(path, &d), EINVAL,
		       "device-disk.xml: unsupported <disk> device 'cdrom' at line 9");
	EXPECT_EQ(0, strncmp(kestrel_last_error(), path, strlen(path)));
}

TEST(libxml2_prints_nothing)
{
	static const char *const docs[] = {
		"<domain type='kestrel'><name>x</name>",
		"<domain type='kestrel'>&foo;</domain>",
		"<?xml version='1.0' encoding='bogus-8'?><domain/>",
		"<domain type='kestrel' type='kvm'/>",
		"\xff\xfe<domain/>",
		"<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'><domain/>",
		/*
		 * Conversion errors come from outside the parser context
		 * (libxml2's own "HTML" encoding: no iconv module loaded).
		 */
		"<?xml version='1.0' encoding='HTML'?>\n"
		"<domain type='kestrel'><name>x\xff\xfe</name></domain>",
	};
	struct kestrel_domxml d;
	char path[] = "/tmp/domxml_stderr.XXXXXX";
	struct stat st;
	int fd, saved;
	size_t i;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	ASSERT_LE(0, saved);
	dup2(fd, 2);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		if (parse_str(docs[i], &d) != -EINVAL) {
			dup2(saved, 2);
			ASSERT_EQ(-EINVAL, parse_str(docs[i], &d))
				TH_LOG("doc %zu: %s", i, kestrel_last_error());
		}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_size);
	close(fd);
}

struct thread_case {
	const char *xml;
	const char *msg;
	int ret;
	bool ok;
};

static void *parse_thread(void *arg)
{
	struct thread_case *c = arg;
	struct kestrel_domxml d;
	int i;

	c->ok = true;
	for (i = 0; i < 200; i++) {
		c->ret = parse_str(c->xml, &d);
		if (c->ret != -EINVAL ||
		    !strstr(kestrel_last_error(), c->msg))
			c->ok = false;
	}
	return NULL;
}

TEST(threads_parse_concurrently_with_their_own_errors)
{
	struct thread_case cases[] = {
		{ .xml = "<domain type='kestrel'>\n<name>a</name><disk/></domain>",
		  .msg = "unsupported element <disk> at line 2" },
		{ .xml = "<domain type='kestrel'>\n\n<name>a/b</name><memory>4096</memory></domain>",
		  .msg = "invalid domain name 'a/b' at line 3" },
		{ .xml = "<domain type='kestrel'>\n\n\n<name>a</name></dom>",
		  .msg = "malformed XML at line 4 column" },
		{ .xml = "<domain type='xen'/>",
		  .msg = "unsupported domain type 'xen'" },
	};
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, parse_thread, &cases[i]));
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_TRUE(cases[i].ok) TH_LOG("thread %d: %d", i, cases[i].ret);
	}
}

/* ---- building and formatting a model without XML ---- */

TEST(a_built_model_formats_and_reads_back)
{
	struct kestrel_domxml d, back;
	char *out;

	kestrel_domxml_init(&d);
	EXPECT_EQ(1, d.vcpus);
	EXPECT_EQ(KESTREL_DOMXML_LIFECYCLE_RESTART, d.on_reboot);
	snprintf(d.name, sizeof(d.name), "built");
	ASSERT_EQ(0, kestrel_uuid_generate(d.uuid));
	d.memory_kib = d.current_memory_kib = 262144;
	d.vcpus = 2;
	d.vcpus_current = 2;
	/* Characters a parser would otherwise normalize away. */
	d.description = strdup("line one\r\nline\ttwo & <three>");
	d.cmdline = strdup("console=ttyS0\tquiet 'x' \"y\"");
	d.kernel = strdup("/boot/a&b");
	d.machine = strdup("pc-q35-7.2");
	d.serial = d.console = true;
	d.nr_vcpupins = 1;
	d.vcpupins[0].vcpu = 1;
	kestrel_cpuset_set(&d.vcpupins[0].cpuset, 1023);
	out = kestrel_domxml_format(&d);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "<description>line one&#13;\nline\ttwo &amp; &lt;three&gt;</description>"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "<vcpupin vcpu='1' cpuset='1023'/>"));
	ASSERT_EQ(0, parse_str(out, &back)) TH_LOG("%s\n%s", kestrel_last_error(), out);
	EXPECT_TRUE(kestrel_domxml_equal(&d, &back));
	EXPECT_STREQ(d.description, back.description);
	EXPECT_STREQ(d.cmdline, back.cmdline);
	free(out);
	kestrel_domxml_free(&back);
	kestrel_domxml_free(&d);
	kestrel_domxml_free(&d);	/* twice is fine */
}

TEST(format_refuses_values_outside_the_enums)
{
	struct kestrel_domxml d;
	char *out;

	kestrel_domxml_init(&d);
	snprintf(d.name, sizeof(d.name), "x");
	d.memory_kib = d.current_memory_kib = 4096;
	d.on_crash = (enum kestrel_domxml_lifecycle)42;
	EXPECT_EQ(NULL, kestrel_domxml_format(&d));
	EXPECT_EQ(EINVAL, kestrel_last_errno());
	/* A device without a slot (a built model must assign one). */
	d.on_crash = KESTREL_DOMXML_LIFECYCLE_DESTROY;
	d.nr_devices = 1;
	d.devices[0].type = KESTREL_DEV_RNG;
	EXPECT_EQ(NULL, kestrel_domxml_format(&d));
	EXPECT_EQ(EINVAL, kestrel_last_errno());
	d.devices[0].slot = 4;
	d.devices[0].rng.backend = (enum kestrel_domxml_rng_backend)9;
	EXPECT_EQ(NULL, kestrel_domxml_format(&d));
	d.devices[0].rng.backend = KESTREL_DOMXML_RNG_BUILTIN;
	out = kestrel_domxml_format(&d);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "    <rng model='virtio'>\n"
			       "      <backend model='builtin'/>\n"
			       "      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>\n"
			       "    </rng>\n")) TH_LOG("%s", out);
	free(out);
}

TEST(equal_compares_every_field)
{
	struct kestrel_domxml a, b;

	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "full.xml"), &a));
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "full.xml"), &b));
	EXPECT_TRUE(kestrel_domxml_equal(&a, &b));
#define DIFFERS(stmt) do { stmt; EXPECT_FALSE(kestrel_domxml_equal(&a, &b)) \
	TH_LOG("%s", #stmt); kestrel_domxml_free(&b); \
	ASSERT_EQ(0, kestrel_domxml_parse_file(data_path("good", "full.xml"), &b)); \
	} while (0)
	DIFFERS(b.type = KESTREL_DOMXML_TYPE_KVM);
	DIFFERS(b.name[0] = 'W');
	DIFFERS(b.uuid[15] ^= 1);
	DIFFERS(b.title[0] = 'f');
	DIFFERS(free(b.description); b.description = NULL);
	DIFFERS(b.memory_kib += 4);
	DIFFERS(b.current_memory_kib -= 4);
	DIFFERS(b.vcpus_current = 3);
	DIFFERS(b.placement = KESTREL_DOMXML_PLACEMENT_AUTO);
	DIFFERS(b.machine[0] = 'q');
	DIFFERS(b.kernel[1] = 'x');
	DIFFERS(b.initrd[1] = 'x');
	DIFFERS(b.cmdline[0] = 'x');
	DIFFERS(b.acpi = false);
	DIFFERS(b.apic = false);
	DIFFERS(b.cpu_mode = KESTREL_DOMXML_CPU_HOST_MODEL);
	DIFFERS(b.threads = 1);
	DIFFERS(b.clock_offset = KESTREL_DOMXML_CLOCK_LOCALTIME);
	DIFFERS(b.on_poweroff = KESTREL_DOMXML_LIFECYCLE_PRESERVE);
	DIFFERS(b.on_reboot = KESTREL_DOMXML_LIFECYCLE_DESTROY);
	DIFFERS(b.on_crash = KESTREL_DOMXML_LIFECYCLE_RESTART);
	DIFFERS(b.serial = false);
	DIFFERS(b.nr_vcpupins--);
	DIFFERS(kestrel_cpuset_set(&b.vcpupins[0].cpuset, 9));
	DIFFERS(b.nr_devices--);
	DIFFERS(b.devices[0].slot = 8);
	DIFFERS(b.devices[0].rng.backend = KESTREL_DOMXML_RNG_BUILTIN);
	DIFFERS(b.devices[0].rng.rate_bytes = 1);
	DIFFERS(b.devices[0].rng.rate_period = 0);
#undef DIFFERS
	kestrel_domxml_free(&a);
	kestrel_domxml_free(&b);
}

/* ---- cpusets ---- */

TEST(cpuset_syntax_and_canonical_form)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "0", "0" },
		{ "0-3,^2,5", "0-1,3,5" },
		{ "5,4,3", "3-5" },
		{ "0-1", "0-1" },
		{ "^3,3", "3" },		/* applied left to right */
		{ "3,^3", "" },
		{ " 1 , 2-2 ", "1-2" },
		{ "0-1023", "0-1023" },
		{ "1023", "1023" },
		{ "0,2,4,6,7", "0,2,4,6-7" },
		{ "007", "7" },
	};
	static const struct { const char *in; int err; } bad[] = {
		{ "", EINVAL }, { ",", EINVAL }, { "1,", EINVAL },
		{ "a", EINVAL }, { "-1", EINVAL }, { "1-", EINVAL },
		{ "3-1", EINVAL }, { "^1-2", EINVAL }, { "1 2", EINVAL },
		{ "1;2", EINVAL }, { "1024", ERANGE }, { "0-1024", ERANGE },
		{ "99999999999999999999", ERANGE },
	};
	struct kestrel_cpuset set;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *s;

		memset(&set, 0xff, sizeof(set));
		ASSERT_EQ(0, kestrel_cpuset_parse(ok[i].in, &set))
			TH_LOG("'%s': %s", ok[i].in, kestrel_last_error());
		s = kestrel_cpuset_format(&set);
		ASSERT_NE(NULL, s);
		EXPECT_STREQ(ok[i].out, s) TH_LOG("from '%s'", ok[i].in);
		EXPECT_EQ(!ok[i].out[0], kestrel_cpuset_empty(&set));
		free(s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&set, 0, sizeof(set));
		kestrel_cpuset_set(&set, 7);
		EXPECT_EQ(-bad[i].err, kestrel_cpuset_parse(bad[i].in, &set))
			TH_LOG("'%s'", bad[i].in);
		EXPECT_NE(NULL, strstr(kestrel_last_error(), "invalid cpuset"));
		EXPECT_TRUE(kestrel_cpuset_test(&set, 7));	/* untouched */
	}
	EXPECT_EQ(-EINVAL, kestrel_cpuset_parse(NULL, &set));
	EXPECT_FALSE(kestrel_cpuset_test(&set, KESTREL_CPUSET_MAX));
}

TEST(enum_names_are_libvirts)
{
	EXPECT_STREQ("kestrel", kestrel_domxml_type_name(KESTREL_DOMXML_TYPE_KESTREL));
	EXPECT_STREQ("kvm", kestrel_domxml_type_name(KESTREL_DOMXML_TYPE_KVM));
	EXPECT_STREQ("auto", kestrel_domxml_placement_name(KESTREL_DOMXML_PLACEMENT_AUTO));
	EXPECT_STREQ("host-passthrough",
		     kestrel_domxml_cpu_mode_name(KESTREL_DOMXML_CPU_HOST_PASSTHROUGH));
	EXPECT_EQ(NULL, kestrel_domxml_cpu_mode_name(KESTREL_DOMXML_CPU_DEFAULT));
	EXPECT_STREQ("localtime", kestrel_domxml_clock_name(KESTREL_DOMXML_CLOCK_LOCALTIME));
	/* virDomainLifecycleAction's numbering. */
	EXPECT_STREQ("destroy", kestrel_domxml_lifecycle_name(0));
	EXPECT_STREQ("restart", kestrel_domxml_lifecycle_name(1));
	EXPECT_STREQ("rename-restart", kestrel_domxml_lifecycle_name(2));
	EXPECT_STREQ("preserve", kestrel_domxml_lifecycle_name(3));
	EXPECT_STREQ("coredump-destroy", kestrel_domxml_lifecycle_name(4));
	EXPECT_STREQ("coredump-restart", kestrel_domxml_lifecycle_name(5));
	EXPECT_EQ(NULL, kestrel_domxml_lifecycle_name(6));
}

TEST_HARNESS_MAIN
