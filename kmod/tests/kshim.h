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

/*
 * Locks, allocation and work items for files with a kernel part that
 * builds natively too (dev/pci.c, virtio/pci.c).  The tests are single
 * threaded: a spinlock only checks that it is not taken twice (a
 * self-deadlock in the kernel) nor released when free.  Work items are
 * queued and run when the test calls kshim_run_work().
 */
#include <stdio.h>
#include <stdlib.h>

#define GFP_KERNEL		0
#define GFP_KERNEL_ACCOUNT	0
#define kzalloc(size, gfp)	calloc(1, (size))
#define kfree(p)		free(p)

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif
#define READ_ONCE(x)		(*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

typedef struct {
	int held;
} spinlock_t;

static inline void kshim_lock(spinlock_t *l)
{
	if (l->held) {
		fprintf(stderr, "kshim: spinlock %p taken twice\n", (void *)l);
		abort();
	}
	l->held = 1;
}

static inline void kshim_unlock(spinlock_t *l)
{
	if (!l->held) {
		fprintf(stderr, "kshim: spinlock %p released unheld\n", (void *)l);
		abort();
	}
	l->held = 0;
}

#define spin_lock_init(l)		((l)->held = 0)
#define spin_lock(l)			kshim_lock(l)
#define spin_unlock(l)			kshim_unlock(l)
#define spin_lock_irqsave(l, f)		((f) = 0, kshim_lock(l))
#define spin_unlock_irqrestore(l, f)	((void)(f), kshim_unlock(l))

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	bool queued;
};

#define KSHIM_MAX_WORK	64
static struct work_struct *kshim_work[KSHIM_MAX_WORK];
static unsigned int kshim_nr_work;

#define INIT_WORK(w, f)		((w)->func = (f), (w)->queued = false)

static inline bool schedule_work(struct work_struct *w)
{
	if (w->queued)
		return false;
	if (kshim_nr_work == KSHIM_MAX_WORK)
		abort();
	w->queued = true;
	kshim_work[kshim_nr_work++] = w;
	return true;
}

/* Run every queued work item (and those they queue); returns how many. */
static inline unsigned int kshim_run_work(void)
{
	unsigned int n = 0;

	while (kshim_nr_work) {
		struct work_struct *w = kshim_work[0];
		unsigned int i;

		for (i = 1; i < kshim_nr_work; i++)
			kshim_work[i - 1] = kshim_work[i];
		kshim_nr_work--;
		w->queued = false;
		w->func(w);
		n++;
	}
	return n;
}

/* Forget @w if queued (cancel_work_sync without a concurrent run). */
static inline bool cancel_work_sync(struct work_struct *w)
{
	unsigned int i, j;

	for (i = j = 0; i < kshim_nr_work; i++)
		if (kshim_work[i] != w)
			kshim_work[j++] = kshim_work[i];
	kshim_nr_work = j;
	if (!w->queued)
		return false;
	w->queued = false;
	return true;
}

static inline bool flush_work(struct work_struct *w)
{
	if (!w->queued)
		return false;
	cancel_work_sync(w);
	w->func(w);
	return true;
}

/*
 * --- virtqueue and virtio-rng (virtio/virtqueue.c, virtio/rng.c) ---
 * Little-endian accessors, barriers, warnings, delayed work on top of the
 * work items above, the clock and the random source.  Time is
 * kshim_now_ns; kshim_advance_ns() moves it and fires the delayed works
 * whose delay has passed (they are then queued: kshim_run_work() runs
 * them).  get_random_bytes() gives the bytes 1, 2, 3, ... (mod 256) in
 * order, so a test can tell which bytes landed where.
 */
#include <endian.h>
#include <string.h>

#define le16_to_cpu(x)		le16toh(x)
#define le32_to_cpu(x)		le32toh(x)
#define le64_to_cpu(x)		le64toh(x)
#define cpu_to_le16(x)		htole16(x)
#define cpu_to_le32(x)		htole32(x)
#define cpu_to_le64(x)		htole64(x)

/* Loads before later loads. */
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
/* Stores before later stores. */
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
/* Everything before everything later. */
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Warnings are counted; the last one is kept for the test to look at. */
#ifndef __maybe_unused
#define __maybe_unused		__attribute__((unused))
#endif
static unsigned int kshim_warnings __maybe_unused;
static char kshim_last_warning[256] __maybe_unused;
#define pr_warn_ratelimited(...) \
	(kshim_warnings++, \
	 snprintf(kshim_last_warning, sizeof(kshim_last_warning), __VA_ARGS__))
static unsigned int kshim_warn_on __maybe_unused;
#define WARN_ON_ONCE(cond) ({ \
	bool __c = !!(cond); \
	if (__c) \
		kshim_warn_on++; \
	__c; \
})

#ifndef ERR_PTR
#define ERR_PTR(err)		((void *)(long)(err))
#define PTR_ERR(ptr)		((long)(ptr))
#define IS_ERR(ptr)		((unsigned long)(ptr) >= (unsigned long)-4095)
#endif

static inline u64 mul_u64_u64_div_u64(u64 a, u64 b, u64 c)
{
	return (u64)((__uint128_t)a * b / c);
}

#define KSHIM_HZ		250
#define KSHIM_NS_PER_JIFFY	(1000000000ULL / KSHIM_HZ)
static u64 kshim_now_ns = 1000000000ULL;

static inline u64 ktime_get_ns(void)
{
	return kshim_now_ns;
}

static inline unsigned long nsecs_to_jiffies(u64 ns)
{
	return ns / KSHIM_NS_PER_JIFFY;
}

static u64 kshim_random_bytes;

static inline void get_random_bytes(void *buf, size_t len)
{
	u8 *p = buf;

	while (len--) {
		kshim_random_bytes++;
		*p++ = (u8)kshim_random_bytes;
	}
}

struct workqueue_struct;
#define system_unbound_wq	((struct workqueue_struct *)NULL)
#define system_wq		((struct workqueue_struct *)NULL)

struct delayed_work {
	struct work_struct work;
	bool timer;			/* waiting for its delay */
	u64 expires_ns;
};

#define KSHIM_MAX_TIMERS	16
static struct delayed_work *kshim_timers[KSHIM_MAX_TIMERS];
static unsigned int kshim_nr_timers;

#define INIT_DELAYED_WORK(d, f)	(INIT_WORK(&(d)->work, (f)), (d)->timer = false)
#define to_delayed_work(w)	container_of(w, struct delayed_work, work)

static inline bool queue_delayed_work(struct workqueue_struct *wq,
				      struct delayed_work *d,
				      unsigned long delay)
{
	(void)wq;
	if (d->timer || d->work.queued)
		return false;
	if (!delay)
		return schedule_work(&d->work);
	if (kshim_nr_timers == KSHIM_MAX_TIMERS)
		abort();
	d->timer = true;
	d->expires_ns = kshim_now_ns + delay * KSHIM_NS_PER_JIFFY;
	kshim_timers[kshim_nr_timers++] = d;
	return true;
}

static inline bool delayed_work_pending(struct delayed_work *d)
{
	return d->timer || d->work.queued;
}

static inline void kshim_forget_timer(struct delayed_work *d)
{
	unsigned int i, j;

	for (i = j = 0; i < kshim_nr_timers; i++)
		if (kshim_timers[i] != d)
			kshim_timers[j++] = kshim_timers[i];
	kshim_nr_timers = j;
	d->timer = false;
}

static inline bool cancel_delayed_work_sync(struct delayed_work *d)
{
	bool was = d->timer;

	kshim_forget_timer(d);
	return cancel_work_sync(&d->work) || was;
}

/* Move the clock on; expired delayed works are queued. */
static inline void kshim_advance_ns(u64 ns)
{
	unsigned int i;

	kshim_now_ns += ns;
	for (i = 0; i < kshim_nr_timers;) {
		struct delayed_work *d = kshim_timers[i];

		if (d->expires_ns > kshim_now_ns) {
			i++;
			continue;
		}
		kshim_forget_timer(d);
		schedule_work(&d->work);
	}
}
/* --- end of virtqueue and virtio-rng --- */

#endif /* KESTREL_KSHIM_H */
