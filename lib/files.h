/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the definitions directories share (defs.c for domains,
 * network_store.c and network_run.c for networks): one NAME.xml file per
 * object, written atomically, 0600, in directories made 0700.  Not
 * installed.
 */
#ifndef KESTREL_FILES_H
#define KESTREL_FILES_H

#include <stdbool.h>

#include "libkestrel.h"

/* The longest path these helpers make (KESTREL_DEFS_PATH_MAX's and KESTREL_NET_PATH_MAX's). */
#define KESTREL_FILES_PATH_MAX 4096

/* "@dir/@name@suffix" into @buf; -ENAMETOOLONG with a message. */
int kestrel_file_path(char *buf, size_t len, const char *dir, const char *name,
		      const char *suffix);

/*
 * Remove @dir/@name.xml; a name that cannot be a file name, or no such
 * file, is @not_found(@name).
 */
int kestrel_xml_file_remove(const char *dir, const char *name,
			    int (*not_found)(const char *name));

/* mkdir -p, new directories 0700. */
int kestrel_mkdirs(const char *dir);

/*
 * Write @text to @path atomically: into @tmp (a mkostemp() template in
 * @dir, which it fills in), 0600, fsync, rename, then fsync @dir.
 */
int kestrel_write_atomic(const char *dir, char *tmp, const char *path,
			 const char *text);

/* A name that can be a file name of the directory (as the parsers allow). */
bool kestrel_file_name_valid(const char *name);

/*
 * libvirt's duplicate rules for a @kind ("domain", "network") @name with
 * @uuid against one already there, @old_name with @old_uuid: the same
 * UUID under another name, or the same name with another UUID, is
 * -EEXIST with libvirt's message.
 */
int kestrel_name_uuid_conflict(const char *kind, const char *name,
			       const uint8_t uuid[KESTREL_UUID_LEN],
			       const char *old_name,
			       const uint8_t old_uuid[KESTREL_UUID_LEN]);

/*
 * Call @fn(@name, @opaque) for each NAME.xml of @dir whose NAME is
 * kestrel_file_name_valid(), in directory order; a missing @dir has none.
 * The first nonzero return of @fn stops the walk and is returned.
 */
int kestrel_xml_dir_scan(const char *dir,
			 int (*fn)(const char *name, void *opaque),
			 void *opaque);

#endif /* KESTREL_FILES_H */
