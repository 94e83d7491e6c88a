// SPDX-License-Identifier: GPL-2.0-or-later
/* Host commands: version, nodeinfo, capabilities. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static int cmd_version(struct cmd_ctx *ctx)
{
	struct kestrel_info info;

	printf("Compiled against library: libkestrel %s\n", LIBKESTREL_VERSION);
	printf("Using library: libkestrel %s\n", LIBKESTREL_VERSION);
	printf("Using API: Kestrel %u\n", KESTREL_API_VERSION);
	if (ctl_connect(ctx))
		return -1;
	if (kestrel_get_info(ctx->conn, &info)) {
		ctl_error("failed to get hypervisor version");
		ctl_lib_error();
		return -1;
	}
	printf("Running hypervisor: Kestrel %s (%s)\n", info.version,
	       kestrel_backend_name(info.backend));
	return 0;
}

static int cmd_nodeinfo(struct cmd_ctx *ctx)
{
	struct kestrel_nodeinfo ni;
	struct kestrel_info info;

	if (ctl_connect(ctx))
		return -1;
	if (kestrel_get_info(ctx->conn, &info) ||
	    kestrel_nodeinfo_read("/", &ni)) {
		ctl_error("failed to get node information");
		ctl_lib_error();
		return -1;
	}
	printf("%-20s %s\n", "CPU model:", ni.arch);
	printf("%-20s %u\n", "CPU(s):", info.host_cpus);
	printf("%-20s %u MHz\n", "CPU frequency:", ni.mhz);
	printf("%-20s %u\n", "CPU socket(s):", ni.sockets);
	printf("%-20s %u\n", "Core(s) per socket:", ni.cores_per_socket);
	printf("%-20s %u\n", "Thread(s) per core:", ni.threads_per_core);
	printf("%-20s %u\n", "NUMA cell(s):", ni.numa_cells);
	printf("%-20s %llu KiB\n", "Memory size:", ni.memory_kib);
	return 0;
}

static void print_attr(const char *name, const char *val)
{
	printf(" %s='", name);
	kestrel_xml_escape_attr(stdout, val);
	putchar('\'');
}

static int cmd_capabilities(struct cmd_ctx *ctx)
{
	struct kestrel_nodeinfo ni;
	struct kestrel_info info;
	char buf[32];
	unsigned int bit;

	if (ctl_connect(ctx))
		return -1;
	if (kestrel_get_info(ctx->conn, &info) ||
	    kestrel_nodeinfo_read("/", &ni)) {
		ctl_error("failed to get capabilities");
		ctl_lib_error();
		return -1;
	}
	printf("<capabilities>\n\n  <host>\n");
	if (ni.uuid[0])
		printf("    <uuid>%s</uuid>\n", ni.uuid);
	printf("    <cpu>\n      <arch>");
	kestrel_xml_escape(stdout, ni.arch);
	printf("</arch>\n");
	if (ni.vendor[0]) {
		printf("      <vendor>");
		kestrel_xml_escape(stdout, ni.vendor);
		printf("</vendor>\n");
	}
	printf("      <topology sockets='%u' dies='1' cores='%u' threads='%u'/>\n",
	       ni.sockets, ni.cores_per_socket, ni.threads_per_core);
	if (info.backend != KESTREL_BACKEND_NONE)
		printf("      <feature name='%s'/>\n",
		       kestrel_backend_name(info.backend));
	for (bit = 0; bit < 64; bit++) {
		const char *name = kestrel_feature_name(bit);

		if (!(info.features & (1ULL << bit)))
			continue;
		if (!name) {
			snprintf(buf, sizeof(buf), "bit%u", bit);
			name = buf;
		}
		printf("      <feature name='%s'/>\n", name);
	}
	printf("    </cpu>\n");
	printf("    <topology>\n      <cells num='%u'/>\n    </topology>\n",
	       ni.numa_cells);
	printf("    <kestrel");
	print_attr("version", info.version);
	snprintf(buf, sizeof(buf), "%u", info.api_version);
	print_attr("api", buf);
	print_attr("backend", kestrel_backend_name(info.backend));
	snprintf(buf, sizeof(buf), "%u", info.hw_revision);
	print_attr("revision", buf);
	snprintf(buf, sizeof(buf), "%u", info.nr_asids);
	print_attr("asids", buf);
	snprintf(buf, sizeof(buf), "%u", info.active_domains);
	print_attr("domains", buf);
	printf(">\n      <detail>");
	kestrel_xml_escape(stdout, info.backend_detail);
	printf("</detail>\n    </kestrel>\n  </host>\n\n</capabilities>\n");
	return 0;
}

static const struct opt_def no_opts[] = { { NULL } };

const struct cmd_def host_cmds[] = {
	{ "capabilities", cmd_capabilities, "Host and Hypervisor", "host",
	  "capabilities", "Returns capabilities of hypervisor/driver.",
	  no_opts },
	{ "nodeinfo", cmd_nodeinfo, "Host and Hypervisor", "host",
	  "node information", "Returns basic information about the node.",
	  no_opts },
	{ "version", cmd_version, "Host and Hypervisor", "host",
	  "show version", "Display the system version information.",
	  no_opts },
	{ NULL }
};
