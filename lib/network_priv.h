/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What network_store.c and network_run.c share; not installed.  The
 * directories' paths, mkdir -p, atomic writes, name check and
 * removal are files.h's.
 */
#ifndef KESTREL_NETWORK_PRIV_H
#define KESTREL_NETWORK_PRIV_H

#include "files.h"
#include "network.h"

/* Write @text to @dir/@file atomically (temporary file, fsync, rename), 0600. */
int kestrel_net_write(const char *dir, const char *file, const char *text);
/* The whole of a small file, malloc'd and NUL-terminated: 0 or -errno (no message). */
int kestrel_net_read(const char *path, char **text);
/* libvirt's "Network not found: no network with matching name '...'". */
int kestrel_net_not_found(const char *name);

#endif /* KESTREL_NETWORK_PRIV_H */
