// SPDX-License-Identifier: GPL-2.0
/*
 * The console of a domain: a byte stream between the guest's serial port and
 * the host.
 *
 * Guest output goes into a ring that keeps the newest KESTREL_CONSOLE_RING
 * bytes.  Every open console fd reads the ring at its own position, starting
 * at the oldest byte still kept, so a reader that attaches late first sees the
 * recent history and a slow reader loses the oldest bytes instead of stalling
 * the guest.  Host input written to a console fd waits in a bounded queue
 * until the guest's UART takes it; the UART hears of new input through the
 * input notifier.
 */
#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "console.h"

/* Bytes moved per copy between user memory and the console. */
#define CONSOLE_READ_CHUNK	1024
#define CONSOLE_WRITE_CHUNK	256

/* Both rings are indexed by masking free-running positions. */
static_assert((KESTREL_CONSOLE_RING & (KESTREL_CONSOLE_RING - 1)) == 0);
static_assert((KESTREL_CONSOLE_INPUT & (KESTREL_CONSOLE_INPUT - 1)) == 0);

/*
 * Locking
 *
 * @lock, a spinlock taken with interrupts disabled so that output may come
 * from any context, protects the output ring (@ring, @head), the input queue
 * (@in, @in_head, @in_tail) and @dead.  It is a leaf: nothing is called with
 * it held but memcpy(), and the wait queues are woken after it is dropped.
 * Devices call the non-sleeping entry points with their own lock held.
 *
 * @notify_lock, a mutex, protects @notify and @notify_opaque and is held
 * while the notifier runs, so that unregistering waits for a running call.
 * The notifier takes its device's lock, so the order is: @notify_lock, the
 * device's lock, @lock.  Console files have their own mutex (below), taken
 * before @lock and never together with @notify_lock.
 *
 * Lifetime
 *
 * @ref counts the creator (dropped by kestrel_console_destroy()) and every
 * open console file; the last put frees the console.  The owner's get() and
 * put() bracket each open file, so the owner too outlives the files.  The
 * creator must not touch the console after kestrel_console_destroy(); the
 * input notifier must have been unregistered before it.  @ring and @in are
 * one allocation, made with the console and freed with it.
 */
struct kestrel_console {
	spinlock_t lock;		/* see above */
	u8 *ring;			/* KESTREL_CONSOLE_RING bytes */
	u64 head;			/* bytes ever output; next goes to ring[head % size] */
	u8 *in;				/* KESTREL_CONSOLE_INPUT bytes, after @ring */
	unsigned int in_head;		/* free-running input queue indices */
	unsigned int in_tail;
	bool dead;			/* shut down: no more input or output */
	wait_queue_head_t read_wait;	/* output arrived, or shutdown */
	wait_queue_head_t write_wait;	/* input queue has room, or shutdown */

	struct mutex notify_lock;	/* see above */
	void (*notify)(void *opaque);
	void *notify_opaque;

	void (*get)(void *owner);
	void (*put)(void *owner);
	void *owner;
	struct kref ref;
};

/*
 * One open console fd, holding a reference on the console.  @lock serialises
 * the reads of this file (it is not held while sleeping for data): @pos and
 * @buf change only under it; poll and the wait condition read @pos with
 * READ_ONCE() without it.  @pos may lag behind the ring's oldest byte: the
 * next read then skips to the oldest byte kept.
 */
struct kestrel_console_file {
	struct kestrel_console *con;
	struct mutex lock;		/* see above */
	u64 pos;
	u8 buf[CONSOLE_READ_CHUNK];	/* bounce buffer, under @lock */
};

/* The position of the oldest output byte still in the ring; under @lock. */
static u64 console_oldest(const struct kestrel_console *con)
{
	return con->head > KESTREL_CONSOLE_RING ?
	       con->head - KESTREL_CONSOLE_RING : 0;
}

static unsigned int console_input_len(const struct kestrel_console *con)
{
	return con->in_head - con->in_tail;
}

/* Copy @len bytes into the ring @ring of @size bytes at position @pos. */
static void ring_put(u8 *ring, size_t size, u64 pos, const u8 *src,
		     size_t len)
{
	size_t off = pos & (size - 1);
	size_t n = min(len, size - off);

	memcpy(ring + off, src, n);
	memcpy(ring, src + n, len - n);
}

/* Copy @len bytes out of the ring @ring of @size bytes at position @pos. */
static void ring_get(const u8 *ring, size_t size, u64 pos, u8 *dst,
		     size_t len)
{
	size_t off = pos & (size - 1);
	size_t n = min(len, size - off);

	memcpy(dst, ring + off, n);
	memcpy(dst + n, ring, len - n);
}

static void console_free(struct kref *ref)
{
	struct kestrel_console *con =
		container_of(ref, struct kestrel_console, ref);

	mutex_destroy(&con->notify_lock);
	kvfree(con->ring);
	kfree(con);
}

struct kestrel_console *kestrel_console_create(void (*get)(void *owner),
					       void (*put)(void *owner),
					       void *owner)
{
	struct kestrel_console *con;

	con = kzalloc(sizeof(*con), GFP_KERNEL_ACCOUNT);
	if (!con)
		return NULL;
	con->ring = kvmalloc(KESTREL_CONSOLE_RING + KESTREL_CONSOLE_INPUT,
			     GFP_KERNEL_ACCOUNT);
	if (!con->ring) {
		kfree(con);
		return NULL;
	}
	con->in = con->ring + KESTREL_CONSOLE_RING;
	spin_lock_init(&con->lock);
	init_waitqueue_head(&con->read_wait);
	init_waitqueue_head(&con->write_wait);
	mutex_init(&con->notify_lock);
	con->get = get;
	con->put = put;
	con->owner = owner;
	kref_init(&con->ref);
	return con;
}

void kestrel_console_shutdown(struct kestrel_console *con)
{
	unsigned long flags;

	spin_lock_irqsave(&con->lock, flags);
	con->dead = true;
	con->in_tail = con->in_head;
	spin_unlock_irqrestore(&con->lock, flags);

	wake_up_interruptible_poll(&con->read_wait,
				   EPOLLIN | EPOLLRDNORM | EPOLLHUP);
	wake_up_interruptible_poll(&con->write_wait, EPOLLHUP);
}

void kestrel_console_destroy(struct kestrel_console *con)
{
	if (!con)
		return;
	kestrel_console_shutdown(con);

	/*
	 * The device that registered a notifier must be gone first: it still
	 * holds this console.  Keep writers from calling into it at least.
	 */
	mutex_lock(&con->notify_lock);
	if (WARN_ON_ONCE(con->notify))
		con->notify = NULL;
	mutex_unlock(&con->notify_lock);

	kref_put(&con->ref, console_free);
}

void kestrel_console_output(struct kestrel_console *con, const u8 *buf,
			    size_t len)
{
	unsigned long flags;

	spin_lock_irqsave(&con->lock, flags);
	if (con->dead || !len) {
		spin_unlock_irqrestore(&con->lock, flags);
		return;
	}
	if (len > KESTREL_CONSOLE_RING) {
		/* Only the tail would survive: skip the rest. */
		con->head += len - KESTREL_CONSOLE_RING;
		buf += len - KESTREL_CONSOLE_RING;
		len = KESTREL_CONSOLE_RING;
	}
	ring_put(con->ring, KESTREL_CONSOLE_RING, con->head, buf, len);
	con->head += len;
	spin_unlock_irqrestore(&con->lock, flags);

	/*
	 * Readers test for data under @lock after queueing themselves, so
	 * the barrier in wq_has_sleeper() is enough to not miss one.
	 */
	if (wq_has_sleeper(&con->read_wait))
		wake_up_interruptible_poll(&con->read_wait,
					   EPOLLIN | EPOLLRDNORM);
}

int kestrel_console_input_get(struct kestrel_console *con)
{
	unsigned long flags;
	bool was_full;
	int c;

	spin_lock_irqsave(&con->lock, flags);
	if (!console_input_len(con)) {
		spin_unlock_irqrestore(&con->lock, flags);
		return -1;
	}
	was_full = console_input_len(con) == KESTREL_CONSOLE_INPUT;
	c = con->in[con->in_tail++ & (KESTREL_CONSOLE_INPUT - 1)];
	spin_unlock_irqrestore(&con->lock, flags);

	/* Writers only wait while the queue is full. */
	if (was_full && wq_has_sleeper(&con->write_wait))
		wake_up_interruptible_poll(&con->write_wait,
					   EPOLLOUT | EPOLLWRNORM);
	return c;
}

bool kestrel_console_input_pending(struct kestrel_console *con)
{
	unsigned long flags;
	bool pending;

	spin_lock_irqsave(&con->lock, flags);
	pending = console_input_len(con) != 0;
	spin_unlock_irqrestore(&con->lock, flags);
	return pending;
}

void kestrel_console_set_input_notify(struct kestrel_console *con,
				      void (*fn)(void *opaque), void *opaque)
{
	mutex_lock(&con->notify_lock);
	con->notify = fn;
	con->notify_opaque = fn ? opaque : NULL;
	mutex_unlock(&con->notify_lock);
}

static void console_notify(struct kestrel_console *con)
{
	mutex_lock(&con->notify_lock);
	if (con->notify)
		con->notify(con->notify_opaque);
	mutex_unlock(&con->notify_lock);
}

/* Whether the file has something to read: data, or the end of the stream. */
static bool console_readable(struct kestrel_console_file *cf)
{
	struct kestrel_console *con = cf->con;
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&con->lock, flags);
	ret = con->dead || con->head != READ_ONCE(cf->pos);
	spin_unlock_irqrestore(&con->lock, flags);
	return ret;
}

/* Whether a write would not block: room in the queue, or shut down. */
static bool console_writable(struct kestrel_console *con)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&con->lock, flags);
	ret = con->dead || console_input_len(con) < KESTREL_CONSOLE_INPUT;
	spin_unlock_irqrestore(&con->lock, flags);
	return ret;
}

/*
 * Copy what is there for @cf into @ubuf.  Returns the bytes copied, 0 at the
 * end of the stream, -EAGAIN when there is nothing yet, -EFAULT.  Called
 * with @cf->lock held.
 */
static ssize_t console_read_some(struct kestrel_console_file *cf,
				 char __user *ubuf, size_t count)
{
	struct kestrel_console *con = cf->con;
	unsigned long flags;
	size_t done = 0;
	bool dead;

	while (done < count) {
		size_t n, left;
		u64 pos;

		spin_lock_irqsave(&con->lock, flags);
		/* Fell behind: what was at @cf->pos is overwritten. */
		pos = max(cf->pos, console_oldest(con));
		n = min_t(u64, con->head - pos,
			  min(count - done, sizeof(cf->buf)));
		ring_get(con->ring, KESTREL_CONSOLE_RING, pos, cf->buf, n);
		dead = con->dead;
		spin_unlock_irqrestore(&con->lock, flags);

		if (!n)
			break;
		left = copy_to_user(ubuf + done, cf->buf, n);
		WRITE_ONCE(cf->pos, pos + n - left);
		done += n - left;
		if (left)
			return done ? done : -EFAULT;
	}
	if (done)
		return done;
	return dead ? 0 : -EAGAIN;
}

static ssize_t console_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct kestrel_console_file *cf = file->private_data;
	ssize_t ret;

	if (!count)
		return 0;
	for (;;) {
		if (mutex_lock_interruptible(&cf->lock))
			return -ERESTARTSYS;
		ret = console_read_some(cf, ubuf, count);
		mutex_unlock(&cf->lock);

		if (ret != -EAGAIN || (file->f_flags & O_NONBLOCK))
			return ret;
		if (wait_event_interruptible(cf->con->read_wait,
					     console_readable(cf)))
			return -ERESTARTSYS;
	}
}

/*
 * Queue as much of @ubuf as fits.  Returns the bytes queued (0 when the queue
 * is full), -EFAULT, or -EPIPE after shutdown.
 */
static ssize_t console_write_some(struct kestrel_console *con,
				  const char __user *ubuf, size_t count)
{
	u8 chunk[CONSOLE_WRITE_CHUNK];
	unsigned long flags;
	size_t done = 0;

	while (done < count) {
		size_t n = min(count - done, sizeof(chunk));
		size_t queued;

		n -= copy_from_user(chunk, ubuf + done, n);
		if (!n)
			return done ? done : -EFAULT;

		spin_lock_irqsave(&con->lock, flags);
		if (con->dead) {
			spin_unlock_irqrestore(&con->lock, flags);
			return done ? done : -EPIPE;
		}
		queued = min_t(size_t, n,
			       KESTREL_CONSOLE_INPUT - console_input_len(con));
		ring_put(con->in, KESTREL_CONSOLE_INPUT, con->in_head, chunk,
			 queued);
		con->in_head += queued;
		spin_unlock_irqrestore(&con->lock, flags);

		done += queued;
		if (queued < n)
			break;
	}
	return done;
}

static ssize_t console_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct kestrel_console_file *cf = file->private_data;
	struct kestrel_console *con = cf->con;
	ssize_t ret;

	if (!count)
		return 0;
	for (;;) {
		ret = console_write_some(con, ubuf, count);
		if (ret)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(con->write_wait,
					     console_writable(con)))
			return -ERESTARTSYS;
	}
	if (ret > 0)
		console_notify(con);
	return ret;
}

static __poll_t console_poll(struct file *file, poll_table *wait)
{
	struct kestrel_console_file *cf = file->private_data;
	struct kestrel_console *con = cf->con;
	unsigned long flags;
	__poll_t mask = 0;

	poll_wait(file, &con->read_wait, wait);
	poll_wait(file, &con->write_wait, wait);

	spin_lock_irqsave(&con->lock, flags);
	if (con->dead) {
		mask = EPOLLIN | EPOLLRDNORM | EPOLLHUP;
	} else {
		if (con->head != READ_ONCE(cf->pos))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (console_input_len(con) < KESTREL_CONSOLE_INPUT)
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	spin_unlock_irqrestore(&con->lock, flags);
	return mask;
}

static int console_release(struct inode *inode, struct file *file)
{
	struct kestrel_console_file *cf = file->private_data;
	struct kestrel_console *con = cf->con;

	mutex_destroy(&cf->lock);
	kfree(cf);
	if (con->put)
		con->put(con->owner);
	kref_put(&con->ref, console_free);
	return 0;
}

static const struct file_operations console_fops = {
	.owner		= THIS_MODULE,
	.read		= console_read,
	.write		= console_write,
	.poll		= console_poll,
	.release	= console_release,
	.llseek		= no_llseek,
};

int kestrel_console_open_fd(struct kestrel_console *con, unsigned int flags)
{
	struct kestrel_console_file *cf;
	unsigned long irqflags;
	int fd;

	if (flags & ~(O_ACCMODE | O_CLOEXEC | O_NONBLOCK) ||
	    (flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL_ACCOUNT);
	if (!cf)
		return -ENOMEM;
	cf->con = con;
	mutex_init(&cf->lock);
	spin_lock_irqsave(&con->lock, irqflags);
	cf->pos = console_oldest(con);
	spin_unlock_irqrestore(&con->lock, irqflags);

	/* The fd is live as soon as it is installed: take its references. */
	kref_get(&con->ref);
	if (con->get)
		con->get(con->owner);
	fd = anon_inode_getfd("kestrel-console", &console_fops, cf, flags);
	if (fd < 0) {
		if (con->put)
			con->put(con->owner);
		kref_put(&con->ref, console_free);
		mutex_destroy(&cf->lock);
		kfree(cf);
	}
	return fd;
}
