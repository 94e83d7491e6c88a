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

/*
 * --- virtio-blk (virtio/blk.c) ---
 * kthread workers are work items (kshim_run_work() runs them); a fake file
 * is a buffer of kshim_inode.i_size bytes that vfs_iter_read/write copy
 * to and from the bio_vecs' pages, with injectable failures; struct page
 * is a pointer into the test's fake RAM.  The test defines
 * kestrel_mem_gpa_to_off() and kestrel_mem_page() (kmod/memory.h).
 */
#include <assert.h>
#include <stdarg.h>
#include <sys/types.h>
#include <linux/falloc.h>

#ifndef __packed
#define __packed		__attribute__((packed))
#endif
#define kvzalloc(size, gfp)	calloc(1, (size))
#define kvfree(p)		free(p)

#ifndef PAGE_SHIFT
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#endif

struct task_struct {
	int kshim_cgroup;		/* attached to the caller's cgroups */
};

static struct task_struct kshim_current_task __maybe_unused;
#define current			(&kshim_current_task)
/* The next cgroup_attach_task_all() fails with this (once). */
static int kshim_cgroup_err __maybe_unused;

static inline int cgroup_attach_task_all(struct task_struct *from,
					 struct task_struct *t)
{
	int err = kshim_cgroup_err;

	(void)from;
	kshim_cgroup_err = 0;
	if (!err)
		t->kshim_cgroup = 1;
	return err;
}

struct kthread_work;
typedef void (*kthread_work_func_t)(struct kthread_work *work);

struct kthread_work {
	struct work_struct base;
	kthread_work_func_t fn;
};

struct kthread_worker {
	struct task_struct *task;
	struct task_struct kshim_task;
	char kshim_name[32];
};

static unsigned int kshim_nr_workers __maybe_unused;
/* The next kthread_create_worker() fails with this (once). */
static int kshim_worker_err __maybe_unused;

static inline void kshim_kthread_work_fn(struct work_struct *w)
{
	struct kthread_work *kw = container_of(w, struct kthread_work, base);

	kw->fn(kw);
}

#define kthread_init_work(w, f) \
	(INIT_WORK(&(w)->base, kshim_kthread_work_fn), (w)->fn = (f))

static inline struct kthread_worker *
kthread_create_worker(unsigned int flags, const char *fmt, ...)
{
	struct kthread_worker *w;
	va_list ap;

	(void)flags;
	if (kshim_worker_err) {
		int err = kshim_worker_err;

		kshim_worker_err = 0;
		return ERR_PTR(err);
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		abort();
	w->task = &w->kshim_task;
	va_start(ap, fmt);
	vsnprintf(w->kshim_name, sizeof(w->kshim_name), fmt, ap);
	va_end(ap);
	kshim_nr_workers++;
	return w;
}

static inline bool kthread_queue_work(struct kthread_worker *worker,
				      struct kthread_work *w)
{
	(void)worker;
	return schedule_work(&w->base);
}

static inline bool kthread_cancel_work_sync(struct kthread_work *w)
{
	return cancel_work_sync(&w->base);
}

static inline void kthread_destroy_worker(struct kthread_worker *w)
{
	kshim_nr_workers--;
	free(w);
}

struct page {
	void *kshim_virt;
};

/* Guest RAM (kmod/memory.h): the test defines these. */
struct kestrel_mem;
bool kestrel_mem_gpa_to_off(const struct kestrel_mem *mem, u64 gpa, u64 *off);
struct page *kestrel_mem_page(const struct kestrel_mem *mem, unsigned long idx);

struct bio_vec {
	struct page *bv_page;
	unsigned int bv_len;
	unsigned int bv_offset;
};

#define ITER_SOURCE		1
#define ITER_DEST		0

struct iov_iter {
	unsigned int dir;
	const struct bio_vec *bvec;
	unsigned long nr_segs;
	size_t count;
};

static inline void iov_iter_bvec(struct iov_iter *i, unsigned int dir,
				 const struct bio_vec *bvec,
				 unsigned long nr_segs, size_t count)
{
	i->dir = dir;
	i->bvec = bvec;
	i->nr_segs = nr_segs;
	i->count = count;
}

typedef int rwf_t;
#define FMODE_READ		0x1
#define FMODE_WRITE		0x2

/*
 * Asynchronous I/O (virtio-blk's requests in flight).  The tests run one
 * thread: an atomic_t is an int, an llist a plain list, and
 * wait_var_event() calls kshim_wait_hook (the test's stand-in for the
 * other threads, e.g. completing I/O) until the condition holds; no hook,
 * or a hook that makes no progress for 1000 rounds, is a deadlock: abort.
 * A file's f_op (kshim_blk_fops, below the virtio-net part) completes
 * read_iter/write_iter at once or, with kshim_defer, returns -EIOCBQUEUED
 * and keeps the request until the test calls kshim_aio_complete().
 */
#define kvcalloc(n, size, gfp)	calloc((n), (size))
#ifndef EIOCBQUEUED
#define EIOCBQUEUED		529
#endif

typedef struct {
	int counter;
} atomic_t;

#define atomic_set(a, v)	((a)->counter = (v))
#define atomic_read(a)		((a)->counter)
#define atomic_inc(a)		((void)(a)->counter++)
#define atomic_dec_and_test(a)	(--(a)->counter == 0)

struct llist_node {
	struct llist_node *next;
};

struct llist_head {
	struct llist_node *first;
};

#define init_llist_head(h)	((h)->first = NULL)
#define llist_entry(ptr, type, member)	container_of(ptr, type, member)
#define llist_for_each_entry_safe(pos, n, node, member)			\
	for (pos = (node) ? llist_entry((node), __typeof__(*pos), member) : NULL; \
	     pos && (n = pos->member.next ?					\
		     llist_entry(pos->member.next, __typeof__(*n), member) : \
		     NULL, 1);							\
	     pos = n)

/* Push @n; true if the list was empty. */
static inline bool llist_add(struct llist_node *n, struct llist_head *h)
{
	n->next = h->first;
	h->first = n;
	return !n->next;
}

static inline struct llist_node *llist_del_all(struct llist_head *h)
{
	struct llist_node *n = h->first;

	h->first = NULL;
	return n;
}

static inline struct llist_node *llist_reverse_order(struct llist_node *n)
{
	struct llist_node *r = NULL;

	while (n) {
		struct llist_node *next = n->next;

		n->next = r;
		r = n;
		n = next;
	}
	return r;
}

static void (*kshim_wait_hook)(void) __maybe_unused;
static unsigned int kshim_waits __maybe_unused;	/* hook calls */
static unsigned int kshim_var_wakes __maybe_unused;

#define wait_var_event(var, cond) do {					\
	unsigned int __rounds = 0;					\
									\
	(void)(var);							\
	while (!(cond)) {						\
		if (!kshim_wait_hook || ++__rounds > 1000) {		\
			fprintf(stderr, "kshim: wait_var_event deadlock\n"); \
			abort();					\
		}							\
		kshim_waits++;						\
		kshim_wait_hook();					\
	}								\
} while (0)
#define wake_up_var(var)	((void)(var), kshim_var_wakes++)

struct kiocb;
struct iov_iter;

struct file_operations {
	ssize_t (*read_iter)(struct kiocb *iocb, struct iov_iter *iter);
	ssize_t (*write_iter)(struct kiocb *iocb, struct iov_iter *iter);
};

struct inode {
	loff_t i_size;
};

struct address_space {
	struct inode *host;
};

struct file {
	unsigned int f_mode;
	struct address_space *f_mapping;
	struct address_space kshim_mapping;
	struct inode kshim_inode;
	u8 *kshim_data;			/* kshim_inode.i_size bytes */
	int kshim_err;			/* the next I/O call fails (once) */
	bool kshim_short;		/* the next read/write moves half */
	int kshim_falloc_err;		/* every fallocate fails */
	unsigned int kshim_reads, kshim_writes, kshim_fsyncs, kshim_fallocs;
	unsigned int kshim_fputs;
	int kshim_falloc_mode;		/* of the last fallocate */
	int kshim_write_depth;		/* inside file_start_write */
	const struct file_operations *f_op;
	unsigned int f_iocb_flags;	/* IOCB_DIRECT... from the open flags */
	bool kshim_defer;		/* read_iter/write_iter: -EIOCBQUEUED */
};

#define i_size_read(inode)	((inode)->i_size)

static inline int kshim_file_err(struct file *f)
{
	int err = f->kshim_err;

	f->kshim_err = 0;
	return err;
}

/* Copy between @f at @pos and @i's pages, as far as the file goes. */
static inline ssize_t kshim_file_rw(struct file *f, struct iov_iter *i,
				    loff_t *pos)
{
	size_t want = i->count, done = 0;
	unsigned long s;
	int err = kshim_file_err(f);

	if (err)
		return err;
	if (f->kshim_short) {
		f->kshim_short = false;
		want /= 2;
	}
	if (*pos >= f->kshim_inode.i_size)
		return 0;
	if (want > (size_t)(f->kshim_inode.i_size - *pos))
		want = f->kshim_inode.i_size - *pos;
	for (s = 0; s < i->nr_segs && done < want; s++) {
		const struct bio_vec *bv = &i->bvec[s];
		u8 *mem = (u8 *)bv->bv_page->kshim_virt + bv->bv_offset;
		size_t n = bv->bv_len;

		if (bv->bv_offset + bv->bv_len > PAGE_SIZE) {
			fprintf(stderr, "kshim: bio_vec beyond its page\n");
			abort();
		}
		if (n > want - done)
			n = want - done;
		if (i->dir == ITER_DEST)
			memcpy(mem, f->kshim_data + *pos + done, n);
		else
			memcpy(f->kshim_data + *pos + done, mem, n);
		done += n;
	}
	*pos += done;
	return done;
}

static inline ssize_t vfs_iter_read(struct file *f, struct iov_iter *i,
				    loff_t *pos, rwf_t flags)
{
	(void)flags;
	if (i->dir != ITER_DEST)
		abort();
	f->kshim_reads++;
	return kshim_file_rw(f, i, pos);
}

static inline ssize_t vfs_iter_write(struct file *f, struct iov_iter *i,
				     loff_t *pos, rwf_t flags)
{
	(void)flags;
	if (i->dir != ITER_SOURCE || !(f->f_mode & FMODE_WRITE) ||
	    f->kshim_write_depth != 1)
		abort();
	f->kshim_writes++;
	return kshim_file_rw(f, i, pos);
}

static inline int vfs_fsync(struct file *f, int datasync)
{
	(void)datasync;
	f->kshim_fsyncs++;
	return kshim_file_err(f);
}

static inline int vfs_fallocate(struct file *f, int mode, loff_t off,
				loff_t len)
{
	int err = kshim_file_err(f);

	f->kshim_fallocs++;
	f->kshim_falloc_mode = mode;
	if (err)
		return err;
	if (f->kshim_falloc_err)
		return f->kshim_falloc_err;
	if (!(mode & FALLOC_FL_KEEP_SIZE) || len <= 0 || off < 0 ||
	    off + len > f->kshim_inode.i_size)
		abort();
	memset(f->kshim_data + off, 0, len);
	return 0;
}

static inline void file_start_write(struct file *f)
{
	f->kshim_write_depth++;
}

static inline void file_end_write(struct file *f)
{
	f->kshim_write_depth--;
}

static inline void fput(struct file *f)
{
	f->kshim_fputs++;
}
/* --- end of virtio-blk --- */

/*
 * --- virtio-net (virtio/net.c) ---
 * A tap is a struct kshim_tap around the (virtio-blk) struct file: an
 * in-memory queue of frames for the guest (kshim_tap_inject(); read_iter
 * pops one, as tun does with IFF_NO_PI | IFF_VNET_HDR and a vnet header of
 * 12 bytes: 10 bytes of header, 2 skipped, the frame, silently truncated)
 * and a log of frames from the guest (write_iter; header and frame kept).
 * Wait queues are lists of entries; kshim_tap_inject() wakes them with
 * EPOLLIN as the tap's sk_data_ready does.  TUNSETOFFLOAD is recorded.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/eventpoll.h>
#include <linux/if_tun.h>

#ifndef min
#define min(a, b)		((a) < (b) ? (a) : (b))
#endif

static inline struct page *alloc_page(int gfp)
{
	struct page *p = calloc(1, sizeof(*p));

	(void)gfp;
	if (!p)
		abort();
	p->kshim_virt = calloc(1, PAGE_SIZE);
	if (!p->kshim_virt)
		abort();
	return p;
}

static inline void __free_page(struct page *p)
{
	free(p->kshim_virt);
	free(p);
}

struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wait,
				 unsigned int mode, int flags, void *key);
typedef struct wait_queue_entry {
	wait_queue_func_t func;
	struct wait_queue_entry *kshim_next;
} wait_queue_entry_t;

typedef struct wait_queue_head {
	struct wait_queue_entry *kshim_first;
} wait_queue_head_t;

#define init_waitqueue_func_entry(w, f) \
	((w)->func = (f), (w)->kshim_next = NULL)

static inline void add_wait_queue(wait_queue_head_t *h, wait_queue_entry_t *w)
{
	w->kshim_next = h->kshim_first;
	h->kshim_first = w;
}

static inline void remove_wait_queue(wait_queue_head_t *h,
				     wait_queue_entry_t *w)
{
	wait_queue_entry_t **pp;

	for (pp = &h->kshim_first; *pp; pp = &(*pp)->kshim_next)
		if (*pp == w) {
			*pp = w->kshim_next;
			return;
		}
	fprintf(stderr, "kshim: wait queue entry not on its queue\n");
	abort();
}

static inline unsigned int kshim_wake_up(wait_queue_head_t *h, __poll_t key)
{
	wait_queue_entry_t *w, *next;
	unsigned int n = 0;

	for (w = h->kshim_first; w; w = next) {
		next = w->kshim_next;
		w->func(w, 0, 0, (void *)(uintptr_t)key);
		n++;
	}
	return n;
}

#define key_to_poll(key)	((__poll_t)(uintptr_t)(key))

struct poll_table_struct;
typedef void (*poll_queue_proc)(struct file *file, wait_queue_head_t *wqh,
				struct poll_table_struct *pt);
typedef struct poll_table_struct {
	poll_queue_proc _qproc;
} poll_table;

#define init_poll_funcptr(pt, f)	((pt)->_qproc = (f))

#define KSHIM_TAP_QUEUE		64
#define KSHIM_TAP_HDR		12

struct kshim_frame {
	u32 len;			/* 10 header bytes and the frame */
	u8 *data;
};

struct kshim_tap {
	struct file file;		/* first: what the device holds */
	wait_queue_head_t wq;
	struct kshim_frame rx[KSHIM_TAP_QUEUE];	/* for the guest */
	unsigned int rx_head, rx_count;
	struct kshim_frame tx[KSHIM_TAP_QUEUE];	/* from the guest */
	unsigned int tx_count;
	int read_err;			/* the next read fails, frame dropped */
	int write_err;			/* the next write fails */
	bool no_poll;			/* file_can_poll() false */
	long offload_err;		/* every TUNSETOFFLOAD fails */
	long offloads;			/* the last TUNSETOFFLOAD, or -1 */
	unsigned int reads, writes, ioctls;
};

#define kshim_to_tap(f)		container_of(f, struct kshim_tap, file)

static inline void kshim_tap_init(struct kshim_tap *t)
{
	memset(t, 0, sizeof(*t));
	t->file.f_mode = FMODE_READ | FMODE_WRITE;
	t->offloads = -1;
}

static inline void kshim_tap_free(struct kshim_tap *t)
{
	unsigned int i;

	for (i = 0; i < t->rx_count; i++)
		free(t->rx[(t->rx_head + i) % KSHIM_TAP_QUEUE].data);
	for (i = 0; i < t->tx_count; i++)
		free(t->tx[i].data);
	t->rx_count = 0;
	t->tx_count = 0;
}

/* Queue a frame for the guest: @hdr (10 bytes) and @len bytes of @frame. */
static inline void kshim_tap_inject(struct kshim_tap *t, const void *hdr,
				    const void *frame, u32 len)
{
	struct kshim_frame *f;

	if (t->rx_count == KSHIM_TAP_QUEUE)
		abort();
	f = &t->rx[(t->rx_head + t->rx_count++) % KSHIM_TAP_QUEUE];
	f->len = 10 + len;
	f->data = calloc(1, f->len);
	if (!f->data)
		abort();
	if (hdr)
		memcpy(f->data, hdr, 10);
	memcpy(f->data + 10, frame, len);
	kshim_wake_up(&t->wq, EPOLLIN | EPOLLRDNORM);
}

static inline bool file_can_poll(struct file *f)
{
	return !kshim_to_tap(f)->no_poll;
}

static inline __poll_t vfs_poll(struct file *f, poll_table *pt)
{
	struct kshim_tap *t = kshim_to_tap(f);

	if (pt && pt->_qproc)
		pt->_qproc(f, &t->wq, pt);
	return (t->rx_count ? EPOLLIN | EPOLLRDNORM : 0) | EPOLLOUT;
}

#define IOCB_NOWAIT		(1 << 7)

struct kiocb {
	struct file *ki_filp;
	loff_t ki_pos;
	void (*ki_complete)(struct kiocb *iocb, long ret);
	void *private;
	int ki_flags;
	u16 ki_ioprio;
};

#define init_sync_kiocb(k, f)	((k)->ki_filp = (f), (k)->ki_flags = 0)

/* Walk @i's bio_vecs: copy @n bytes at @skip between them and @buf. */
static inline size_t kshim_iter_copy(struct iov_iter *i, size_t skip,
				     u8 *buf, size_t n, bool to_iter)
{
	size_t done = 0, pos = 0;
	unsigned long s;

	for (s = 0; s < i->nr_segs && done < n; s++) {
		const struct bio_vec *bv = &i->bvec[s];
		u8 *mem = (u8 *)bv->bv_page->kshim_virt + bv->bv_offset;
		size_t len = bv->bv_len, off = 0, k;

		if (bv->bv_offset + bv->bv_len > PAGE_SIZE) {
			fprintf(stderr, "kshim: bio_vec beyond its page\n");
			abort();
		}
		if (pos + len <= skip) {
			pos += len;
			continue;
		}
		if (skip > pos)
			off = skip - pos;
		k = len - off;
		if (k > n - done)
			k = n - done;
		if (to_iter)
			memcpy(mem + off, buf + done, k);
		else
			memcpy(buf + done, mem + off, k);
		done += k;
		pos += len;
	}
	return done;
}

static inline ssize_t call_read_iter(struct file *f, struct kiocb *k,
				     struct iov_iter *i)
{
	struct kshim_tap *t = kshim_to_tap(f);
	struct kshim_frame fr;
	size_t total, n;

	if (k->ki_filp != f || i->dir != ITER_DEST)
		abort();
	if (!(k->ki_flags & IOCB_NOWAIT))
		abort();		/* would block the worker */
	t->reads++;
	if (!t->rx_count)
		return -EAGAIN;
	fr = t->rx[t->rx_head];
	t->rx_head = (t->rx_head + 1) % KSHIM_TAP_QUEUE;
	t->rx_count--;
	if (t->read_err) {
		int err = t->read_err;

		t->read_err = 0;
		free(fr.data);
		return err;
	}
	if (i->count < KSHIM_TAP_HDR) {
		free(fr.data);
		return -EINVAL;
	}
	total = fr.len + 2;
	kshim_iter_copy(i, 0, fr.data, 10, true);
	n = fr.len - 10;
	if (n > i->count - KSHIM_TAP_HDR)
		n = i->count - KSHIM_TAP_HDR;
	kshim_iter_copy(i, KSHIM_TAP_HDR, fr.data + 10, n, true);
	free(fr.data);
	return total < i->count ? total : i->count;
}

static inline ssize_t call_write_iter(struct file *f, struct kiocb *k,
				      struct iov_iter *i)
{
	struct kshim_tap *t = kshim_to_tap(f);
	struct kshim_frame *fr;
	u8 *buf;

	if (k->ki_filp != f || i->dir != ITER_SOURCE)
		abort();
	t->writes++;
	if (t->write_err) {
		int err = t->write_err;

		t->write_err = 0;
		return err;
	}
	if (i->count < KSHIM_TAP_HDR + 14)
		return -EINVAL;
	if (t->tx_count == KSHIM_TAP_QUEUE)
		abort();
	buf = malloc(i->count);
	if (!buf)
		abort();
	if (kshim_iter_copy(i, 0, buf, i->count, false) != i->count)
		abort();
	fr = &t->tx[t->tx_count++];
	fr->len = i->count - 2;
	fr->data = malloc(fr->len);
	if (!fr->data)
		abort();
	memcpy(fr->data, buf, 10);
	memcpy(fr->data + 10, buf + KSHIM_TAP_HDR, i->count - KSHIM_TAP_HDR);
	free(buf);
	return i->count;
}

static inline long vfs_ioctl(struct file *f, unsigned int cmd,
			     unsigned long arg)
{
	struct kshim_tap *t = kshim_to_tap(f);

	if (cmd != TUNSETOFFLOAD)
		abort();
	t->ioctls++;
	if (arg & ~(unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
				   TUN_F_TSO_ECN | TUN_F_UFO))
		return -EINVAL;
	if (t->offload_err)
		return t->offload_err;
	t->offloads = arg;
	return 0;
}
/* --- end of virtio-net --- */

/*
 * --- virtio-blk asynchronous I/O (virtio/blk.c) ---
 * kshim_blk_fops: read_iter/write_iter on the fake file of the virtio-blk
 * part.  Without kshim_defer the transfer happens in the call (with
 * kshim_err and kshim_short applied, as vfs_iter_read/write do); with it
 * the call takes the error and shortness to apply then, keeps the kiocb
 * and a copy of the iov_iter (its bio_vecs must stay valid, as for a
 * bio), and returns -EIOCBQUEUED.  kshim_aio_complete(i) moves the data
 * of pending request i (0: the oldest) and calls its ki_complete, as a
 * block device's completion would.
 */
#define IOCB_DSYNC		(1 << 1)
#define IOCB_SYNC		(1 << 2)
#define IOCB_APPEND		(1 << 4)
#define IOCB_DIRECT		(1 << 17)
#define IOCB_WRITE		(1 << 18)

#define get_current_ioprio()	0

struct kshim_aio {
	struct kiocb *iocb;
	struct iov_iter iter;
	int err;
	bool half;
};

#define KSHIM_MAX_AIO		256
static struct kshim_aio kshim_aio[KSHIM_MAX_AIO] __maybe_unused;
static unsigned int kshim_nr_aio __maybe_unused;	/* pending */
static unsigned int kshim_max_aio __maybe_unused;	/* most at once */
static int kshim_aio_flags __maybe_unused;	/* ki_flags, last call */

/* Copy between @f at @pos and @i's pages; @err or half of it if @half. */
static inline ssize_t kshim_blk_xfer(struct file *f, struct iov_iter *i,
				     loff_t pos, int err, bool half)
{
	int saved_err = f->kshim_err;
	bool saved_short = f->kshim_short;
	ssize_t ret;

	f->kshim_err = err;
	f->kshim_short = half;
	ret = kshim_file_rw(f, i, &pos);
	f->kshim_err = saved_err;
	f->kshim_short = saved_short;
	return ret;
}

static inline ssize_t kshim_blk_rw(struct kiocb *k, struct iov_iter *i)
{
	struct file *f = k->ki_filp;
	int err = kshim_file_err(f);
	bool half = f->kshim_short;
	struct kshim_aio *a;

	f->kshim_short = false;
	kshim_aio_flags = k->ki_flags;
	if (!k->ki_complete)
		abort();
	if (!f->kshim_defer)
		return kshim_blk_xfer(f, i, k->ki_pos, err, half);
	if (kshim_nr_aio == KSHIM_MAX_AIO)
		abort();
	a = &kshim_aio[kshim_nr_aio++];
	a->iocb = k;
	a->iter = *i;
	a->err = err;
	a->half = half;
	if (kshim_nr_aio > kshim_max_aio)
		kshim_max_aio = kshim_nr_aio;
	return -EIOCBQUEUED;
}

static inline ssize_t kshim_blk_read_iter(struct kiocb *k, struct iov_iter *i)
{
	if (i->dir != ITER_DEST)
		abort();
	k->ki_filp->kshim_reads++;
	return kshim_blk_rw(k, i);
}

static inline ssize_t kshim_blk_write_iter(struct kiocb *k, struct iov_iter *i)
{
	struct file *f = k->ki_filp;

	if (i->dir != ITER_SOURCE || !(f->f_mode & FMODE_WRITE) ||
	    f->kshim_write_depth != 1)
		abort();
	f->kshim_writes++;
	return kshim_blk_rw(k, i);
}

static const struct file_operations kshim_blk_fops __maybe_unused = {
	.read_iter = kshim_blk_read_iter,
	.write_iter = kshim_blk_write_iter,
};

/* Complete pending request @idx (0: the oldest); its result. */
static inline long kshim_aio_complete(unsigned int idx)
{
	struct kshim_aio a;
	long ret;

	if (idx >= kshim_nr_aio)
		abort();
	a = kshim_aio[idx];
	memmove(&kshim_aio[idx], &kshim_aio[idx + 1],
		(kshim_nr_aio - idx - 1) * sizeof(a));
	kshim_nr_aio--;
	ret = kshim_blk_xfer(a.iocb->ki_filp, &a.iter, a.iocb->ki_pos, a.err,
			     a.half);
	a.iocb->ki_complete(a.iocb, ret);
	return ret;
}
/* --- end of virtio-blk asynchronous I/O --- */

#endif /* KESTREL_KSHIM_H */
