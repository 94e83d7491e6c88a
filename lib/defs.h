/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Persistent domain definitions.  Kernel domains are always transient
 * (DESIGN principle 3): what `kestrel define` keeps is a file per domain,
 * NAME.xml in canonical form (kestrel_domxml_format(), with its UUID), in
 * one directory:
 *
 *   $KESTREL_CONFIG_DIR                    when set (tests use it)
 *   /etc/kestrel/domains                   for root
 *   $XDG_CONFIG_HOME/kestrel/domains       for other users,
 *   ~/.config/kestrel/domains              without XDG_CONFIG_HOME
 *
 * Files are written atomically (a temporary file in the same directory,
 * fsync, rename) with mode 0600; missing directories are made 0700.
 * A file whose name does not match its <name>, or that no longer parses,
 * is skipped by listings and lookups (it cannot be started either).
 *
 * Errors follow libkestrel's convention: a negative errno and a message
 * for kestrel_last_error(); "not found" is -ENOENT with libvirt's wording.
 */
#ifndef KESTREL_DEFS_H
#define KESTREL_DEFS_H

#include <stddef.h>
#include <stdint.h>

#include "libkestrel.h"
#include "domxml.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KESTREL_DEFS_PATH_MAX 4096

/* The definitions directory (see above) into @buf; -ENAMETOOLONG, -ENOENT. */
int kestrel_defs_dir(char *buf, size_t len);

/* What a listing needs of a definition. */
struct kestrel_def {
	char name[KESTREL_NAME_MAX];
	uint8_t uuid[KESTREL_UUID_LEN];
	uint64_t memory_kib;
	unsigned int vcpus;
};

/*
 * Every valid definition in @dir, sorted by name (a missing directory is
 * an empty list); free *@list with free().
 */
int kestrel_defs_list(const char *dir, struct kestrel_def **list, size_t *n);

/*
 * The definition named @name: its model into @x (if not NULL; release with
 * kestrel_domxml_free()) and its canonical XML (the file's text as define
 * wrote it) into *@xml (if not NULL; malloc'd).  -ENOENT with libvirt's
 * "Domain not found: no domain with matching name '...'".
 */
int kestrel_def_load(const char *dir, const char *name,
		     struct kestrel_domxml *x, char **xml);

/* The definition with @uuid: its summary into @def.  -ENOENT if none. */
int kestrel_def_find_uuid(const char *dir, const uint8_t uuid[KESTREL_UUID_LEN],
			  struct kestrel_def *def);

/*
 * libvirt's duplicate check of a new definition @x against an existing
 * domain (@name, @uuid): -EEXIST when exactly one of name and UUID match,
 * with libvirt's message ("operation failed: domain 'a' already exists
 * with uuid ..." / "... is already defined with uuid ..."); 0 otherwise.
 */
int kestrel_def_conflict(const struct kestrel_domxml *x, const char *name,
			 const uint8_t uuid[KESTREL_UUID_LEN]);

/*
 * Write @x as NAME.xml, replacing a definition with the same name and
 * UUID.  Checks every other definition first (kestrel_def_conflict()).
 */
int kestrel_def_save(const char *dir, const struct kestrel_domxml *x);

/* Remove NAME.xml; -ENOENT with libvirt's message if there is none. */
int kestrel_def_remove(const char *dir, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_DEFS_H */
