// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The definitions directories' files (files.h): mkdir -p, atomic writes,
 * the walk over NAME.xml.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

#define SUFFIX ".xml"

int kestrel_file_path(char *buf, size_t len, const char *dir, const char *name,
		      const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, name, suffix);

	if (n < 0 || (size_t)n >= len)
		return kestrel_fail(ENAMETOOLONG, "path %s/%s%s is too long",
				    dir, name, suffix);
	return 0;
}

int kestrel_xml_file_remove(const char *dir, const char *name,
			    int (*not_found)(const char *name))
{
	char path[KESTREL_FILES_PATH_MAX];
	int err;

	if (!kestrel_file_name_valid(name))
		return not_found(name);
	err = kestrel_file_path(path, sizeof(path), dir, name, SUFFIX);
	if (err)
		return err;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return not_found(name);
		return kestrel_fail(errno, "cannot remove %s: %s", path,
				    strerror(errno));
	}
	return 0;
}

int kestrel_mkdirs(const char *dir)
{
	char path[KESTREL_FILES_PATH_MAX];
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

int kestrel_write_atomic(const char *dir, char *tmp, const char *path,
			 const char *text)
{
	int fd, dfd, err;

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

bool kestrel_file_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len && len < KESTREL_NAME_MAX && !strchr(name, '/') &&
	       name[0] != '-' && name[0] != '.';
}

int kestrel_name_uuid_conflict(const char *kind, const char *name,
			       const uint8_t uuid[KESTREL_UUID_LEN],
			       const char *old_name,
			       const uint8_t old_uuid[KESTREL_UUID_LEN])
{
	bool same_uuid = !memcmp(uuid, old_uuid, KESTREL_UUID_LEN);
	bool same_name = !strcmp(name, old_name);
	char str[KESTREL_UUID_STRLEN];

	kestrel_uuid_format(old_uuid, str);
	if (same_uuid && !same_name)
		return kestrel_fail(EEXIST,
				    "operation failed: %s '%s' is already defined with uuid %s",
				    kind, old_name, str);
	if (same_name && !same_uuid)
		return kestrel_fail(EEXIST,
				    "operation failed: %s '%s' already exists with uuid %s",
				    kind, old_name, str);
	return 0;
}

int kestrel_xml_dir_scan(const char *dir,
			 int (*fn)(const char *name, void *opaque),
			 void *opaque)
{
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return kestrel_fail(errno, "cannot open %s: %s", dir,
				    strerror(errno));
	}
	while (!err && (de = readdir(d))) {
		char name[KESTREL_NAME_MAX + sizeof(SUFFIX)];
		size_t len = strlen(de->d_name);

		if (len <= strlen(SUFFIX) || len >= sizeof(name) ||
		    strcmp(de->d_name + len - strlen(SUFFIX), SUFFIX))
			continue;
		memcpy(name, de->d_name, len - strlen(SUFFIX));
		name[len - strlen(SUFFIX)] = '\0';
		if (kestrel_file_name_valid(name))
			err = fn(name, opaque);
	}
	closedir(d);
	return err;
}
