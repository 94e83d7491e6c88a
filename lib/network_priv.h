/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What network_store.c and network_run.c share; not installed.
 */
#ifndef KESTREL_NETWORK_PRIV_H
#define KESTREL_NETWORK_PRIV_H

#include "network.h"

/* mkdir -p, new directories 0700. */
int kestrel_net_mkdirs(const char *dir);
/* Write @text to @dir/@file atomically (temporary file, fsync, rename), 0600. */
int kestrel_net_write(const char *dir, const char *file, const char *text);
/* The whole of a small file, malloc'd and NUL-terminated: 0 or -errno (no message). */
int kestrel_net_read(const char *path, char **text);
/* "@dir/@name@suffix" into @buf; -ENAMETOOLONG with a message. */
int kestrel_net_path(char *buf, size_t len, const char *dir, const char *name,
		     const char *suffix);
/* A network name that can be a file name (what the parser allows). */
bool kestrel_net_name_valid(const char *name);
/* libvirt's "Network not found: no network with matching name '...'". */
int kestrel_net_not_found(const char *name);

#endif /* KESTREL_NETWORK_PRIV_H */
