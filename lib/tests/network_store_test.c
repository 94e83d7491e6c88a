// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network definitions and state (lib/network_store.c, network_run.c) in a
 * temporary directory: where the directories are, what define fills in
 * (bridge name, MAC), libvirt's duplicate rules and messages, listings and
 * lookups joining definitions with running networks, and the errors that
 * <interface type='network'> gets.  Nothing is started here: a running
 * network is faked with a state file naming "lo" as its bridge.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "network.h"

static const char uuid_a[] = "6e1f3c2a-9b41-4d2e-8f10-55210abcdef1";
static const char uuid_b[] = "0b7c5d3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f";

static void model(struct __test_metadata *_metadata, struct kestrel_network *x,
		  const char *name, const char *uuid, const char *bridge)
{
	char xml[512];

	snprintf(xml, sizeof(xml),
		 "<network><name>%s</name>%s%s%s<forward mode='nat'/>%s%s%s"
		 "<ip address='10.7.0.1' prefix='24'><dhcp>"
		 "<range start='10.7.0.10' end='10.7.0.20'/></dhcp></ip></network>",
		 name, uuid ? "<uuid>" : "", uuid ? uuid : "",
		 uuid ? "</uuid>" : "", bridge ? "<bridge name='" : "",
		 bridge ? bridge : "", bridge ? "'/>" : "");
	ASSERT_EQ(0, kestrel_network_parse(xml, strlen(xml), x))
		TH_LOG("%s", kestrel_last_error());
}

/* The Nth bridge name define can give (skipping the host's interfaces). */
static const char *free_bridge(int nth)
{
	static char name[16];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "kestrel%d", i);
		if (!if_nametoindex(name) && nth-- == 0)
			return name;
	}
	return "none";
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

FIXTURE(store) {
	char top[64];
	char dir[128];
	char run[128];
};

FIXTURE_SETUP(store)
{
	snprintf(self->top, sizeof(self->top), "/tmp/kestrel-nets.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->top));
	snprintf(self->dir, sizeof(self->dir), "%s/cfg/networks", self->top);
	snprintf(self->run, sizeof(self->run), "%s/run/networks", self->top);
}

FIXTURE_TEARDOWN(store)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->top);
	if (system(cmd))
		TH_LOG("could not remove %s", self->top);
}

/* A running network as net-start records it, with "lo" as its bridge. */
static void fake_active(struct __test_metadata *_metadata, const char *run,
			const struct kestrel_network *x)
{
	char path[256], *xml;
	FILE *f;

	snprintf(path, sizeof(path), "mkdir -p '%s'", run);
	ASSERT_EQ(0, system(path));
	xml = kestrel_network_format(x);
	ASSERT_NE(NULL, xml);
	snprintf(path, sizeof(path), "%s/%s.xml", run, x->name);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs(xml, f);
	fclose(f);
	free(xml);
	snprintf(path, sizeof(path), "%s/%s.state", run, x->name);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "bridge=lo\nifindex=%u\ntable=kestrel_%s\ndnsmasq=0\n",
		if_nametoindex("lo"), x->name);
	fclose(f);
}

TEST(directories_follow_the_environment)
{
	char buf[256];

	setenv("KESTREL_CONFIG_DIR", "/srv/kestrel", 1);
	setenv("KESTREL_RUN_DIR", "/srv/run", 1);
	ASSERT_EQ(0, kestrel_network_dir(buf, sizeof(buf)));
	EXPECT_STREQ("/srv/kestrel/networks", buf);
	ASSERT_EQ(0, kestrel_network_run_dir(buf, sizeof(buf)));
	EXPECT_STREQ("/srv/run/networks", buf);
	unsetenv("KESTREL_CONFIG_DIR");
	unsetenv("KESTREL_RUN_DIR");
	if (geteuid() == 0) {
		ASSERT_EQ(0, kestrel_network_dir(buf, sizeof(buf)));
		EXPECT_STREQ("/etc/kestrel/networks", buf);
		ASSERT_EQ(0, kestrel_network_run_dir(buf, sizeof(buf)));
		EXPECT_STREQ("/run/kestrel/networks", buf);
	}
}

TEST_F(store, define_fills_in_bridge_and_mac_and_writes_0600)
{
	struct kestrel_network x, y;
	char path[256], *text;
	struct stat st;

	model(_metadata, &x, "default", NULL, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_STREQ(free_bridge(0), x.bridge);
	EXPECT_TRUE(x.has_mac);
	EXPECT_EQ(0x52, x.mac[0]);
	snprintf(path, sizeof(path), "%s/default.xml", self->dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(0700, st.st_mode & 0777);
	text = kestrel_network_format(&x);
	EXPECT_STREQ(text, slurp(path));
	free(text);

	/* Loaded back: the same network, UUID included. */
	ASSERT_EQ(0, kestrel_network_load(self->dir, "default", &y));
	EXPECT_FALSE(y.uuid_generated);
	EXPECT_EQ(0, memcmp(x.uuid, y.uuid, sizeof(x.uuid)));
	EXPECT_STREQ(free_bridge(0), y.bridge);
	kestrel_network_free(&y);

	/* A second network gets the next bridge name. */
	model(_metadata, &y, "second", NULL, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &y));
	EXPECT_STREQ(free_bridge(1), y.bridge);
	kestrel_network_free(&y);
	kestrel_network_free(&x);
}

TEST_F(store, redefinition_keeps_the_generated_bridge_and_mac)
{
	struct kestrel_network x, y, z;

	model(_metadata, &x, "a", uuid_a, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x));
	model(_metadata, &z, "b", uuid_b, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &z));
	EXPECT_STREQ(free_bridge(1), z.bridge);
	model(_metadata, &y, "a", uuid_a, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &y));
	EXPECT_STREQ(x.bridge, y.bridge);
	EXPECT_EQ(0, memcmp(x.mac, y.mac, 6));
	kestrel_network_free(&x);
	kestrel_network_free(&y);
	kestrel_network_free(&z);
}

TEST_F(store, libvirt_duplicate_rules)
{
	struct kestrel_network x, y;

	model(_metadata, &x, "a", uuid_a, "kbr-a");
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x));

	model(_metadata, &y, "a", uuid_b, NULL);
	EXPECT_EQ(-EEXIST, kestrel_network_define(self->dir, self->run, &y));
	EXPECT_STREQ("operation failed: network 'a' already exists with uuid 6e1f3c2a-9b41-4d2e-8f10-55210abcdef1",
		     kestrel_last_error());
	kestrel_network_free(&y);

	model(_metadata, &y, "b", uuid_a, NULL);
	EXPECT_EQ(-EEXIST, kestrel_network_define(self->dir, self->run, &y));
	EXPECT_STREQ("operation failed: network 'a' is already defined with uuid 6e1f3c2a-9b41-4d2e-8f10-55210abcdef1",
		     kestrel_last_error());
	kestrel_network_free(&y);

	model(_metadata, &y, "b", uuid_b, "kbr-a");
	EXPECT_EQ(-EEXIST, kestrel_network_define(self->dir, self->run, &y));
	EXPECT_STREQ("bridge name 'kbr-a' already in use by network 'a'",
		     kestrel_last_error());
	kestrel_network_free(&y);
	kestrel_network_free(&x);
}

TEST_F(store, list_lookup_undefine)
{
	struct kestrel_net_entry *list, e;
	struct kestrel_network x;
	size_t n;

	ASSERT_EQ(0, kestrel_network_list(self->dir, self->run, &list, &n));
	EXPECT_EQ(0, n);
	free(list);
	model(_metadata, &x, "zeta", uuid_b, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x));
	kestrel_network_free(&x);
	model(_metadata, &x, "alpha", uuid_a, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x));
	kestrel_network_free(&x);

	ASSERT_EQ(0, kestrel_network_list(self->dir, self->run, &list, &n));
	ASSERT_EQ(2, n);
	EXPECT_STREQ("alpha", list[0].name);
	EXPECT_STREQ("zeta", list[1].name);
	EXPECT_TRUE(list[0].persistent);
	EXPECT_FALSE(list[0].active);
	free(list);

	ASSERT_EQ(0, kestrel_network_lookup(self->dir, self->run, uuid_b, false,
					    &e, &x));
	EXPECT_STREQ("zeta", e.name);
	EXPECT_STREQ("zeta", x.name);
	kestrel_network_free(&x);
	EXPECT_EQ(-ENOENT, kestrel_network_lookup(self->dir, self->run, "nope",
						  false, &e, NULL));
	EXPECT_STREQ("Network not found: no network with matching name 'nope'",
		     kestrel_last_error());

	ASSERT_EQ(0, kestrel_network_undefine(self->dir, "alpha"));
	EXPECT_EQ(-ENOENT, kestrel_network_undefine(self->dir, "alpha"));
	EXPECT_STREQ("Network not found: no network with matching name 'alpha'",
		     kestrel_last_error());
	ASSERT_EQ(0, kestrel_network_list(self->dir, self->run, &list, &n));
	EXPECT_EQ(1, n);
	free(list);
}

TEST_F(store, running_networks_join_their_definitions)
{
	struct kestrel_net_entry *list, e;
	struct kestrel_network x, live;
	char run_parent[160], bridge[KESTREL_NET_IFNAME_MAX];
	char cfg_parent[160];
	struct kestrel_net_state st;
	size_t n;

	model(_metadata, &x, "net", uuid_a, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x));
	snprintf(run_parent, sizeof(run_parent), "%s/run", self->top);
	fake_active(_metadata, self->run, &x);
	ASSERT_EQ(0, kestrel_network_active(self->run, "net", &live, &st));
	EXPECT_STREQ("lo", st.bridge);
	EXPECT_STREQ("kestrel_net", st.table);
	EXPECT_STREQ("net", live.name);
	kestrel_network_free(&live);

	ASSERT_EQ(0, kestrel_network_list(self->dir, self->run, &list, &n));
	ASSERT_EQ(1, n);
	EXPECT_TRUE(list[0].active);
	EXPECT_TRUE(list[0].persistent);
	EXPECT_STREQ("lo", list[0].bridge);
	free(list);

	/* A running network cannot be started twice, nor use a taken bridge. */
	EXPECT_EQ(-EBUSY, kestrel_network_start(self->run, &x, NULL, 0));
	EXPECT_STREQ("Requested operation is not valid: network is already active",
		     kestrel_last_error());

	/* Undefined while running: transient. */
	ASSERT_EQ(0, kestrel_network_undefine(self->dir, "net"));
	ASSERT_EQ(0, kestrel_network_lookup(self->dir, self->run, "net", true,
					    &e, &live));
	EXPECT_TRUE(e.active);
	EXPECT_FALSE(e.persistent);
	kestrel_network_free(&live);

	/* What <interface type='network'> finds, with the default dirs. */
	snprintf(cfg_parent, sizeof(cfg_parent), "%s/cfg", self->top);
	setenv("KESTREL_CONFIG_DIR", cfg_parent, 1);
	setenv("KESTREL_RUN_DIR", run_parent, 1);
	ASSERT_EQ(0, kestrel_network_bridge("net", bridge));
	EXPECT_STREQ("lo", bridge);
	EXPECT_EQ(-ENOENT, kestrel_network_bridge("other", bridge));
	EXPECT_STREQ("Network not found: no network with matching name 'other'",
		     kestrel_last_error());
	kestrel_network_free(&x);
	model(_metadata, &x, "idle", uuid_b, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x));
	EXPECT_EQ(-EINVAL, kestrel_network_bridge("idle", bridge));
	EXPECT_STREQ("Requested operation is not valid: network 'idle' is not active",
		     kestrel_last_error());
	EXPECT_EQ(-EINVAL, kestrel_network_stop(self->run, "idle"));
	EXPECT_STREQ("Requested operation is not valid: network 'idle' is not active",
		     kestrel_last_error());
	unsetenv("KESTREL_CONFIG_DIR");
	unsetenv("KESTREL_RUN_DIR");
	kestrel_network_free(&x);
}

TEST_F(store, stale_state_is_not_active)
{
	struct kestrel_network x;
	char path[256];
	FILE *f;

	model(_metadata, &x, "gone", uuid_a, NULL);
	ASSERT_EQ(0, kestrel_network_define(self->dir, self->run, &x));
	snprintf(path, sizeof(path), "mkdir -p '%s'", self->run);
	ASSERT_EQ(0, system(path));
	snprintf(path, sizeof(path), "%s/gone.state", self->run);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("bridge=kestrel-nowhere\nifindex=4242\ntable=\ndnsmasq=0\n", f);
	fclose(f);
	EXPECT_EQ(-ENOENT, kestrel_network_active(self->run, "gone", NULL, NULL));
	kestrel_network_free(&x);
}

TEST_HARNESS_MAIN
