// SPDX-License-Identifier: LGPL-2.1-or-later
/* Per-thread last error, the way libvirt keeps virGetLastError(). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libkestrel.h"

static __thread char last_msg[512];
static __thread int last_err;

const char *kestrel_last_error(void)
{
	return last_msg;
}

int kestrel_last_errno(void)
{
	return last_err;
}

void kestrel_clear_error(void)
{
	last_msg[0] = '\0';
	last_err = 0;
}

int kestrel_fail(int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	last_err = err;
	return -err;
}
