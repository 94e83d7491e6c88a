// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Persistent definitions (lib/defs.c) in a temporary directory: where the
 * directory is, atomic 0600 files in canonical form, libvirt's duplicate
 * rules and messages, listing, lookups and removal; and the mapping of
 * the XML's lifecycle actions to the module's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "defs.h"

static const char uuid_a[] = "6e1f3c2a-9b41-4d2e-8f10-55210abcdef1";
static const char uuid_b[] = "0b7c5d3e-1a2b-4c3d-8e4f-5a6b7c8d9e0f";

/* A domain model from a small XML document (no kernel is opened here). */
static void model(struct __test_metadata *_metadata, struct kestrel_domxml *x,
		  const char *name, const char *uuid)
{
	char xml[512];

	snprintf(xml, sizeof(xml),
		 "<domain type='kestrel'><name>%s</name>%s%s%s"
		 "<memory unit='MiB'>64</memory><vcpu>2</vcpu>"
		 "<os><type>hvm</type><kernel>/vmlinuz</kernel></os>"
		 "<on_reboot>restart</on_reboot></domain>",
		 name, uuid ? "<uuid>" : "", uuid ? uuid : "",
		 uuid ? "</uuid>" : "");
	ASSERT_EQ(0, kestrel_domxml_parse(xml, strlen(xml), x))
		TH_LOG("%s", kestrel_last_error());
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

FIXTURE(defs) {
	char top[64];
	char dir[128];
};

FIXTURE_SETUP(defs)
{
	snprintf(self->top, sizeof(self->top), "/tmp/kestrel-defs.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->top));
	/* Two levels that do not exist yet: save makes them. */
	snprintf(self->dir, sizeof(self->dir), "%s/kestrel/domains", self->top);
}

FIXTURE_TEARDOWN(defs)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->top);
	if (system(cmd))
		TH_LOG("could not remove %s", self->top);
}

TEST_F(defs, save_writes_canonical_0600_files_atomically)
{
	struct kestrel_domxml x, y;
	char path[256], *text, *canon, *xml;
	struct stat st;
	struct dirent *de;
	DIR *d;

	model(_metadata, &x, "web", uuid_a);
	ASSERT_EQ(0, kestrel_def_save(self->dir, &x))
		TH_LOG("%s", kestrel_last_error());
	snprintf(path, sizeof(path), "%s/web.xml", self->dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(0700, st.st_mode & 07777);

	canon = kestrel_domxml_format(&x);
	text = slurp(path);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ(canon, text);

	/* Nothing but the file is left in the directory. */
	d = opendir(self->dir);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp", 4) == 0)
			EXPECT_STREQ("web.xml", de->d_name);
	closedir(d);

	ASSERT_EQ(0, kestrel_def_load(self->dir, "web", &y, &xml))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_TRUE(kestrel_domxml_equal(&x, &y));
	EXPECT_STREQ(canon, xml);
	free(xml);
	free(canon);
	kestrel_domxml_free(&x);
	kestrel_domxml_free(&y);
}

TEST_F(defs, redefining_with_the_same_uuid_replaces)
{
	struct kestrel_domxml x, y;

	model(_metadata, &x, "web", uuid_a);
	ASSERT_EQ(0, kestrel_def_save(self->dir, &x));
	x.vcpus = 4;
	x.vcpus_current = 4;
	ASSERT_EQ(0, kestrel_def_save(self->dir, &x))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, kestrel_def_load(self->dir, "web", &y, NULL));
	EXPECT_EQ(4, y.vcpus);
	kestrel_domxml_free(&x);
	kestrel_domxml_free(&y);
}

TEST_F(defs, duplicates_are_refused_in_libvirt_words)
{
	struct kestrel_domxml x, other_uuid, other_name;

	model(_metadata, &x, "web", uuid_a);
	model(_metadata, &other_uuid, "web", uuid_b);
	model(_metadata, &other_name, "db", uuid_a);
	ASSERT_EQ(0, kestrel_def_save(self->dir, &x));

	EXPECT_EQ(-EEXIST, kestrel_def_save(self->dir, &other_uuid));
	EXPECT_STREQ("operation failed: domain 'web' already exists with uuid 6e1f3c2a-9b41-4d2e-8f10-55210abcdef1",
		     kestrel_last_error());
	EXPECT_EQ(-EEXIST, kestrel_def_save(self->dir, &other_name));
	EXPECT_STREQ("operation failed: domain 'web' is already defined with uuid 6e1f3c2a-9b41-4d2e-8f10-55210abcdef1",
		     kestrel_last_error());

	/* The same checks against a domain that is not a file (a live one). */
	EXPECT_EQ(0, kestrel_def_conflict(&x, x.name, x.uuid));
	EXPECT_EQ(0, kestrel_def_conflict(&x, "db", other_uuid.uuid));
	EXPECT_EQ(-EEXIST, kestrel_def_conflict(&x, "web", other_uuid.uuid));
	EXPECT_EQ(-EEXIST, kestrel_def_conflict(&x, "db", x.uuid));
	kestrel_domxml_free(&x);
	kestrel_domxml_free(&other_uuid);
	kestrel_domxml_free(&other_name);
}

TEST_F(defs, list_and_find)
{
	struct kestrel_domxml a, b;
	struct kestrel_def *list, def;
	char path[256];
	uint8_t uuid[KESTREL_UUID_LEN];
	FILE *f;
	size_t n;

	/* A directory that does not exist is an empty list. */
	ASSERT_EQ(0, kestrel_defs_list(self->dir, &list, &n));
	EXPECT_EQ(0, n);
	free(list);

	model(_metadata, &a, "web", uuid_a);
	model(_metadata, &b, "db", uuid_b);
	ASSERT_EQ(0, kestrel_def_save(self->dir, &a));
	ASSERT_EQ(0, kestrel_def_save(self->dir, &b));
	/* Skipped: not XML, a name that differs from the file's, no .xml. */
	snprintf(path, sizeof(path), "%s/broken.xml", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("<domain", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/other.xml", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "<domain type='kestrel'><name>web</name><uuid>%s</uuid>"
		"<memory>65536</memory><os><type>hvm</type></os></domain>",
		uuid_b);
	fclose(f);
	snprintf(path, sizeof(path), "%s/notes.txt", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fclose(f);

	ASSERT_EQ(0, kestrel_defs_list(self->dir, &list, &n))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(2, n);
	EXPECT_STREQ("db", list[0].name);
	EXPECT_STREQ("web", list[1].name);
	EXPECT_EQ(64 * 1024, list[1].memory_kib);
	EXPECT_EQ(2, list[1].vcpus);
	EXPECT_EQ(0, memcmp(a.uuid, list[1].uuid, KESTREL_UUID_LEN));
	free(list);

	ASSERT_EQ(0, kestrel_uuid_parse(uuid_b, uuid));
	ASSERT_EQ(0, kestrel_def_find_uuid(self->dir, uuid, &def));
	EXPECT_STREQ("db", def.name);
	uuid[0] ^= 1;
	EXPECT_EQ(-ENOENT, kestrel_def_find_uuid(self->dir, uuid, &def));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "no domain with matching uuid"));

	EXPECT_EQ(-EINVAL, kestrel_def_load(self->dir, "broken", NULL, NULL));
	EXPECT_EQ(-ENOENT, kestrel_def_load(self->dir, "nosuch", NULL, NULL));
	EXPECT_STREQ("Domain not found: no domain with matching name 'nosuch'",
		     kestrel_last_error());
	/* Names that are not file names of the directory find nothing. */
	EXPECT_EQ(-ENOENT, kestrel_def_load(self->dir, "../domains/web", NULL, NULL));
	EXPECT_EQ(-ENOENT, kestrel_def_load(self->dir, "", NULL, NULL));
	kestrel_domxml_free(&a);
	kestrel_domxml_free(&b);
}

TEST_F(defs, a_file_must_name_its_domain_and_uuid)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/web.xml", self->top);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("<domain type='kestrel'><name>db</name><memory>65536</memory>"
	      "<os><type>hvm</type></os></domain>", f);
	fclose(f);
	EXPECT_EQ(-EINVAL, kestrel_def_load(self->top, "web", NULL, NULL));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "defines domain 'db', not 'web'"));

	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("<domain type='kestrel'><name>web</name><memory>65536</memory>"
	      "<os><type>hvm</type></os></domain>", f);
	fclose(f);
	EXPECT_EQ(-EINVAL, kestrel_def_load(self->top, "web", NULL, NULL));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "has no <uuid>"));
}

TEST_F(defs, remove)
{
	struct kestrel_domxml x;

	model(_metadata, &x, "web", uuid_a);
	ASSERT_EQ(0, kestrel_def_save(self->dir, &x));
	EXPECT_EQ(0, kestrel_def_remove(self->dir, "web"));
	EXPECT_EQ(-ENOENT, kestrel_def_load(self->dir, "web", NULL, NULL));
	EXPECT_EQ(-ENOENT, kestrel_def_remove(self->dir, "web"));
	EXPECT_STREQ("Domain not found: no domain with matching name 'web'",
		     kestrel_last_error());
	EXPECT_EQ(-ENOENT, kestrel_def_remove(self->dir, "../x"));
	kestrel_domxml_free(&x);
}

TEST(defs_dir_follows_the_environment)
{
	char buf[KESTREL_DEFS_PATH_MAX], want[KESTREL_DEFS_PATH_MAX];

	setenv("KESTREL_CONFIG_DIR", "/srv/kestrel", 1);
	ASSERT_EQ(0, kestrel_defs_dir(buf, sizeof(buf)));
	EXPECT_STREQ("/srv/kestrel", buf);
	EXPECT_EQ(-ENAMETOOLONG, kestrel_defs_dir(buf, 5));

	unsetenv("KESTREL_CONFIG_DIR");
	setenv("XDG_CONFIG_HOME", "/home/u/.cfg", 1);
	setenv("HOME", "/home/u", 1);
	ASSERT_EQ(0, kestrel_defs_dir(buf, sizeof(buf)));
	if (geteuid() == 0) {
		EXPECT_STREQ("/etc/kestrel/domains", buf);
		return;
	}
	EXPECT_STREQ("/home/u/.cfg/kestrel/domains", buf);
	unsetenv("XDG_CONFIG_HOME");
	ASSERT_EQ(0, kestrel_defs_dir(buf, sizeof(buf)));
	snprintf(want, sizeof(want), "/home/u/.config/kestrel/domains");
	EXPECT_STREQ(want, buf);
	unsetenv("HOME");
	EXPECT_EQ(-ENOENT, kestrel_defs_dir(buf, sizeof(buf)));
}

TEST(lifecycle_actions_map_to_the_module)
{
	EXPECT_EQ(KESTREL_ACTION_DESTROY,
		  kestrel_domxml_lifecycle_action(KESTREL_DOMXML_LIFECYCLE_DESTROY));
	EXPECT_EQ(KESTREL_ACTION_RESTART,
		  kestrel_domxml_lifecycle_action(KESTREL_DOMXML_LIFECYCLE_RESTART));
	EXPECT_EQ(KESTREL_ACTION_PRESERVE,
		  kestrel_domxml_lifecycle_action(KESTREL_DOMXML_LIFECYCLE_PRESERVE));
	EXPECT_EQ(-EINVAL,
		  kestrel_domxml_lifecycle_action(KESTREL_DOMXML_LIFECYCLE_RENAME_RESTART));
	EXPECT_EQ(-EINVAL,
		  kestrel_domxml_lifecycle_action(KESTREL_DOMXML_LIFECYCLE_COREDUMP_DESTROY));
	EXPECT_EQ(-EINVAL,
		  kestrel_domxml_lifecycle_action(KESTREL_DOMXML_LIFECYCLE_COREDUMP_RESTART));
}

TEST_HARNESS_MAIN
