// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Persistent domain definitions: one canonical XML file per domain in the
 * definitions directory (see defs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defs.h"
#include "files.h"

#define SUFFIX ".xml"

int kestrel_defs_dir(char *buf, size_t len)
{
	const char *env = getenv("KESTREL_CONFIG_DIR");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env && env[0])
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/etc/kestrel/domains");
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/kestrel/domains", xdg);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.config/kestrel/domains", home);
	else
		return kestrel_fail(ENOENT,
				    "cannot find the definitions directory: neither KESTREL_CONFIG_DIR, XDG_CONFIG_HOME nor HOME is set");
	if (n < 0 || (size_t)n >= len)
		return kestrel_fail(ENAMETOOLONG,
				    "the definitions directory's path is too long");
	return 0;
}

static int not_found_name(const char *name)
{
	return kestrel_fail(ENOENT,
			    "Domain not found: no domain with matching name '%s'",
			    name);
}

/*
 * Load @path, which must define the domain @name.  -ENOENT if there is no
 * such file; -EINVAL (with the reason) for a file that is not a valid
 * definition of @name.  The text is the canonical form of what the file
 * says (what define wrote, byte for byte).
 */
static int load_path(const char *path, const char *name,
		     struct kestrel_domxml *x, char **xml)
{
	int err;

	err = kestrel_domxml_parse_file(path, x);
	if (err == -ENOENT)
		return not_found_name(name);
	if (err)
		return err;
	if (strcmp(x->name, name))
		err = kestrel_fail(EINVAL, "%s defines domain '%s', not '%s'",
				   path, x->name, name);
	else if (x->uuid_generated)
		err = kestrel_fail(EINVAL, "%s has no <uuid>", path);
	else if (xml && !(*xml = kestrel_domxml_format(x)))
		err = -ENOMEM;
	if (err)
		kestrel_domxml_free(x);
	return err;
}

int kestrel_def_load(const char *dir, const char *name,
		     struct kestrel_domxml *x, char **xml)
{
	struct kestrel_domxml tmp;
	char path[KESTREL_DEFS_PATH_MAX];
	int err;

	if (xml)
		*xml = NULL;
	if (!x)
		x = &tmp;
	kestrel_domxml_init(x);
	if (!name || !kestrel_file_name_valid(name))
		return not_found_name(name ? name : "");
	err = kestrel_file_path(path, sizeof(path), dir, name, SUFFIX);
	if (err)
		return err;
	err = load_path(path, name, x, xml);
	if (!err && x == &tmp)
		kestrel_domxml_free(&tmp);
	return err;
}

static int cmp_name(const void *a, const void *b)
{
	const struct kestrel_def *x = a, *y = b;

	return strcmp(x->name, y->name);
}

struct list_state {
	const char *dir;
	struct kestrel_def *list;
	size_t n, cap;
};

static int list_one(const char *name, void *opaque)
{
	struct list_state *ls = opaque;
	struct kestrel_def *grown;
	struct kestrel_domxml x;

	if (kestrel_def_load(ls->dir, name, &x, NULL))
		return 0;
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 16;
		grown = reallocarray(ls->list, ls->cap, sizeof(*ls->list));
		if (!grown) {
			kestrel_domxml_free(&x);
			return kestrel_fail(ENOMEM, "out of memory");
		}
		ls->list = grown;
	}
	memset(&ls->list[ls->n], 0, sizeof(ls->list[ls->n]));
	snprintf(ls->list[ls->n].name, sizeof(ls->list[ls->n].name), "%s", x.name);
	memcpy(ls->list[ls->n].uuid, x.uuid, KESTREL_UUID_LEN);
	ls->list[ls->n].memory_kib = x.memory_kib;
	ls->list[ls->n].vcpus = x.vcpus;
	ls->n++;
	kestrel_domxml_free(&x);
	return 0;
}

int kestrel_defs_list(const char *dir, struct kestrel_def **listp, size_t *np)
{
	struct list_state ls = { .dir = dir };
	int err;

	*listp = NULL;
	*np = 0;
	err = kestrel_xml_dir_scan(dir, list_one, &ls);
	if (err) {
		free(ls.list);
		return err;
	}
	if (ls.n)
		qsort(ls.list, ls.n, sizeof(*ls.list), cmp_name);
	kestrel_clear_error();
	*listp = ls.list;
	*np = ls.n;
	return 0;
}

int kestrel_def_find_uuid(const char *dir, const uint8_t uuid[KESTREL_UUID_LEN],
			  struct kestrel_def *def)
{
	char str[KESTREL_UUID_STRLEN];
	struct kestrel_def *list;
	size_t n, i;
	int err;

	err = kestrel_defs_list(dir, &list, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (memcmp(list[i].uuid, uuid, KESTREL_UUID_LEN))
			continue;
		if (def)
			*def = list[i];
		free(list);
		return 0;
	}
	free(list);
	kestrel_uuid_format(uuid, str);
	return kestrel_fail(ENOENT,
			    "Domain not found: no domain with matching uuid '%s'",
			    str);
}

int kestrel_def_conflict(const struct kestrel_domxml *x, const char *name,
			 const uint8_t uuid[KESTREL_UUID_LEN])
{
	return kestrel_name_uuid_conflict("domain", x->name, x->uuid, name,
					  uuid);
}

/* Write @text to @path atomically: a temporary file, fsync, rename. */
static int write_atomic(const char *dir, const char *path, const char *text)
{
	char tmp[KESTREL_DEFS_PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir) >= (int)sizeof(tmp))
		return kestrel_fail(ENAMETOOLONG, "path %s is too long", dir);
	return kestrel_write_atomic(dir, tmp, path, text);
}

int kestrel_def_save(const char *dir, const struct kestrel_domxml *x)
{
	char path[KESTREL_DEFS_PATH_MAX];
	struct kestrel_def *list;
	size_t n, i;
	char *text;
	int err;

	if (!kestrel_file_name_valid(x->name))
		return kestrel_fail(EINVAL, "domain name '%s' cannot be a file name",
				    x->name);
	err = kestrel_file_path(path, sizeof(path), dir, x->name, SUFFIX);
	if (err)
		return err;
	err = kestrel_defs_list(dir, &list, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++)
		err = kestrel_def_conflict(x, list[i].name, list[i].uuid);
	free(list);
	if (err)
		return err;
	text = kestrel_domxml_format(x);
	if (!text)
		return -ENOMEM;
	err = kestrel_mkdirs(dir) ?: write_atomic(dir, path, text);
	free(text);
	return err;
}

int kestrel_def_remove(const char *dir, const char *name)
{
	return kestrel_xml_file_remove(dir, name, not_found_name);
}
