// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network definitions: one canonical XML file per network, NAME.xml, in
 * the networks directory (network.h), written as domain definitions are
 * (lib/defs.c), by the same helpers (files.h): atomically, 0600,
 * directories made 0700.  Listings and
 * lookups join the definitions with the running networks' state
 * (network_run.c), as libvirt joins persistent and active networks.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network_priv.h"
#include "domxml.h"

#define SUFFIX ".xml"

static int dir_from_env(char *buf, size_t len, const char *env_name,
			const char *root_dir, const char *xdg_name,
			const char *home_sub, const char *what)
{
	const char *env = getenv(env_name);
	const char *xdg = getenv(xdg_name);
	const char *home = getenv("HOME");
	int n;

	if (env && env[0])
		n = snprintf(buf, len, "%s/networks", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", root_dir);
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/kestrel/networks", xdg);
	else if (home_sub && home && home[0])
		n = snprintf(buf, len, "%s/%s/kestrel/networks", home, home_sub);
	else
		return kestrel_fail(ENOENT, "cannot find the %s directory: neither %s nor %s is set",
				    what, env_name, xdg_name);
	if (n < 0 || (size_t)n >= len)
		return kestrel_fail(ENAMETOOLONG, "the %s directory's path is too long",
				    what);
	return 0;
}

int kestrel_network_dir(char *buf, size_t len)
{
	return dir_from_env(buf, len, "KESTREL_CONFIG_DIR",
			    "/etc/kestrel/networks", "XDG_CONFIG_HOME",
			    ".config", "network definitions");
}

int kestrel_network_run_dir(char *buf, size_t len)
{
	return dir_from_env(buf, len, "KESTREL_RUN_DIR", "/run/kestrel/networks",
			    "XDG_RUNTIME_DIR", NULL, "network state");
}

int kestrel_net_not_found(const char *name)
{
	return kestrel_fail(ENOENT,
			    "Network not found: no network with matching name '%s'",
			    name);
}

int kestrel_net_write(const char *dir, const char *file, const char *text)
{
	char tmp[KESTREL_NET_PATH_MAX], path[KESTREL_NET_PATH_MAX];

	return kestrel_mkdirs(dir) ?:
	       kestrel_file_path(path, sizeof(path), dir, file, "") ?:
	       kestrel_file_path(tmp, sizeof(tmp), dir, ".tmp-XXXXXX", "") ?:
	       kestrel_write_atomic(dir, tmp, path, text);
}

int kestrel_net_read(const char *path, char **text)
{
	size_t len = 0, cap = 4096;
	char *buf, *grown;
	int fd, err;

	*text = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			if (cap >= (1u << 24)) {
				err = -EFBIG;
				goto fail;
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				err = -ENOMEM;
				goto fail;
			}
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*text = buf;
	return 0;
fail:
	close(fd);
	free(buf);
	return err;
}

/* The definition @dir/@name.xml, which must define network @name. */
int kestrel_network_load(const char *dir, const char *name,
			 struct kestrel_network *x)
{
	char path[KESTREL_NET_PATH_MAX];
	int err;

	kestrel_network_init(x);
	if (!name || !kestrel_file_name_valid(name))
		return kestrel_net_not_found(name ? name : "");
	err = kestrel_file_path(path, sizeof(path), dir, name, SUFFIX);
	if (err)
		return err;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return kestrel_net_not_found(name);
	err = kestrel_network_parse_file(path, x);
	if (err)
		return err;
	if (strcmp(x->name, name))
		err = kestrel_fail(EINVAL, "%s defines network '%s', not '%s'",
				   path, x->name, name);
	else if (x->uuid_generated)
		err = kestrel_fail(EINVAL, "%s has no <uuid>", path);
	if (err)
		kestrel_network_free(x);
	return err;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct kestrel_net_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static struct kestrel_net_entry *find_entry(struct kestrel_net_entry *list,
					    size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

struct scan_state {
	const char *dir, *run;
	bool active;
	struct kestrel_net_entry *list;
	size_t n, cap;
};

/* Add network @name of the definitions or the active ones to the list. */
static int scan_one(const char *name, void *opaque)
{
	struct scan_state *ss = opaque;
	struct kestrel_net_state st;
	struct kestrel_net_entry *e;
	struct kestrel_network x;
	int err;

	if (ss->active)
		err = kestrel_network_active(ss->run, name, &x, &st);
	else
		err = kestrel_network_load(ss->dir, name, &x);
	if (err)
		return 0;
	e = find_entry(ss->list, ss->n, name);
	if (!e) {
		if (ss->n == ss->cap) {
			size_t cap = ss->cap ? ss->cap * 2 : 16;
			struct kestrel_net_entry *grown =
				reallocarray(ss->list, cap, sizeof(*ss->list));

			if (!grown) {
				kestrel_network_free(&x);
				return kestrel_fail(ENOMEM, "out of memory");
			}
			ss->list = grown;
			ss->cap = cap;
		}
		e = &ss->list[ss->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%.63s", name);
	}
	/* The running network's identity wins over the definition's. */
	if (ss->active || !e->active) {
		memcpy(e->uuid, x.uuid, sizeof(e->uuid));
		snprintf(e->bridge, sizeof(e->bridge), "%s",
			 ss->active ? st.bridge : x.bridge);
	}
	if (ss->active)
		e->active = true;
	else
		e->persistent = true;
	kestrel_network_free(&x);
	return 0;
}

int kestrel_network_list(const char *dir, const char *run,
			 struct kestrel_net_entry **listp, size_t *np)
{
	struct scan_state ss = { .dir = dir, .run = run };
	int err;

	*listp = NULL;
	*np = 0;
	err = kestrel_xml_dir_scan(dir, scan_one, &ss);
	if (!err) {
		ss.active = true;
		err = kestrel_xml_dir_scan(run, scan_one, &ss);
	}
	if (err) {
		free(ss.list);
		return err;
	}
	if (ss.n)
		qsort(ss.list, ss.n, sizeof(*ss.list), cmp_entry);
	kestrel_clear_error();
	*listp = ss.list;
	*np = ss.n;
	return 0;
}

int kestrel_network_lookup(const char *dir, const char *run, const char *ref,
			   bool inactive, struct kestrel_net_entry *e,
			   struct kestrel_network *x)
{
	struct kestrel_net_entry *list, *found = NULL;
	uint8_t uuid[KESTREL_UUID_LEN];
	size_t n, i;
	int err;

	if (x)
		kestrel_network_init(x);
	err = kestrel_network_list(dir, run, &list, &n);
	if (err)
		return err;
	found = find_entry(list, n, ref);
	if (!found && kestrel_uuid_parse(ref, uuid) == 0)
		for (i = 0; i < n && !found; i++)
			if (!memcmp(list[i].uuid, uuid, sizeof(uuid)))
				found = &list[i];
	if (!found) {
		free(list);
		return kestrel_net_not_found(ref);
	}
	*e = *found;
	free(list);
	if (!x)
		return 0;
	if (e->active && !(inactive && e->persistent))
		return kestrel_network_active(run, e->name, x, NULL);
	return kestrel_network_load(dir, e->name, x);
}

static int conflict(const struct kestrel_network *x,
		    const struct kestrel_net_entry *e)
{
	return kestrel_name_uuid_conflict("network", x->name, x->uuid, e->name,
					  e->uuid);
}

static bool bridge_taken(const struct kestrel_net_entry *list, size_t n,
			 const char *self, const char *bridge)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].name, self) && !strcmp(list[i].bridge, bridge))
			return true;
	return false;
}

int kestrel_network_define(const char *dir, const char *run,
			   struct kestrel_network *x)
{
	struct kestrel_net_entry *list, *self;
	struct kestrel_network old;
	size_t n, i;
	char *text;
	int err;

	if (!kestrel_file_name_valid(x->name))
		return kestrel_fail(EINVAL, "network name '%s' cannot be a file name",
				    x->name);
	err = kestrel_network_list(dir, run, &list, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++)
		err = conflict(x, &list[i]);
	if (err)
		goto out;
	/* A redefinition keeps the generated bridge name and MAC. */
	self = find_entry(list, n, x->name);
	kestrel_network_init(&old);
	if (self && self->persistent && kestrel_network_load(dir, x->name, &old) == 0) {
		if (!x->bridge[0] && old.bridge[0] &&
		    !bridge_taken(list, n, x->name, old.bridge))
			snprintf(x->bridge, sizeof(x->bridge), "%s", old.bridge);
		if (!x->has_mac && old.has_mac) {
			memcpy(x->mac, old.mac, 6);
			x->has_mac = true;
		}
		kestrel_network_free(&old);
	}
	kestrel_clear_error();
	if (x->bridge[0] && bridge_taken(list, n, x->name, x->bridge)) {
		for (i = 0; i < n; i++)
			if (strcmp(list[i].name, x->name) &&
			    !strcmp(list[i].bridge, x->bridge))
				break;
		err = kestrel_fail(EEXIST, "bridge name '%s' already in use by network '%s'",
				   x->bridge, list[i].name);
		goto out;
	}
	for (i = 0; !x->bridge[0] && i < 1000; i++) {
		char name[KESTREL_NET_IFNAME_MAX];

		snprintf(name, sizeof(name), KESTREL_NET_BRIDGE_PREFIX "%zu", i);
		if (!bridge_taken(list, n, x->name, name) &&
		    !if_nametoindex(name))
			snprintf(x->bridge, sizeof(x->bridge), "%s", name);
	}
	if (!x->bridge[0]) {
		err = kestrel_fail(ENOSPC, "no free bridge name " KESTREL_NET_BRIDGE_PREFIX "N");
		goto out;
	}
	if (!x->has_mac) {
		err = kestrel_mac_generate(x->mac);
		if (err)
			goto out;
		x->has_mac = true;
	}
	x->uuid_generated = false;
	text = kestrel_network_format(x);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	{
		char file[KESTREL_NAME_MAX + sizeof(SUFFIX)];

		snprintf(file, sizeof(file), "%s" SUFFIX, x->name);
		err = kestrel_net_write(dir, file, text);
	}
	free(text);
out:
	free(list);
	return err;
}

int kestrel_network_undefine(const char *dir, const char *name)
{
	return kestrel_xml_file_remove(dir, name, kestrel_net_not_found);
}
