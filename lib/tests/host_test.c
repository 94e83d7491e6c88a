// SPDX-License-Identifier: LGPL-2.1-or-later
/* Host facts from a fake /proc and /sys tree. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libkestrel.h"

static void put(const char *root, const char *path, const char *text)
{
	char full[4096], *slash;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (slash = strchr(full + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(full, 0755);
		*slash = '/';
	}
	f = fopen(full, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* 2 sockets x 2 cores x 2 threads, 2 NUMA nodes, 16 GiB, AMD. */
static void make_tree(const char *root)
{
	char path[256], val[16];
	int cpu;

	put(root, "/proc/cpuinfo",
	    "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
	    "model name\t: AMD EPYC Test\ncpu MHz\t\t: 2399.6\n\n"
	    "processor\t: 1\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 1000.0\n");
	put(root, "/proc/meminfo",
	    "MemFree:         1234 kB\nMemTotal:       16777216 kB\n");
	put(root, "/sys/devices/system/cpu/online", "0-7\n");
	for (cpu = 0; cpu < 8; cpu++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
			 cpu);
		snprintf(val, sizeof(val), "%d\n", cpu / 4);
		put(root, path, val);
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
		snprintf(val, sizeof(val), "%d\n", (cpu / 2) % 2);
		put(root, path, val);
	}
	put(root, "/sys/devices/system/node/node0/cpulist", "0-3\n");
	put(root, "/sys/devices/system/node/node1/cpulist", "4-7\n");
	put(root, "/sys/devices/system/node/possible", "0-1\n");
	put(root, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
}

FIXTURE(host) {
	char root[64];
};

FIXTURE_SETUP(host)
{
	snprintf(self->root, sizeof(self->root), "/tmp/kestrel-host-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
}

FIXTURE_TEARDOWN(host)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->root);
}

TEST_F(host, topology_memory_and_cpu)
{
	struct kestrel_nodeinfo ni;

	make_tree(self->root);
	ASSERT_EQ(0, kestrel_nodeinfo_read(self->root, &ni))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(8, ni.cpus);
	EXPECT_EQ(2, ni.sockets);
	EXPECT_EQ(2, ni.cores_per_socket);
	EXPECT_EQ(2, ni.threads_per_core);
	EXPECT_EQ(2, ni.numa_cells);
	EXPECT_EQ(16777216ULL, ni.memory_kib);
	EXPECT_EQ(2400, ni.mhz);
	EXPECT_STREQ("AMD", ni.vendor);
	EXPECT_STREQ("AMD EPYC Test", ni.model_name);
}

TEST_F(host, uuid_from_dmi_then_machine_id)
{
	struct kestrel_nodeinfo ni;

	make_tree(self->root);
	ASSERT_EQ(0, kestrel_nodeinfo_read(self->root, &ni));
	EXPECT_STREQ("01234567-89ab-cdef-0123-456789abcdef", ni.uuid);

	put(self->root, "/sys/class/dmi/id/product_uuid",
	    "4c4c4544-0042-3510-8052-b4c04f334d32\n");
	ASSERT_EQ(0, kestrel_nodeinfo_read(self->root, &ni));
	EXPECT_STREQ("4c4c4544-0042-3510-8052-b4c04f334d32", ni.uuid);
}

TEST_F(host, sparse_online_list_without_topology)
{
	struct kestrel_nodeinfo ni;

	put(self->root, "/proc/meminfo", "MemTotal: 1024 kB\n");
	put(self->root, "/sys/devices/system/cpu/online", "0,2-3,7\n");
	ASSERT_EQ(0, kestrel_nodeinfo_read(self->root, &ni));
	/* No topology files: each CPU its own core, one socket, one cell. */
	EXPECT_EQ(4, ni.cpus);
	EXPECT_EQ(1, ni.sockets);
	EXPECT_EQ(4, ni.cores_per_socket);
	EXPECT_EQ(1, ni.threads_per_core);
	EXPECT_EQ(1, ni.numa_cells);
}

TEST_F(host, empty_tree_is_an_error)
{
	struct kestrel_nodeinfo ni;

	EXPECT_EQ(-EIO, kestrel_nodeinfo_read(self->root, &ni));
	EXPECT_NE(0, strlen(kestrel_last_error()));
}

TEST(real_host)
{
	struct kestrel_nodeinfo ni;

	ASSERT_EQ(0, kestrel_nodeinfo_read("/", &ni));
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), ni.cpus);
	EXPECT_EQ(ni.cpus, ni.sockets * ni.cores_per_socket * ni.threads_per_core);
}

TEST_HARNESS_MAIN
