// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host facts for nodeinfo and capabilities, read from /proc and /sys the
 * way libvirt's nodeinfo does.  Every path is taken relative to a root so
 * the unit tests can feed a fake tree.
 */
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "libkestrel.h"

#define MAX_TRACKED 4096

static FILE *open_at(const char *root, const char *path)
{
	char full[4096];

	snprintf(full, sizeof(full), "%s%s", strcmp(root, "/") ? root : "",
		 path);
	return fopen(full, "re");
}

/* Read one line of a small file under root; 0 on success. */
static int read_line(const char *root, const char *path, char *buf, size_t len)
{
	FILE *f = open_at(root, path);
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static int read_long(const char *root, const char *path, long *val)
{
	char buf[64], *end;

	if (read_line(root, path, buf, sizeof(buf)))
		return -1;
	*val = strtol(buf, &end, 10);
	return end == buf ? -1 : 0;
}

/* Expand a CPU list such as "0-3,6,8-9" into cpus[]; returns the count. */
static int parse_cpu_list(const char *list, int *cpus, int max)
{
	int n = 0;
	const char *p = list;

	while (*p && n < max) {
		char *end;
		long a = strtol(p, &end, 10), b;

		if (end == p)
			break;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
		}
		for (; a <= b && n < max; a++)
			cpus[n++] = (int)a;
		p = *end == ',' ? end + 1 : end;
		if (*p == '\n' || *p == '\0')
			break;
	}
	return n;
}

static void cpuinfo_read(const char *root, struct kestrel_nodeinfo *ni)
{
	FILE *f = open_at(root, "/proc/cpuinfo");
	char line[512];
	double mhz = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *val = strchr(line, ':'), *nl;

		if (!val)
			continue;
		*val++ = '\0';
		while (*val == ' ')
			val++;
		nl = strchr(val, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, "vendor_id", 9) && !ni->vendor[0]) {
			if (!strcmp(val, "AuthenticAMD"))
				snprintf(ni->vendor, sizeof(ni->vendor), "AMD");
			else if (!strcmp(val, "GenuineIntel"))
				snprintf(ni->vendor, sizeof(ni->vendor), "Intel");
			else
				snprintf(ni->vendor, sizeof(ni->vendor), "%s", val);
		} else if (!strncmp(line, "model name", 10) && !ni->model_name[0]) {
			snprintf(ni->model_name, sizeof(ni->model_name), "%s", val);
		} else if (!strncmp(line, "cpu MHz", 7) && mhz == 0) {
			mhz = strtod(val, NULL);
		}
	}
	fclose(f);
	ni->mhz = (unsigned int)(mhz + 0.5);
}

static void meminfo_read(const char *root, struct kestrel_nodeinfo *ni)
{
	FILE *f = open_at(root, "/proc/meminfo");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &ni->memory_kib) == 1)
			break;
	fclose(f);
}

static void numa_read(const char *root, struct kestrel_nodeinfo *ni)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sys/devices/system/node",
		 strcmp(root, "/") ? root : "");
	ni->numa_cells = 0;
	d = opendir(path);
	if (d) {
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, "node", 4) &&
			    isdigit((unsigned char)de->d_name[4]))
				ni->numa_cells++;
		closedir(d);
	}
	if (!ni->numa_cells)
		ni->numa_cells = 1;
}

/* Sockets, cores and threads from the online CPUs' topology files. */
static void topology_read(const char *root, struct kestrel_nodeinfo *ni)
{
	struct { long pkg, core; } *t;
	char online[4096], path[256];
	int *cpus, n, i, j, sockets = 0, cores = 0;

	if (read_line(root, "/sys/devices/system/cpu/online", online,
		      sizeof(online)))
		return;
	cpus = calloc(MAX_TRACKED, sizeof(*cpus));
	t = calloc(MAX_TRACKED, sizeof(*t));
	if (!cpus || !t)
		goto out;
	n = parse_cpu_list(online, cpus, MAX_TRACKED);
	ni->cpus = n;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
			 cpus[i]);
		if (read_long(root, path, &t[i].pkg))
			t[i].pkg = 0;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/core_id", cpus[i]);
		if (read_long(root, path, &t[i].core))
			t[i].core = cpus[i];
	}
	for (i = 0; i < n; i++) {
		bool new_pkg = true, new_core = true;

		for (j = 0; j < i; j++) {
			if (t[j].pkg == t[i].pkg) {
				new_pkg = false;
				if (t[j].core == t[i].core)
					new_core = false;
			}
		}
		sockets += new_pkg;
		cores += new_core;
	}
	if (sockets && cores) {
		ni->sockets = sockets;
		ni->cores_per_socket = cores / sockets;
		ni->threads_per_core = n / cores;
	}
out:
	free(cpus);
	free(t);
}

static void uuid_read(const char *root, struct kestrel_nodeinfo *ni)
{
	char buf[64];
	int i, o = 0;

	if (!read_line(root, "/sys/class/dmi/id/product_uuid", buf, sizeof(buf)) &&
	    strlen(buf) == 36) {
		memcpy(ni->uuid, buf, 36);
		ni->uuid[36] = '\0';
		return;
	}
	/* libvirt falls back to the machine-id, a UUID without dashes. */
	if (read_line(root, "/etc/machine-id", buf, sizeof(buf)) ||
	    strlen(buf) != 32)
		return;
	for (i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			ni->uuid[o++] = '-';
		ni->uuid[o++] = buf[i];
	}
	ni->uuid[o] = '\0';
}

int kestrel_nodeinfo_read(const char *root, struct kestrel_nodeinfo *ni)
{
	struct utsname u;

	memset(ni, 0, sizeof(*ni));
	if (uname(&u) == 0)
		snprintf(ni->arch, sizeof(ni->arch), "%s", u.machine);
	cpuinfo_read(root, ni);
	meminfo_read(root, ni);
	numa_read(root, ni);
	topology_read(root, ni);
	uuid_read(root, ni);
	if (!ni->cpus || !ni->memory_kib)
		return kestrel_fail(EIO, "cannot read the host's CPU and memory facts under %s",
				    root);
	if (!ni->sockets) {
		ni->sockets = 1;
		ni->cores_per_socket = ni->cpus;
		ni->threads_per_core = 1;
	}
	return 0;
}
