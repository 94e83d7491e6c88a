// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Persistent domain definitions: one canonical XML file per domain in the
 * definitions directory (see defs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defs.h"

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

static int def_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s" SUFFIX, dir, name);

	if (n < 0 || (size_t)n >= len)
		return kestrel_fail(ENAMETOOLONG, "path %s/%s" SUFFIX " is too long",
				    dir, name);
	return 0;
}

static int not_found_name(const char *name)
{
	return kestrel_fail(ENOENT,
			    "Domain not found: no domain with matching name '%s'",
			    name);
}

/* A name that can be a file name of the directory (as the parser allows). */
static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	return len && len < KESTREL_NAME_MAX && !strchr(name, '/') &&
	       name[0] != '-' && name[0] != '.';
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
	if (!name || !valid_name(name))
		return not_found_name(name ? name : "");
	err = def_path(dir, name, path, sizeof(path));
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

int kestrel_defs_list(const char *dir, struct kestrel_def **listp, size_t *np)
{
	struct kestrel_def *list = NULL, *grown;
	struct kestrel_domxml x;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*listp = NULL;
	*np = 0;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return kestrel_fail(errno, "cannot open %s: %s", dir,
				    strerror(errno));
	}
	while ((de = readdir(d))) {
		char name[KESTREL_NAME_MAX + sizeof(SUFFIX)];
		size_t len = strlen(de->d_name);

		if (len <= strlen(SUFFIX) || len >= sizeof(name) ||
		    strcmp(de->d_name + len - strlen(SUFFIX), SUFFIX))
			continue;
		memcpy(name, de->d_name, len - strlen(SUFFIX));
		name[len - strlen(SUFFIX)] = '\0';
		if (!valid_name(name) || kestrel_def_load(dir, name, &x, NULL))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = reallocarray(list, cap, sizeof(*list));
			if (!grown) {
				kestrel_domxml_free(&x);
				closedir(d);
				free(list);
				return kestrel_fail(ENOMEM, "out of memory");
			}
			list = grown;
		}
		memset(&list[n], 0, sizeof(list[n]));
		snprintf(list[n].name, sizeof(list[n].name), "%s", x.name);
		memcpy(list[n].uuid, x.uuid, KESTREL_UUID_LEN);
		list[n].memory_kib = x.memory_kib;
		list[n].vcpus = x.vcpus;
		n++;
		kestrel_domxml_free(&x);
	}
	closedir(d);
	if (n)
		qsort(list, n, sizeof(*list), cmp_name);
	kestrel_clear_error();
	*listp = list;
	*np = n;
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
	bool same_uuid = !memcmp(x->uuid, uuid, KESTREL_UUID_LEN);
	bool same_name = !strcmp(x->name, name);
	char str[KESTREL_UUID_STRLEN];

	kestrel_uuid_format(uuid, str);
	if (same_uuid && !same_name)
		return kestrel_fail(EEXIST,
				    "operation failed: domain '%s' is already defined with uuid %s",
				    name, str);
	if (same_name && !same_uuid)
		return kestrel_fail(EEXIST,
				    "operation failed: domain '%s' already exists with uuid %s",
				    name, str);
	return 0;
}

/* mkdir -p, new directories 0700. */
static int make_dirs(const char *dir)
{
	char path[KESTREL_DEFS_PATH_MAX];
	size_t i, len = strlen(dir);

	if (len >= sizeof(path))
		return kestrel_fail(ENAMETOOLONG, "path %s is too long", dir);
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return kestrel_fail(errno, "cannot create directory %s: %s",
					    path, strerror(errno));
		path[i] = dir[i];
	}
	return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write @text to @path atomically: a temporary file, fsync, rename. */
static int write_atomic(const char *dir, const char *path, const char *text)
{
	char tmp[KESTREL_DEFS_PATH_MAX];
	int fd, dfd, err;

	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir) >= (int)sizeof(tmp))
		return kestrel_fail(ENAMETOOLONG, "path %s is too long", dir);
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0)
		return kestrel_fail(errno, "cannot write in %s: %s", dir,
				    strerror(errno));
	err = write_all(fd, text, strlen(text));
	if (!err && fchmod(fd, 0600) < 0)
		err = -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return kestrel_fail(-err, "cannot write %s: %s", path,
				    strerror(-err));
	}
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int kestrel_def_save(const char *dir, const struct kestrel_domxml *x)
{
	char path[KESTREL_DEFS_PATH_MAX];
	struct kestrel_def *list;
	size_t n, i;
	char *text;
	int err;

	if (!valid_name(x->name))
		return kestrel_fail(EINVAL, "domain name '%s' cannot be a file name",
				    x->name);
	err = def_path(dir, x->name, path, sizeof(path));
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
	err = make_dirs(dir);
	if (!err)
		err = write_atomic(dir, path, text);
	free(text);
	return err;
}

int kestrel_def_remove(const char *dir, const char *name)
{
	char path[KESTREL_DEFS_PATH_MAX];
	int err;

	if (!valid_name(name))
		return not_found_name(name);
	err = def_path(dir, name, path, sizeof(path));
	if (err)
		return err;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return not_found_name(name);
		return kestrel_fail(errno, "cannot remove %s: %s", path,
				    strerror(errno));
	}
	return 0;
}
