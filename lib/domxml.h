/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain XML model: the subset of libvirt's domain XML that Kestrel
 * runs today (direct kernel boot of an x86_64 guest with a serial
 * console, virtio-blk disks, virtio-net interfaces, virtio-rng
 * devices and a virtio console), parsed strictly and
 * written back in libvirt's canonical layout, the way `virsh dumpxml`
 * prints a KVM domain.
 *
 * Parsing never drops anything silently: every element, attribute or
 * value Kestrel does not support is an error that names it and gives its
 * line ("unsupported element <filterref> at line 12").  Malformed XML is
 * reported with libxml2's line and column.  Errors follow libkestrel's
 * convention: a negative errno, and a message for kestrel_last_error():
 *
 *   -EINVAL  malformed XML, unsupported or invalid element, attribute or
 *            value, missing required element, inconsistent settings
 *   -ERANGE  a well-formed number outside its allowed range (memory size,
 *            vCPU count, currentMemory > memory, vcpupin vcpu, host CPU,
 *            <rng> rate, <driver> queues, PCI slot, more than
 *            KESTREL_MAX_DEVICES devices)
 *   -EFBIG   a document larger than KESTREL_XML_MAX bytes
 *   -ENOMEM, or the errno of open()/read() for kestrel_domxml_parse_file()
 *
 * Canonical form (kestrel_domxml_format()): libvirt's element order and
 * attribute order, 2-space indentation, memory in KiB with unit='KiB', a
 * UUID always present, lower-case dashed.  For every accepted document x:
 * parse(format(parse(x))) equals parse(x) (kestrel_domxml_equal()) and
 * format(parse(format(d))) is byte-for-byte format(d).
 */
#ifndef KESTREL_DOMXML_H
#define KESTREL_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kestrel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Guest memory bounds, in KiB (2 MiB .. 1 TiB). */
#define KESTREL_DOMXML_MEMORY_MIN_KIB	(2ULL << 10)
#define KESTREL_DOMXML_MEMORY_MAX_KIB	(1ULL << 30)
/* Guest memory is whole pages: sizes are rounded up to this many KiB. */
#define KESTREL_DOMXML_PAGE_KIB		4ULL

/* Host CPUs a cpuset can name: 0 .. KESTREL_CPUSET_MAX - 1. */
#define KESTREL_CPUSET_MAX		1024

/* A set of host CPUs, as libvirt's cpuset attributes describe them. */
struct kestrel_cpuset {
	uint64_t bits[KESTREL_CPUSET_MAX / 64];
};

/* The domain type attribute; Kestrel writes back the one it read. */
enum kestrel_domxml_type {
	KESTREL_DOMXML_TYPE_KESTREL,
	KESTREL_DOMXML_TYPE_KVM,	/* accepted so existing KVM XML works */
};

/* <vcpu placement='...'> */
enum kestrel_domxml_placement {
	KESTREL_DOMXML_PLACEMENT_STATIC,
	KESTREL_DOMXML_PLACEMENT_AUTO,
};

/* <cpu mode='...'>; "custom" (a named CPU model) is not supported yet. */
enum kestrel_domxml_cpu_mode {
	KESTREL_DOMXML_CPU_DEFAULT,		/* no <cpu> or no mode attribute */
	KESTREL_DOMXML_CPU_HOST_PASSTHROUGH,
	KESTREL_DOMXML_CPU_HOST_MODEL,
};

/* <clock offset='...'> */
enum kestrel_domxml_clock_offset {
	KESTREL_DOMXML_CLOCK_UTC,
	KESTREL_DOMXML_CLOCK_LOCALTIME,
};

/*
 * on_poweroff / on_reboot / on_crash, numbered as libvirt's
 * virDomainLifecycleAction.  The parser accepts destroy, restart and
 * preserve; the others are libvirt's but Kestrel cannot do them.
 */
enum kestrel_domxml_lifecycle {
	KESTREL_DOMXML_LIFECYCLE_DESTROY = 0,
	KESTREL_DOMXML_LIFECYCLE_RESTART = 1,
	KESTREL_DOMXML_LIFECYCLE_RENAME_RESTART = 2,
	KESTREL_DOMXML_LIFECYCLE_PRESERVE = 3,
	KESTREL_DOMXML_LIFECYCLE_COREDUMP_DESTROY = 4,
	KESTREL_DOMXML_LIFECYCLE_COREDUMP_RESTART = 5,
};

/*
 * <rng model='virtio'><backend ...>: where the guest's entropy comes from.
 * Every one is served by the host kernel's CSPRNG (get_random_bytes());
 * the XML's choice is kept so that dumpxml gives back what was written.
 */
enum kestrel_domxml_rng_backend {
	KESTREL_DOMXML_RNG_URANDOM,	/* model='random', /dev/urandom */
	KESTREL_DOMXML_RNG_RANDOM,	/* model='random', /dev/random */
	KESTREL_DOMXML_RNG_BUILTIN,	/* model='builtin' */
};

/* <rate bytes='N' period='MS'/> of an <rng>: period 1..this many ms. */
#define KESTREL_DOMXML_RNG_PERIOD_MAX	3600000U
/* libvirt's (and QEMU's) period when <rate> gives only bytes. */
#define KESTREL_DOMXML_RNG_PERIOD_DEFAULT	1000U

/* <disk type='...'>: what backs a virtio-blk disk. */
enum kestrel_domxml_disk_type {
	KESTREL_DOMXML_DISK_FILE,	/* <source file='/abs/path'/>, a regular file */
	KESTREL_DOMXML_DISK_BLOCK,	/* <source dev='/dev/...'/>, a block device */
};

/* <driver name='...'>: kept as written (both mean the module's virtio-blk). */
enum kestrel_domxml_disk_driver {
	KESTREL_DOMXML_DISK_DRIVER_NONE,	/* no name attribute */
	KESTREL_DOMXML_DISK_DRIVER_QEMU,
	KESTREL_DOMXML_DISK_DRIVER_KESTREL,
};

/*
 * <driver cache='...'>, numbered as libvirt's virDomainDiskCache.  none
 * and directsync open the backend with O_DIRECT, the others buffered
 * (kestrel_domxml_disk_direct()).  'default' reads as DEFAULT and, as in
 * libvirt, is written back as no attribute.
 */
enum kestrel_domxml_disk_cache {
	KESTREL_DOMXML_DISK_CACHE_DEFAULT = 0,
	KESTREL_DOMXML_DISK_CACHE_NONE = 1,
	KESTREL_DOMXML_DISK_CACHE_WRITETHROUGH = 2,
	KESTREL_DOMXML_DISK_CACHE_WRITEBACK = 3,
	KESTREL_DOMXML_DISK_CACHE_DIRECTSYNC = 4,
	KESTREL_DOMXML_DISK_CACHE_UNSAFE = 5,
};

/* <driver io='...'>, numbered as libvirt's virDomainDiskIo ('default' refused). */
enum kestrel_domxml_disk_io {
	KESTREL_DOMXML_DISK_IO_DEFAULT = 0,	/* no attribute */
	KESTREL_DOMXML_DISK_IO_NATIVE = 1,
	KESTREL_DOMXML_DISK_IO_THREADS = 2,
	KESTREL_DOMXML_DISK_IO_URING = 3,
};

/* <target dev='vdX'>: "vd" and 1..13 lower-case letters, NUL included. */
#define KESTREL_DOMXML_DISK_TARGET_MAX	16
/* <serial>: 1..20 bytes (virtio-blk's ID), libvirt's [A-Za-z0-9_.+- ]. */
#define KESTREL_DOMXML_DISK_SERIAL_MAX	20
/* <driver queues='N'>: 1..this many. */
#define KESTREL_DOMXML_DISK_QUEUES_MAX	64

/* <interface type='...'>: how a virtio-net interface reaches the host. */
enum kestrel_domxml_net_type {
	KESTREL_DOMXML_NET_ETHERNET,	/* a tap device, named or generated */
	KESTREL_DOMXML_NET_BRIDGE,	/* a generated tap, a port of <source bridge> */
	KESTREL_DOMXML_NET_NETWORK,	/* <source network>: a managed network (lib/network.h) */
};

/* <target managed='...'>: absent, 'yes' or 'no' (kept as written). */
enum kestrel_domxml_tristate {
	KESTREL_DOMXML_ABSENT,
	KESTREL_DOMXML_YES,
	KESTREL_DOMXML_NO,
};

/* <driver name='...'> of an <interface>: kept as written. */
enum kestrel_domxml_net_driver {
	KESTREL_DOMXML_NET_DRIVER_NONE,		/* no name attribute */
	KESTREL_DOMXML_NET_DRIVER_VHOST,	/* both mean the module's */
	KESTREL_DOMXML_NET_DRIVER_QEMU,		/* in-kernel virtio-net */
};

/* <link state='...'>: absent (up), 'up' or 'down'. */
enum kestrel_domxml_link {
	KESTREL_DOMXML_LINK_DEFAULT,
	KESTREL_DOMXML_LINK_UP,
	KESTREL_DOMXML_LINK_DOWN,
};

/* A network interface name (tap, bridge): 1..15 bytes, NUL included here. */
#define KESTREL_DOMXML_IFNAME_MAX	16
/* <driver queues='N'> of an <interface>: 1..this many queue pairs. */
#define KESTREL_DOMXML_NET_QUEUES_MAX	16
/*
 * The prefix of the tap names Kestrel generates (ktap0, ktap1, ...), as
 * libvirt's vnet: a <target dev> with it (and not managed='no') is read
 * as no name at all, so that a generated name is generated again.
 */
#define KESTREL_DOMXML_TAP_PREFIX	"ktap"

/*
 * A device on the guest's PCI bus 0 (<address type='pci' domain='0x0000'
 * bus='0x00' slot='0xNN' function='0x0'/>).  After parsing every device
 * has a slot, 1..KESTREL_PCI_MAX_SLOT, each used once: devices without an
 * <address> get the lowest free ones in document order, after the
 * explicit addresses are taken (libvirt assigns addresses when it parses
 * too, so dumpxml shows them all).
 */
struct kestrel_domxml_device {
	/*
	 * KESTREL_DEV_RNG, KESTREL_DEV_BLOCK, KESTREL_DEV_NET, or
	 * KESTREL_DEV_CONSOLE: <console type='pty'><target type='virtio'/>,
	 * at most one, nothing but its slot (no struct of its own).
	 */
	enum kestrel_dev_type type;
	unsigned int slot;
	struct {				/* KESTREL_DEV_RNG */
		enum kestrel_domxml_rng_backend backend;
		/* <rate>: bytes 0 when absent (no limit). */
		uint32_t rate_bytes;
		/*
		 * 0 when <rate> had no period (written back
		 * without one, as libvirt does; it means
		 * KESTREL_DOMXML_RNG_PERIOD_DEFAULT).
		 */
		uint32_t rate_period;
	} rng;
	struct {				/* KESTREL_DEV_BLOCK: <disk> */
		enum kestrel_domxml_disk_type type;
		/* <source file|dev>: malloc'd, absolute, not opened here. */
		char *source;
		/* <target dev>: unique in the domain; bus is always virtio. */
		char target[KESTREL_DOMXML_DISK_TARGET_MAX];
		/* <driver>: the format is always raw (written type='raw'). */
		enum kestrel_domxml_disk_driver driver;
		enum kestrel_domxml_disk_cache cache;
		enum kestrel_domxml_disk_io io;
		uint32_t queues;		/* 0: no attribute (one per vCPU) */
		bool readonly;			/* <readonly/> */
		char serial[KESTREL_DOMXML_DISK_SERIAL_MAX + 1];	/* "" none */
	} disk;
	struct {				/* KESTREL_DEV_NET: <interface> */
		enum kestrel_domxml_net_type type;
		/* <mac address>: unicast, never all zeros. */
		uint8_t mac[6];
		/* The XML had no <mac>: 52:54:00 and 3 random bytes. */
		bool mac_generated;
		/*
		 * <source bridge='...'> (a host bridge, 1..15 bytes) or
		 * <source network='...'> (1..63 bytes); "" for ethernet.
		 */
		char source[KESTREL_NAME_MAX];
		/* <target dev>: the tap's name; "" to generate one. */
		char target[KESTREL_DOMXML_IFNAME_MAX];
		/* <target managed>: 'no' means the tap must exist already. */
		enum kestrel_domxml_tristate managed;
		enum kestrel_domxml_net_driver driver;
		uint32_t queues;		/* 0: no attribute (one pair) */
		enum kestrel_domxml_link link;
	} net;
};

/* <cputune><vcpupin vcpu='N' cpuset='...'/> */
struct kestrel_domxml_vcpupin {
	unsigned int vcpu;
	struct kestrel_cpuset cpuset;	/* never empty */
};

struct kestrel_domxml {
	enum kestrel_domxml_type type;
	char name[KESTREL_NAME_MAX];	/* 1..63 bytes, no '/', no leading '-' */
	uint8_t uuid[KESTREL_UUID_LEN];	/* always set after parsing */
	bool uuid_generated;		/* the XML had none: a random one */
	char *title;			/* NULL if none; one line */
	char *description;		/* NULL if none */

	uint64_t memory_kib;		/* a multiple of 4 KiB, in bounds */
	uint64_t current_memory_kib;	/* a multiple of 4 KiB, <= memory */

	unsigned int vcpus;		/* 1..KESTREL_MAX_VCPUS */
	unsigned int vcpus_current;	/* 1..vcpus */
	enum kestrel_domxml_placement placement;

	/* <os>: type is always hvm, arch always x86_64. */
	char *machine;			/* NULL if none; preserved as given */
	char *kernel;			/* absolute paths, not opened here */
	char *initrd;			/* only with a kernel */
	char *cmdline;

	bool acpi;			/* <features><acpi/> */
	bool apic;			/* <features><apic/> */

	enum kestrel_domxml_cpu_mode cpu_mode;
	bool has_topology;		/* sockets*dies*cores*threads == vcpus */
	unsigned int sockets, dies, cores, threads;

	enum kestrel_domxml_clock_offset clock_offset;
	enum kestrel_domxml_lifecycle on_poweroff;	/* default destroy */
	enum kestrel_domxml_lifecycle on_reboot;	/* default restart */
	enum kestrel_domxml_lifecycle on_crash;		/* default destroy */

	/*
	 * The UART console stream: <serial type='pty'> on port 0 and the
	 * <console type='pty'> that aliases it.  As in libvirt, either one
	 * implies the other, so after parsing both are set or neither.
	 * A <console> with <target type='virtio'> is not this one but the
	 * virtio console, a device (KESTREL_DEV_CONSOLE); it is written
	 * after this console, port 1 when this one exists, else port 0.
	 */
	bool serial;
	bool console;

	unsigned int nr_vcpupins;	/* sorted by vcpu, each vcpu once */
	struct kestrel_domxml_vcpupin vcpupins[KESTREL_MAX_VCPUS];

	/*
	 * The PCI devices: the <disk>s first, ordered by target dev (vda,
	 * vdb, ..., vdz, vdaa: libvirt keeps them so), then the <interface>s
	 * and the <rng>s, each in document order, then the virtio console.
	 * Slots without an <address> are given as libvirt gives them:
	 * interfaces first, then disks, then rngs; the virtio console last.
	 */
	unsigned int nr_devices;	/* 0..KESTREL_MAX_DEVICES */
	struct kestrel_domxml_device devices[KESTREL_MAX_DEVICES];
};

/*
 * An empty model with libvirt's defaults (no name, no memory, 1 vCPU,
 * clock utc, on_poweroff destroy, on_reboot restart, on_crash destroy),
 * for code that builds a domain without XML.
 */
void kestrel_domxml_init(struct kestrel_domxml *d);

/*
 * Parse @len bytes of domain XML into @out (overwritten).  On success @out
 * owns its strings (release with kestrel_domxml_free()); on failure it is
 * left initialized and owns nothing.  A missing UUID is generated.
 */
int kestrel_domxml_parse(const char *xml, size_t len,
			 struct kestrel_domxml *out);
/* The same, from a file (read whole; -EFBIG past KESTREL_XML_MAX). */
int kestrel_domxml_parse_file(const char *path, struct kestrel_domxml *out);

/*
 * The canonical XML of @d, malloc'd and NUL-terminated, ending with a
 * newline; NULL with -ENOMEM recorded if out of memory.
 */
char *kestrel_domxml_format(const struct kestrel_domxml *d);

/* Release what @d owns and re-initialize it (safe to call twice). */
void kestrel_domxml_free(struct kestrel_domxml *d);

/* True when both models say the same (strings compared by content). */
bool kestrel_domxml_equal(const struct kestrel_domxml *a,
			  const struct kestrel_domxml *b);

/* libvirt's spelling of the enums ("kestrel", "auto", "host-model", ...). */
const char *kestrel_domxml_type_name(enum kestrel_domxml_type type);
const char *kestrel_domxml_placement_name(enum kestrel_domxml_placement p);
const char *kestrel_domxml_cpu_mode_name(enum kestrel_domxml_cpu_mode mode);
const char *kestrel_domxml_clock_name(enum kestrel_domxml_clock_offset off);
const char *kestrel_domxml_lifecycle_name(enum kestrel_domxml_lifecycle a);
/* <backend model='random'>'s path, or NULL for the builtin backend. */
const char *kestrel_domxml_rng_path(enum kestrel_domxml_rng_backend b);
/* "file"/"block", "qemu"/"kestrel" (NULL for NONE), cache and io modes
 * (NULL for DEFAULT and for values outside the enums). */
const char *kestrel_domxml_disk_type_name(enum kestrel_domxml_disk_type t);
const char *kestrel_domxml_disk_driver_name(enum kestrel_domxml_disk_driver d);
const char *kestrel_domxml_disk_cache_name(enum kestrel_domxml_disk_cache c);
const char *kestrel_domxml_disk_io_name(enum kestrel_domxml_disk_io io);
/* Whether a cache mode opens the backend with O_DIRECT (none, directsync). */
bool kestrel_domxml_disk_direct(enum kestrel_domxml_disk_cache c);
/* "ethernet"/"bridge"/"network", "vhost"/"qemu" (NULL for NONE),
 * "up"/"down" (NULL for DEFAULT), "yes"/"no" (NULL for ABSENT). */
const char *kestrel_domxml_net_type_name(enum kestrel_domxml_net_type t);
const char *kestrel_domxml_net_driver_name(enum kestrel_domxml_net_driver d);
const char *kestrel_domxml_link_name(enum kestrel_domxml_link l);
const char *kestrel_domxml_tristate_name(enum kestrel_domxml_tristate t);
/*
 * "52:54:00:ab:cd:ef" (lower case) into @buf of at least 18 bytes, and
 * back: 0, or -EINVAL unless six colon-separated pairs of hex digits.
 */
char *kestrel_mac_format(const uint8_t mac[6], char *buf);
int kestrel_mac_parse(const char *s, uint8_t mac[6]);
/* libvirt's: 52:54:00 and three random bytes (getrandom). */
int kestrel_mac_generate(uint8_t mac[6]);
/*
 * A network interface name Linux accepts: 1..15 bytes, not "." or "..",
 * no '/', ':', blank or control character; and no '%' (a template).
 */
bool kestrel_ifname_valid(const char *name);

/*
 * The module's action (enum kestrel_lifecycle_action) for an on_poweroff /
 * on_reboot / on_crash value: destroy, restart, preserve; -EINVAL for the
 * ones Kestrel cannot do (the parser refuses them already).
 */
int kestrel_domxml_lifecycle_action(enum kestrel_domxml_lifecycle a);

/*
 * libvirt's cpuset syntax: comma-separated CPUs "N", ranges "N-M" and
 * exclusions "^N", applied left to right ("0-3,^2,5" is {0,1,3,5});
 * blanks around items are allowed.  The result may be empty.  -EINVAL on
 * bad syntax, -ERANGE for a CPU >= KESTREL_CPUSET_MAX.
 */
int kestrel_cpuset_parse(const char *s, struct kestrel_cpuset *set);
/* libvirt's canonical form: ascending, ranges of two or more as "N-M". */
char *kestrel_cpuset_format(const struct kestrel_cpuset *set);
bool kestrel_cpuset_test(const struct kestrel_cpuset *set, unsigned int cpu);
void kestrel_cpuset_set(struct kestrel_cpuset *set, unsigned int cpu);
void kestrel_cpuset_clear(struct kestrel_cpuset *set, unsigned int cpu);
bool kestrel_cpuset_empty(const struct kestrel_cpuset *set);

/*
 * Pin vCPU @vcpu of running domain @id to the host CPUs in @set: the CPU
 * affinity of its thread (pin.c).  -ESRCH without such a thread, -EINVAL
 * when @set holds no online CPU; the reason is kestrel_last_error().
 */
int kestrel_vcpu_pin(uint32_t id, unsigned int vcpu,
		     const struct kestrel_cpuset *set);

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_DOMXML_H */
