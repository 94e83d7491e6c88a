/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's environment to build a self-contained module
 * file (one that includes only <linux/types.h> and <linux/errno.h>) in
 * userspace.  Those two names resolve to the uapi headers here; this adds
 * the kernel-internal type names on top.
 */
#ifndef KESTREL_KSHIM_H
#define KESTREL_KSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/errno.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;

#endif /* KESTREL_KSHIM_H */
