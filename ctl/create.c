// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domains from XML: create (transient, as virsh create) and dumpxml, and
 * the launch path that create and start (defs.c) share.
 *
 * create parses the file into the domain model, validates the kernel and
 * initrd against the guest's RAM before anything exists in the kernel,
 * then creates the domain (handing the kernel the canonical XML to keep),
 * writes the boot image into its RAM through the memory fd, sets the boot
 * vCPU's registers and starts it.  Any failure after the creation
 * destroys the half-made domain again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "domxml.h"
#include "loader.h"
#include "acpi.h"
#include "network.h"

static int write_boot_image(uint32_t id, const struct kestrel_boot_image *img,
			    uint64_t ram, struct kestrel_regs *regs,
			    struct kestrel_sregs *sregs)
{
	uint64_t low = ram < KESTREL_MMIO_HOLE_START ? ram : KESTREL_MMIO_HOLE_START;
	uint8_t *p;
	int fd, err;

	fd = kestrel_domain_memory_fd(id);
	if (fd < 0)
		return fd;
	p = mmap(NULL, low, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return kestrel_fail(errno, "cannot map the guest's memory: %s",
				    strerror(errno));
	err = kestrel_boot_image_write(img, p, low, regs, sregs);
	munmap(p, low);
	return err;
}

int ctl_boot_image_prepare(const struct kestrel_domxml *x, const char *origin,
			   uint32_t tsc_khz, struct kestrel_boot_image **imgp)
{
	struct kestrel_acpi_config acpi;
	char *cmdline;
	int err;

	*imgp = NULL;
	if (!x->kernel)
		return kestrel_fail(EINVAL, "%s: Kestrel boots the kernel named in <os><kernel>; there is none",
				    origin);
	/* What the guest learns from its command line (loader.h). */
	cmdline = kestrel_boot_cmdline_pv(x->cmdline, tsc_khz);
	if (!cmdline)
		return -1;
	err = kestrel_boot_image_load(x->kernel, x->initrd, cmdline,
				      x->memory_kib * 1024, imgp);
	free(cmdline);
	if (err)
		return -1;
	if (x->acpi) {
		kestrel_acpi_config_default(&acpi, x->vcpus);
		if (kestrel_boot_image_set_acpi(*imgp, &acpi)) {
			kestrel_boot_image_free(*imgp);
			*imgp = NULL;
			return -1;
		}
	}
	return 0;
}

/* The ranges of RAM the image was written to, for DOMAIN_START. */
static unsigned int boot_regions(const struct kestrel_boot_image *img,
				 struct kestrel_mem_region *r)
{
	struct kestrel_boot_layout l;
	unsigned int i;

	kestrel_boot_image_layout(img, &l);
	for (i = 0; i < l.nr_regions && i < KESTREL_MAX_BOOT_REGIONS; i++) {
		r[i].gpa = l.regions[i].gpa;
		r[i].size = l.regions[i].len;
	}
	return i;
}

static int lifecycle_config(const struct kestrel_domxml *x,
			    struct kestrel_domain_config *cfg)
{
	int off = kestrel_domxml_lifecycle_action(x->on_poweroff);
	int reboot = kestrel_domxml_lifecycle_action(x->on_reboot);
	int crash = kestrel_domxml_lifecycle_action(x->on_crash);

	if (off < 0 || reboot < 0 || crash < 0)
		return kestrel_fail(EINVAL, "unsupported lifecycle action");
	cfg->set_lifecycle = true;
	cfg->on_poweroff = off;
	cfg->on_reboot = reboot;
	cfg->on_crash = crash;
	return 0;
}

static void close_disks(int *fds);

/*
 * Open each <disk>'s backend, as the module will use it: read-write (or
 * read-only with <readonly/>), O_DIRECT for cache='none' and
 * 'directsync', never inherited.  @fds[i] is device i's fd, -1 for the
 * devices that are not disks; on failure every fd opened is closed again
 * and the reason recorded (libvirt's words for a file it cannot reach).
 */
static int open_disks(const struct kestrel_domxml *x, int *fds)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < KESTREL_MAX_DEVICES; i++)
		fds[i] = -1;
	for (i = 0; i < x->nr_devices && i < KESTREL_MAX_DEVICES && !err; i++) {
		const struct kestrel_domxml_device *d = &x->devices[i];
		const char *path = d->disk.source;
		bool direct;
		struct stat st;
		int flags;

		if (d->type != KESTREL_DEV_BLOCK)
			continue;
		direct = kestrel_domxml_disk_direct(d->disk.cache);
		flags = (d->disk.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
			(direct ? O_DIRECT : 0);
		fds[i] = open(path, flags);
		if (fds[i] < 0 && direct && errno == EINVAL)
			err = kestrel_fail(EINVAL, "Cannot open storage file '%s' with cache='%s': cache='none' needs a filesystem with O_DIRECT (use cache='writeback' there)",
					   path,
					   kestrel_domxml_disk_cache_name(d->disk.cache));
		else if (fds[i] < 0)
			err = kestrel_fail(errno, "Cannot access storage file '%s': %s",
					   path, strerror(errno));
		else if (fstat(fds[i], &st))
			err = kestrel_fail(errno, "Cannot access storage file '%s': %s",
					   path, strerror(errno));
		else if (d->disk.type == KESTREL_DOMXML_DISK_FILE &&
			 !S_ISREG(st.st_mode))
			err = kestrel_fail(EINVAL, "storage file '%s' is not a regular file: <disk type='file'> needs one (type='block' with <source dev=...> for a block device)",
					   path);
		else if (d->disk.type == KESTREL_DOMXML_DISK_BLOCK &&
			 !S_ISBLK(st.st_mode))
			err = kestrel_fail(EINVAL, "'%s' is not a block device: <disk type='block'> needs one (type='file' with <source file=...> for an image file)",
					   path);
	}
	if (err)
		close_disks(fds);
	return err;
}

static void close_disks(int *fds)
{
	unsigned int i;

	for (i = 0; i < KESTREL_MAX_DEVICES; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* The tap fds of each <interface>: taps[i] for device i. */
struct tap_fds {
	int fds[KESTREL_DOMXML_NET_QUEUES_MAX];
	unsigned int n;
};

static void close_taps(struct tap_fds *taps)
{
	unsigned int i;

	for (i = 0; i < KESTREL_MAX_DEVICES; i++) {
		while (taps[i].n)
			close(taps[i].fds[--taps[i].n]);
	}
}

/*
 * What is the XML's fault, refused before anything is opened (whether
 * the module is loaded or not): an <interface type='network'> whose
 * network is not defined or not active (libvirt's "Network not found" and
 * "network 'x' is not active"), and a <target managed='no'> tap that
 * does not exist.
 */
static int check_interfaces(const struct kestrel_domxml *x)
{
	unsigned int i;

	for (i = 0; i < x->nr_devices && i < KESTREL_MAX_DEVICES; i++) {
		const struct kestrel_domxml_device *d = &x->devices[i];
		char bridge[KESTREL_NET_IFNAME_MAX];
		int err;

		if (d->type == KESTREL_DEV_NET &&
		    d->net.type == KESTREL_DOMXML_NET_NETWORK) {
			err = kestrel_network_bridge(d->net.source, bridge);
			if (err)
				return err;
		}
		if (d->type == KESTREL_DEV_NET &&
		    d->net.managed == KESTREL_DOMXML_NO &&
		    !if_nametoindex(d->net.target))
			return kestrel_fail(ENODEV, "target managed='no' but specified dev '%s' doesn't exist",
					    d->net.target);
	}
	return 0;
}

/*
 * Open each <interface>'s tap, one fd per queue pair: an existing one
 * for <target managed='no'>; otherwise the tap named by <target dev>
 * (created unless it exists) or a new ktapN, given the guest's MAC with
 * 0xfe first (as libvirt does, so that a bridge never takes the guest's
 * address as its own), up, and for type='bridge' made a port of the
 * bridge.  The names go into @live (the model whose XML the kernel
 * keeps, so dumpxml shows them).  The taps are not persistent: once the
 * fds are closed they live as long as the module's references, the
 * domain's life.  On failure every fd opened is closed again.
 */
static int open_interfaces(struct kestrel_domxml *live, struct tap_fds *taps)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < KESTREL_MAX_DEVICES; i++)
		taps[i].n = 0;
	for (i = 0; i < live->nr_devices && i < KESTREL_MAX_DEVICES && !err; i++) {
		struct kestrel_domxml_device *d = &live->devices[i];
		unsigned int queues = d->net.queues ?: 1;
		char name[IFNAMSIZ];
		uint8_t tapmac[6];

		if (d->type != KESTREL_DEV_NET)
			continue;
		if (d->net.managed == KESTREL_DOMXML_NO) {
			err = kestrel_tap_open_existing(d->net.target, queues,
							taps[i].fds);
			if (!err)
				taps[i].n = queues;
			continue;
		}
		err = kestrel_tap_open(d->net.target[0] ? d->net.target : NULL,
				       queues, taps[i].fds, name);
		if (err)
			break;
		taps[i].n = queues;
		snprintf(d->net.target, sizeof(d->net.target), "%s", name);
		memcpy(tapmac, d->net.mac, sizeof(tapmac));
		tapmac[0] = 0xfe;
		err = kestrel_netdev_set_mac(name, tapmac);
		if (!err && d->net.type == KESTREL_DOMXML_NET_BRIDGE)
			err = kestrel_bridge_attach(d->net.source, name);
		/* A network's tap goes on the network's bridge, the same way. */
		if (!err && d->net.type == KESTREL_DOMXML_NET_NETWORK) {
			char bridge[KESTREL_NET_IFNAME_MAX];

			err = kestrel_network_bridge(d->net.source, bridge) ?:
			      kestrel_bridge_attach(bridge, name);
		}
	}
	if (err)
		close_taps(taps);
	return err;
}

/*
 * <devices>: what DOMAIN_CREATE gives the module to serve; a disk's
 * backend goes as its fd in @fds (open_disks()), an interface's taps
 * as theirs in @taps (open_interfaces()).  The virtio console
 * (KESTREL_DEV_CONSOLE) is its type and slot alone.
 */
static void devices_config(const struct kestrel_domxml *x, const int *fds,
			   const struct tap_fds *taps,
			   struct kestrel_domain_config *cfg)
{
	unsigned int i;

	for (i = 0; i < x->nr_devices && i < KESTREL_MAX_DEVICES; i++) {
		const struct kestrel_domxml_device *d = &x->devices[i];
		struct kestrel_device_config *dev = &cfg->devices[i];

		dev->type = d->type;
		dev->slot = d->slot;
		dev->fd = -1;
		if (d->type == KESTREL_DEV_RNG && d->rng.rate_bytes) {
			dev->rate_bytes = d->rng.rate_bytes;
			dev->rate_period = d->rng.rate_period ?:
					   KESTREL_DOMXML_RNG_PERIOD_DEFAULT;
		}
		if (d->type == KESTREL_DEV_BLOCK) {
			dev->fd = fds[i];
			dev->readonly = d->disk.readonly;
			dev->queues = d->disk.queues;
			snprintf(dev->serial, sizeof(dev->serial), "%s",
				 d->disk.serial);
		}
		if (d->type == KESTREL_DEV_NET) {
			memcpy(dev->fds, taps[i].fds,
			       taps[i].n * sizeof(dev->fds[0]));
			dev->nr_fds = taps[i].n;
			memcpy(dev->mac, d->net.mac, sizeof(dev->mac));
			dev->link_down = d->net.link == KESTREL_DOMXML_LINK_DOWN;
		}
	}
	cfg->nr_devices = i;
}

/* <cputune><vcpupin>: the vCPU threads' affinity. */
static int pin_vcpus(const struct kestrel_domxml *x, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < x->nr_vcpupins; i++)
		if (kestrel_vcpu_pin(id, x->vcpupins[i].vcpu,
				     &x->vcpupins[i].cpuset))
			return -1;
	return 0;
}

int ctl_launch(struct cmd_ctx *ctx, const struct kestrel_domxml *x,
	       const char *origin, const char *failure, const char *success)
{
	struct kestrel_mem_region regions[KESTREL_MAX_BOOT_REGIONS];
	struct kestrel_boot_file files[2];
	struct kestrel_domain_config cfg = { 0 };
	struct kestrel_boot_image *img = NULL;
	struct kestrel_domain_info info;
	struct kestrel_info host;
	struct kestrel_sregs sregs;
	struct kestrel_regs regs;
	uint64_t ram = x->memory_kib * 1024;
	int disk_fds[KESTREL_MAX_DEVICES];
	struct tap_fds taps[KESTREL_MAX_DEVICES] = { 0 };
	struct kestrel_domxml *live = NULL;
	bool created = false;
	char *xml = NULL;
	int ret = -1, fd, err;

	/*
	 * The disks first: a file that is missing is the XML's fault,
	 * whether the module is loaded or not.  Their fds stay open until
	 * DOMAIN_CREATE returns (the module holds its own references).
	 */
	if (check_interfaces(x) || open_disks(x, disk_fds)) {
		ctl_error("%s", failure);
		ctl_lib_error();
		return -1;
	}
	if (ctl_connect(ctx))
		goto out;
	if (kestrel_get_info(ctx->conn, &host) ||
	    ctl_boot_image_prepare(x, origin, host.tsc_khz, &img) ||
	    lifecycle_config(x, &cfg))
		goto fail;
	/*
	 * The taps last, once everything cheaper has been checked; the
	 * names they got go into the live copy of the model, whose XML the
	 * kernel keeps (the definition keeps none, as libvirt's).
	 */
	live = malloc(sizeof(*live));
	if (!live) {
		kestrel_fail(ENOMEM, "out of memory");
		goto fail;
	}
	*live = *x;		/* shares x's strings: never freed */
	if (open_interfaces(live, taps))
		goto fail;
	xml = kestrel_domxml_format(live);
	if (!xml)
		goto fail;

	cfg.name = x->name;
	cfg.uuid = x->uuid;
	cfg.memory = ram;
	cfg.vcpus = x->vcpus;
	cfg.xml = xml;
	cfg.xml_len = strlen(xml);
	devices_config(x, disk_fds, taps, &cfg);
	err = kestrel_domain_create(ctx->conn, &cfg, &info);
	close_disks(disk_fds);
	close_taps(taps);
	if (err)
		goto fail;
	created = true;
	if (write_boot_image(info.id, img, ram, &regs, &sregs) ||
	    kestrel_vcpu_set_regs(ctx->conn, info.id, 0, &regs, &sregs) ||
	    kestrel_domain_start_boot(ctx->conn, info.id, regions,
				      boot_regions(img, regions), files,
				      kestrel_boot_image_files(img, files)) ||
	    pin_vcpus(x, info.id) ||
	    (cmd_opt_bool(ctx, "paused") &&
	     kestrel_domain_pause(ctx->conn, info.id)))
		goto fail;
	printf("%s\n", success);
	ret = 0;

	if (cmd_opt_bool(ctx, "console")) {
		fflush(stdout);
		fd = kestrel_domain_console_fd(info.id);
		if (fd < 0) {
			ctl_lib_error();
			ret = -1;
		} else {
			ret = ctl_console_attach(ctx, &info, fd);
			close(fd);
		}
	}
	goto out;

fail:
	ctl_error("%s", failure);
	ctl_lib_error();
	if (created)
		kestrel_domain_destroy(ctx->conn, info.id);
out:
	close_disks(disk_fds);
	close_taps(taps);
	free(live);
	free(xml);
	kestrel_boot_image_free(img);
	return ret;
}

static int cmd_create(struct cmd_ctx *ctx)
{
	const char *file = cmd_opt_str(ctx, "file");
	char failure[PATH_MAX + 64], success[PATH_MAX + 128];
	struct kestrel_domxml x;
	int ret;

	snprintf(failure, sizeof(failure), "Failed to create domain from %s",
		 file);
	if (kestrel_domxml_parse_file(file, &x)) {
		ctl_error("%s", failure);
		ctl_lib_error();
		return -1;
	}
	snprintf(success, sizeof(success), "Domain '%s' created from %s",
		 x.name, file);
	ret = ctl_launch(ctx, &x, file, failure, success);
	kestrel_domxml_free(&x);
	return ret;
}

static void print_xml(const char *xml)
{
	size_t len = strlen(xml);

	fputs(xml, stdout);
	if (len && xml[len - 1] != '\n')
		putchar('\n');
}

static int cmd_dumpxml(struct cmd_ctx *ctx)
{
	const char *ref = cmd_opt_str(ctx, "domain");
	struct ctl_domain d;
	char *xml = NULL;
	int ret = -1;

	if (ctl_lookup(ctx, ref, &d, true))
		return -1;
	/* --inactive: the definition, even while the domain runs. */
	if (cmd_opt_bool(ctx, "inactive") && d.live && d.persistent) {
		if (ctl_def_text(d.info.name, &xml))
			goto out;
	} else if (!d.info.xml) {
		ctl_error("no XML is known for domain '%s': it was not created from XML",
			  d.info.name);
		goto out;
	}
	/* A running domain's XML shows the links as they are now. */
	if (!xml)
		xml = ctl_xml_live_links(ctx, &d);
	print_xml(xml ? xml : d.info.xml);
	ret = 0;
out:
	free(xml);
	kestrel_domain_info_clear(&d.info);
	return ret;
}

static const struct opt_def opts_create[] = {
	{ "file", OPT_DATA, true, "file containing an XML domain description" },
	{ "console", OPT_BOOL, false, "attach to console after creation" },
	{ "paused", OPT_BOOL, false, "leave the guest paused after creation" },
	{ NULL }
};

static const struct opt_def opts_dumpxml[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
	{ "inactive", OPT_BOOL, false, "show inactive defined XML" },
	{ NULL }
};

const struct cmd_def create_cmds[] = {
	{ "create", cmd_create, "Domain Management", "domain",
	  "create a domain from an XML file",
	  "Create a domain (transient: it is gone once destroyed or shut down).",
	  opts_create },
	{ "dumpxml", cmd_dumpxml, "Domain Management", "domain",
	  "domain information in XML",
	  "Output the domain information as an XML dump to stdout.",
	  opts_dumpxml },
	{ NULL }
};
