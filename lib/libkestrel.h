/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkestrel: the userspace side of Kestrel.  Every tool (the kestrel
 * controller, the selftests, the benchmarks) talks to the module through
 * this library and nothing else.
 *
 * Errors: functions return 0 or a negative errno and leave a message for
 * kestrel_last_error() (per thread), which includes the module's extack
 * message when the kernel sent one.
 */
#ifndef LIBKESTREL_H
#define LIBKESTREL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/kestrel.h>

#define LIBKESTREL_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---- */

/* The message of the last failure in this thread ("" if none). */
const char *kestrel_last_error(void);
/* The errno of the last failure in this thread (0 if none). */
int kestrel_last_errno(void);
/* Record a failure; returns -err so callers can "return kestrel_fail(...)". */
int kestrel_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kestrel_clear_error(void);

/* ---- connection to the module ---- */

struct kestrel_conn;

/*
 * Open a netlink socket and resolve the "kestrel" family.  Fails with
 * -ENOENT and a plain message when the module is not loaded.
 */
int kestrel_open(struct kestrel_conn **connp);
void kestrel_close(struct kestrel_conn *conn);
/* True when the last failure meant "module not loaded". */
bool kestrel_error_is_no_module(void);

/* ---- GET_INFO ---- */

struct kestrel_info {
	char version[32];
	uint32_t api_version;
	enum kestrel_backend backend;
	char backend_detail[128];
	uint64_t features;
	uint32_t hw_revision;
	uint32_t nr_asids;
	uint32_t host_cpus;
	uint32_t active_domains;
	uint32_t tsc_khz;		/* the guests' TSC rate; 0 unknown */
};

int kestrel_get_info(struct kestrel_conn *conn, struct kestrel_info *info);

const char *kestrel_backend_name(enum kestrel_backend backend);
/* cpuinfo-style name of a feature bit, or NULL if the bit is undefined. */
const char *kestrel_feature_name(unsigned int bit);
/* Write "npt nrip_save ..." (space separated) into buf; returns buf. */
char *kestrel_features_string(uint64_t features, char *buf, size_t len);

/* ---- domains (KESTREL_CMD_DOMAIN_*) ---- */

/*
 * A device for DOMAIN_CREATE (KESTREL_A_DEVICE): a virtio-pci device on
 * the guest's PCI bus 0.
 */
struct kestrel_device_config {
	/*
	 * KESTREL_DEV_RNG, KESTREL_DEV_BLOCK, KESTREL_DEV_NET, or
	 * KESTREL_DEV_CONSOLE (a type and a slot only: every other field
	 * zero, fd and fds unused).
	 */
	enum kestrel_dev_type type;
	uint32_t slot;			/* PCI device number, 1..KESTREL_PCI_MAX_SLOT */
	/*
	 * rng: at most rate_bytes per rate_period ms (1..3600000); both 0
	 * for no limit (then neither attribute is sent).  0 for a block
	 * device.
	 */
	uint32_t rate_bytes;
	uint32_t rate_period;
	/*
	 * block: the caller's open fd of the backend file or block device
	 * (KESTREL_A_DEV_FD; -1 none, which is refused).  The module takes
	 * its own reference during DOMAIN_CREATE: the caller keeps the fd
	 * open until kestrel_domain_create() returns, then may close it.
	 * Opened read-only when readonly is set.  Not read for other types.
	 */
	int fd;
	bool readonly;			/* block: KESTREL_A_DEV_READONLY */
	/* block: KESTREL_A_DEV_SERIAL, "" for none, at most 20 bytes. */
	char serial[21];
	/* block: KESTREL_A_DEV_QUEUES, 1..64; 0: one per vCPU (not sent). */
	uint32_t queues;
	/*
	 * net: the caller's open tap fds, one per queue pair (1..16; sent
	 * as KESTREL_A_DEV_FDS, never KESTREL_A_DEV_FD), with the same
	 * lifetime rule as a block device's fd: the module takes its own
	 * references, the caller closes them once kestrel_domain_create()
	 * returns (a non-persistent tap then lives as long as the domain).
	 * queues must be 0 for a net device: the pairs are nr_fds.
	 */
	int fds[16];
	unsigned int nr_fds;
	/* net: KESTREL_A_DEV_MAC, the guest's address (unicast, not zero). */
	uint8_t mac[6];
	/* net: <link state='down'>, sent as KESTREL_A_DEV_LINK_DOWN. */
	bool link_down;
};

/* ---- tap devices and bridges (net.c) ---- */

/*
 * Open tap @name (created, or an existing one attached to; NULL: a new
 * one named ktapN, the first free N) with @queues queue pairs (1..16):
 * @queues fds in @fds, each O_CLOEXEC, IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR (| IFF_MULTI_QUEUE when @queues > 1), a 12-byte vnet
 * header (struct virtio_net_hdr_mrg_rxbuf), and the link set up.  The
 * name it got goes to @name_out (IFNAMSIZ bytes) when not NULL.  A tap
 * created here is not persistent: it goes away with the last fd (and
 * the last reference the module took).  0 or a negative errno with
 * libvirt's words ("Unable to create tap device ktap0: Operation not
 * permitted"); on failure no fd is left open.
 */
int kestrel_tap_open(const char *name, unsigned int queues, int *fds,
		     char *name_out);
/*
 * The same for a tap that must exist already (<target managed='no'>):
 * nothing is created and its flags are left alone (no CAP_NET_ADMIN
 * needed for a tap whose owner is the caller).  -ENODEV when there is
 * no such device.
 */
int kestrel_tap_open_existing(const char *name, unsigned int queues,
			      int *fds);
/* Set interface @ifname's MAC address (SIOCSIFHWADDR). */
int kestrel_netdev_set_mac(const char *ifname, const uint8_t mac[6]);
/*
 * Make @ifname a port of the existing bridge @bridge (SIOCBRADDIF).
 * -ENODEV when @bridge does not exist, -EINVAL when it is not a bridge.
 */
int kestrel_bridge_attach(const char *bridge, const char *ifname);

struct kestrel_domain_config {
	const char *name;
	const uint8_t *uuid;		/* KESTREL_UUID_LEN bytes, NULL: generated */
	uint64_t memory;		/* bytes */
	uint32_t vcpus;
	const void *xml;		/* opaque copy kept by the kernel, may be NULL */
	size_t xml_len;
	/*
	 * on_poweroff / on_reboot / on_crash: sent (all three) only when
	 * set_lifecycle is true; otherwise the module's defaults apply
	 * (destroy, destroy, preserve).
	 */
	bool set_lifecycle;
	enum kestrel_lifecycle_action on_poweroff;
	enum kestrel_lifecycle_action on_reboot;
	enum kestrel_lifecycle_action on_crash;
	/*
	 * Devices (KESTREL_A_DOM_DEVICES, sent only when nr_devices > 0):
	 * slots distinct, checked before anything is sent.
	 */
	unsigned int nr_devices;	/* 0..KESTREL_MAX_DEVICES */
	struct kestrel_device_config devices[KESTREL_MAX_DEVICES];
};

struct kestrel_domain_info {
	uint32_t id;
	char name[KESTREL_NAME_MAX];
	uint8_t uuid[KESTREL_UUID_LEN];
	enum kestrel_dom_state state;
	uint32_t reason;
	uint64_t memory;		/* bytes */
	uint32_t vcpus;
	uint64_t cpu_time_ns;
	char *xml;			/* malloc'd, NUL-terminated, when asked for */
	size_t xml_len;
};

/*
 * One device's counters (KESTREL_A_STAT_DEVICES), since the domain was
 * created.  The counters of the other type are 0, and an rng has none.
 */
struct kestrel_device_stats {
	enum kestrel_dev_type type;
	uint32_t slot;			/* PCI device number */
	/* block: requests served and their bytes, requests failed */
	uint64_t rd_reqs, rd_bytes;
	uint64_t wr_reqs, wr_bytes;
	uint64_t flush_reqs;
	uint64_t errors;
	/*
	 * net, from the guest's side: rx is what the guest received (read
	 * from the tap), tx what it sent; bytes without the virtio header.
	 */
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
	bool link_down;			/* net: the guest sees no carrier */
};

struct kestrel_domain_stats {
	uint64_t exits[KESTREL_EXIT_COUNT];
	uint32_t nr_vcpus;
	uint64_t vcpu_time_ns[KESTREL_MAX_VCPUS];
	/*
	 * The devices in DOMAIN_CREATE's order (the order of the
	 * domain's XML model, kestrel_domxml.devices); 0 from a module
	 * that sends no STAT_DEVICES.
	 */
	unsigned int nr_devices;
	struct kestrel_device_stats devices[KESTREL_MAX_DEVICES];
};

/* Create a domain (shut off, zeroed RAM); fills @info if not NULL. */
int kestrel_domain_create(struct kestrel_conn *conn,
			  const struct kestrel_domain_config *cfg,
			  struct kestrel_domain_info *info);
/*
 * Look a domain up the way virsh does: @ref is an ID if it is a number, a
 * UUID if it parses as one, otherwise a name.  -ENOENT with libvirt's
 * message ("Domain not found: no domain with matching name 'x'").
 */
int kestrel_domain_lookup(struct kestrel_conn *conn, const char *ref,
			  struct kestrel_domain_info *info, bool want_xml);
int kestrel_domain_get(struct kestrel_conn *conn, uint32_t id,
		       struct kestrel_domain_info *info, bool want_xml);
/* All domains, sorted by ID; free with kestrel_domain_list_free(). */
int kestrel_domain_list(struct kestrel_conn *conn,
			struct kestrel_domain_info **list, size_t *count);
void kestrel_domain_list_free(struct kestrel_domain_info *list, size_t count);
void kestrel_domain_info_clear(struct kestrel_domain_info *info);

int kestrel_domain_start(struct kestrel_conn *conn, uint32_t id);
/*
 * The first START of a domain whose RAM userspace loaded: @regions (at
 * most KESTREL_MAX_BOOT_REGIONS; @nr 0 is a plain start) are kept by the
 * module with the vCPU registers as the boot image that on_reboot =
 * restart and kestrel_domain_reset() re-apply.  @files (at most @nr) are
 * the regions that are ranges of open files (the kernel, the initrd): the
 * module keeps those files instead of copies (struct kestrel_boot_file).
 */
int kestrel_domain_start_boot(struct kestrel_conn *conn, uint32_t id,
			      const struct kestrel_mem_region *regions,
			      unsigned int nr,
			      const struct kestrel_boot_file *files,
			      unsigned int nr_files);
int kestrel_domain_pause(struct kestrel_conn *conn, uint32_t id);
int kestrel_domain_resume(struct kestrel_conn *conn, uint32_t id);
int kestrel_domain_destroy(struct kestrel_conn *conn, uint32_t id);
/*
 * Press the ACPI power button (the guest decides); with @reboot the
 * guest's next power-off restarts the domain instead (virsh reboot).
 */
int kestrel_domain_shutdown(struct kestrel_conn *conn, uint32_t id,
			    bool reboot);
/* Hard reset: the boot image re-applied at once (virsh reset). */
int kestrel_domain_reset(struct kestrel_conn *conn, uint32_t id);
/*
 * The link of the network device in PCI slot @slot up or down as its
 * guest sees it (virsh domif-setlink), in any state of the domain.
 */
int kestrel_device_set_link(struct kestrel_conn *conn, uint32_t id,
			    uint32_t slot, bool up);
int kestrel_domain_stats(struct kestrel_conn *conn, uint32_t id,
			 struct kestrel_domain_stats *stats);

/* Either of @regs and @sregs may be NULL. */
int kestrel_vcpu_get_regs(struct kestrel_conn *conn, uint32_t id,
			  uint32_t vcpu, struct kestrel_regs *regs,
			  struct kestrel_sregs *sregs);
int kestrel_vcpu_set_regs(struct kestrel_conn *conn, uint32_t id,
			  uint32_t vcpu, const struct kestrel_regs *regs,
			  const struct kestrel_sregs *sregs);

/* Per-domain fds from /dev/kestrel; return an fd or a negative errno. */
int kestrel_domain_memory_fd(uint32_t id);
int kestrel_domain_console_fd(uint32_t id);

/* ---- lifecycle events (multicast group "events") ---- */

struct kestrel_event_msg {
	uint32_t id;
	char name[KESTREL_NAME_MAX];
	uint8_t uuid[KESTREL_UUID_LEN];
	enum kestrel_event event;
	uint32_t detail;
	/* KESTREL_EVENT_IO_ERROR only (0 otherwise): the disk, the errno,
	 * how many requests failed since its previous io-error event. */
	uint32_t slot;
	uint32_t error;
	uint32_t count;
};

/* A connection subscribed to the events group. */
int kestrel_event_open(struct kestrel_conn **connp);
/* Wait up to @timeout_ms (-1: forever) for one event; -ETIMEDOUT if none. */
int kestrel_event_next(struct kestrel_conn *conn, struct kestrel_event_msg *ev,
		       int timeout_ms);

/* ---- names, as virsh prints them ---- */

/* "running", "idle", "paused", "in shutdown", "shut off", "crashed", ... */
const char *kestrel_state_name(enum kestrel_dom_state state);
/* "booted", "user", "destroyed", ... ("unknown" for unknown values) */
const char *kestrel_state_reason_name(enum kestrel_dom_state state,
				      uint32_t reason);
/* "Started", "Stopped", ... and "Booted", "Destroyed", ... */
const char *kestrel_event_name(enum kestrel_event event);
const char *kestrel_event_detail_name(enum kestrel_event event,
				      uint32_t detail);

/* ---- UUIDs ---- */

#define KESTREL_UUID_STRLEN 37
void kestrel_uuid_format(const uint8_t uuid[KESTREL_UUID_LEN],
			 char out[KESTREL_UUID_STRLEN]);
/* Accepts 8-4-4-4-12 hex with dashes, or 32 hex digits; 0 or -EINVAL. */
int kestrel_uuid_parse(const char *s, uint8_t uuid[KESTREL_UUID_LEN]);
/* A random (version 4) UUID. */
int kestrel_uuid_generate(uint8_t uuid[KESTREL_UUID_LEN]);

/* ---- host facts (no module needed) ---- */

struct kestrel_nodeinfo {
	char arch[65];		/* "x86_64", as uname -m */
	char vendor[32];	/* "AMD", "Intel" */
	char model_name[96];	/* /proc/cpuinfo "model name" */
	unsigned int cpus;	/* online CPUs */
	unsigned int mhz;
	unsigned int sockets;
	unsigned int cores_per_socket;
	unsigned int threads_per_core;
	unsigned int numa_cells;
	unsigned long long memory_kib;
	char uuid[37];		/* host UUID, "" if unknown */
};

/*
 * Read the host's CPU and memory facts from /proc and /sys under root
 * ("/" normally; a directory with the same layout in tests).
 */
int kestrel_nodeinfo_read(const char *root, struct kestrel_nodeinfo *ni);

/* ---- XML output helpers ---- */

/* Write s to f as XML text / an attribute value, escaped as libvirt does. */
void kestrel_xml_escape(FILE *f, const char *s);
void kestrel_xml_escape_attr(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif

#endif /* LIBKESTREL_H */
