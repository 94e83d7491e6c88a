// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domains from XML: create (transient, as virsh create) and dumpxml.
 *
 * create parses the file into the domain model, validates the kernel and
 * initrd against the guest's RAM before anything exists in the kernel,
 * then creates the domain (handing the kernel the canonical XML to keep),
 * writes the boot image into its RAM through the memory fd, sets the boot
 * vCPU's registers and starts it.  Any failure after the creation
 * destroys the half-made domain again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctl.h"
#include "domxml.h"
#include "loader.h"
#include "acpi.h"

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

static int cmd_create(struct cmd_ctx *ctx)
{
	const char *file = cmd_opt_str(ctx, "file");
	struct kestrel_domain_config cfg = { 0 };
	struct kestrel_boot_image *img = NULL;
	struct kestrel_domain_info info;
	struct kestrel_acpi_config acpi;
	struct kestrel_sregs sregs;
	struct kestrel_regs regs;
	struct kestrel_domxml x;
	bool created = false;
	char *xml = NULL;
	uint64_t ram;
	int ret = -1, fd;

	if (kestrel_domxml_parse_file(file, &x)) {
		ctl_error("Failed to create domain from %s", file);
		ctl_lib_error();
		return -1;
	}
	ram = x.memory_kib * 1024;
	if (!x.kernel) {
		kestrel_fail(EINVAL, "%s: Kestrel boots the kernel named in <os><kernel>; there is none",
			     file);
		goto fail;
	}
	if (kestrel_boot_image_load(x.kernel, x.initrd, x.cmdline, ram, &img))
		goto fail;
	if (x.acpi) {
		kestrel_acpi_config_default(&acpi, x.vcpus);
		if (kestrel_boot_image_set_acpi(img, &acpi))
			goto fail;
	}
	xml = kestrel_domxml_format(&x);
	if (!xml) {
		kestrel_fail(ENOMEM, "out of memory");
		goto fail;
	}
	if (ctl_connect(ctx))
		goto out;

	cfg.name = x.name;
	cfg.uuid = x.uuid;
	cfg.memory = ram;
	cfg.vcpus = x.vcpus;
	cfg.xml = xml;
	cfg.xml_len = strlen(xml);
	if (kestrel_domain_create(ctx->conn, &cfg, &info))
		goto fail;
	created = true;
	if (write_boot_image(info.id, img, ram, &regs, &sregs) ||
	    kestrel_vcpu_set_regs(ctx->conn, info.id, 0, &regs, &sregs) ||
	    kestrel_domain_start(ctx->conn, info.id) ||
	    (cmd_opt_bool(ctx, "paused") &&
	     kestrel_domain_pause(ctx->conn, info.id)))
		goto fail;
	printf("Domain '%s' created from %s\n", info.name, file);
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
	ctl_error("Failed to create domain from %s", file);
	ctl_lib_error();
	if (created)
		kestrel_domain_destroy(ctx->conn, info.id);
out:
	free(xml);
	kestrel_boot_image_free(img);
	kestrel_domxml_free(&x);
	return ret;
}

static int cmd_dumpxml(struct cmd_ctx *ctx)
{
	const char *ref = cmd_opt_str(ctx, "domain");
	struct kestrel_domain_info info;

	if (ctl_connect(ctx))
		return -1;
	if (kestrel_domain_lookup(ctx->conn, ref, &info, true)) {
		ctl_error("failed to get domain '%s'", ref);
		ctl_lib_error();
		return -1;
	}
	if (!info.xml) {
		ctl_error("no XML is known for domain '%s': it was not created from XML",
			  info.name);
		kestrel_domain_info_clear(&info);
		return -1;
	}
	fputs(info.xml, stdout);
	if (info.xml_len && info.xml[info.xml_len - 1] != '\n')
		putchar('\n');
	kestrel_domain_info_clear(&info);
	return 0;
}

static const struct opt_def opts_create[] = {
	{ "file", OPT_DATA, true, "file containing an XML domain description" },
	{ "console", OPT_BOOL, false, "attach to console after creation" },
	{ "paused", OPT_BOOL, false, "leave the guest paused after creation" },
	{ NULL }
};

static const struct opt_def opts_dumpxml[] = {
	{ "domain", OPT_DATA, true, "domain name, id or uuid" },
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
