/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The console of a domain: one byte stream between the guest's serial port
 * and the host.  Guest output is kept in a ring (the newest
 * KESTREL_CONSOLE_RING bytes) that every open console fd reads at its own
 * position; host input waits in a bounded queue until the guest's UART takes
 * it.  The locking and lifetime rules are with struct kestrel_console in
 * console.c; in short:
 *
 *  - kestrel_console_output(), _input_get() and _input_pending() never sleep
 *    and may be called from any context, with preemption or interrupts
 *    disabled.  Everything else may sleep.
 *  - The console outlives kestrel_console_destroy() while fds are open; each
 *    open fd also holds the owner through the get()/put() callbacks.
 *  - Whoever registered an input notifier must unregister it (fn == NULL)
 *    before kestrel_console_destroy().
 */
#ifndef KESTREL_CONSOLE_H
#define KESTREL_CONSOLE_H

#include <linux/types.h>

/* Guest output kept for readers; a power of two. */
#define KESTREL_CONSOLE_RING	(64 * 1024)
/* Host input waiting for the guest; a power of two. */
#define KESTREL_CONSOLE_INPUT	4096

struct kestrel_console;

/*
 * @get and @put (either may be NULL) take and drop a reference on @owner:
 * get() when a console fd is opened, put() when it is released, so the owner
 * stays while fds exist.  put() is called from the fd's release, in process
 * context.  Returns NULL when out of memory.
 */
struct kestrel_console *kestrel_console_create(void (*get)(void *owner),
					       void (*put)(void *owner),
					       void *owner);
/* Shut down and drop the creator's reference; @con may be NULL. */
void kestrel_console_destroy(struct kestrel_console *con);
/*
 * The domain is gone: wake everyone, discard pending input, ignore further
 * output.  Readers drain what is kept and then read EOF; writers get -EPIPE;
 * poll reports EPOLLHUP.  Idempotent.
 */
void kestrel_console_shutdown(struct kestrel_console *con);

/* Guest output.  Never sleeps. */
void kestrel_console_output(struct kestrel_console *con, const u8 *buf,
			    size_t len);
/* The next byte of host input, or -1 when there is none.  Never sleeps. */
int kestrel_console_input_get(struct kestrel_console *con);
/* Whether host input is waiting.  Never sleeps. */
bool kestrel_console_input_pending(struct kestrel_console *con);
/*
 * Register @fn(@opaque), called in process context without console locks
 * held each time host input arrives; @fn == NULL unregisters.  On return no
 * call of the previous notifier is running or will start.  May sleep.
 */
void kestrel_console_set_input_notify(struct kestrel_console *con,
				      void (*fn)(void *opaque), void *opaque);

/*
 * A new console fd (read, write, poll; no seek) in the caller's process.
 * @flags as for open(2): O_RDONLY, O_WRONLY or O_RDWR, optionally with
 * O_CLOEXEC and O_NONBLOCK; anything else is -EINVAL.  The caller holds a
 * reference on the owner for the duration of the call.  Returns the fd or a
 * negative errno.  Permission checks are the caller's.
 */
int kestrel_console_open_fd(struct kestrel_console *con, unsigned int flags);

#endif /* KESTREL_CONSOLE_H */
