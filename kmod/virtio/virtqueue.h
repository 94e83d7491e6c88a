/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device side of a virtqueue, split (virtio 1.2, 2.7) or packed (2.8,
 * when VIRTIO_F_RING_PACKED was negotiated), read and written in guest
 * RAM by a kernel worker, vhost-style.  The interface is the same for
 * both formats.
 *
 * Every value the driver controls is checked: the ring addresses (aligned,
 * RAM), the available index (never more than the queue size ahead), every
 * descriptor index, chain length, flag combination and length, indirect
 * tables; packed: buffer ids (below the size, not in flight), descriptors
 * in flight (never more than the size), the driver's event structure.  The first violation marks the queue broken: the call returns a
 * negative errno, the reason is kept (kestrel_vq_error()), one line is
 * logged (rate limited) and every later call fails with -EIO until the
 * queue is initialised again.  The device then calls vdev->needs_reset and
 * stops using the queue.  A broken queue never touches guest RAM again.
 *
 * Contexts and locking: a queue has one user at a time, the device's
 * worker; nothing here takes a lock or sleeps, so any context will do.
 * kestrel_vq_init() is called (from the device's start) before the worker
 * may run, and the queue is forgotten (reset) only after it has stopped.
 * Guest RAM is reached through kestrel_mem_read/kestrel_mem_write; the
 * 16-bit indexes and flags shared with the driver are read and written as
 * single (untorn) accesses.
 */
#ifndef KESTREL_VIRTQUEUE_H
#define KESTREL_VIRTQUEUE_H

#include <linux/types.h>

struct kestrel_mem;
struct kestrel_virtio_queue;

/* Descriptor and ring flags (virtio 1.2, 2.7.5, 2.7.6, 2.7.8). */
#define KESTREL_VRING_DESC_F_NEXT	1
#define KESTREL_VRING_DESC_F_WRITE	2
#define KESTREL_VRING_DESC_F_INDIRECT	4
#define KESTREL_VRING_AVAIL_F_NO_INTERRUPT 1
#define KESTREL_VRING_USED_F_NO_NOTIFY	1

/* Packed rings (virtio 1.2, 2.8.1, 2.8.10, 2.8.14). */
#define KESTREL_VRING_PACKED_DESC_F_AVAIL (1 << 7)
#define KESTREL_VRING_PACKED_DESC_F_USED (1 << 15)
#define KESTREL_VRING_PACKED_EVENT_ENABLE 0
#define KESTREL_VRING_PACKED_EVENT_DISABLE 1
#define KESTREL_VRING_PACKED_EVENT_DESC	2
#define KESTREL_VRING_PACKED_EVENT_WRAP	15

/* The largest queue a split ring can have. */
#define KESTREL_VQ_MAX_SIZE		32768
/*
 * The largest packed queue: the device keeps a little state per buffer id
 * (kept in struct kestrel_vq, so no allocation), so the transport offers
 * VIRTIO_F_RING_PACKED only to devices whose queues are no larger.
 */
#define KESTREL_VQ_PACKED_MAX_SIZE	256

/* Why a queue broke (kestrel_vq_error()); 0 while it is healthy. */
enum kestrel_vq_err {
	KESTREL_VQ_OK = 0,
	KESTREL_VQ_ERR_SIZE,		/* size 0, > 32768 or not a power of 2 */
	KESTREL_VQ_ERR_ALIGN,		/* a ring address is misaligned */
	KESTREL_VQ_ERR_RING_RAM,	/* a ring is not (all) RAM */
	KESTREL_VQ_ERR_RING_FAULT,	/* a ring access faulted */
	KESTREL_VQ_ERR_AVAIL_IDX,	/* avail idx more than size ahead */
	KESTREL_VQ_ERR_HEAD,		/* an avail ring entry >= size */
	KESTREL_VQ_ERR_NEXT,		/* a next index out of its table */
	KESTREL_VQ_ERR_LOOP,		/* a chain longer than its table */
	KESTREL_VQ_ERR_INDIRECT_FEATURE, /* INDIRECT without the feature */
	KESTREL_VQ_ERR_INDIRECT_NEXT,	/* INDIRECT together with NEXT */
	KESTREL_VQ_ERR_INDIRECT_NESTED,	/* INDIRECT inside a table */
	KESTREL_VQ_ERR_INDIRECT_LEN,	/* table length 0, not n * 16, > size */
	KESTREL_VQ_ERR_INDIRECT_ADDR,	/* table wraps or is not RAM */
	KESTREL_VQ_ERR_ORDER,		/* a readable after a writable buffer */
	KESTREL_VQ_ERR_BUF_ADDR,	/* a buffer wraps past 2^64 */
	KESTREL_VQ_ERR_TOTAL_LEN,	/* readable or writable total >= 4 GiB */
	KESTREL_VQ_ERR_SEGS,		/* more buffers than the caller takes */
	KESTREL_VQ_ERR_BUF_FAULT,	/* a buffer is not RAM (on copy) */
	KESTREL_VQ_ERR_DEVICE,		/* the device model refused the chain */
	KESTREL_VQ_ERR_ID,		/* packed: a buffer id >= size */
	KESTREL_VQ_ERR_ID_BUSY,		/* packed: a buffer id in flight */
	KESTREL_VQ_ERR_INDIRECT_CHAIN,	/* packed: NEXT in an indirect table */
	KESTREL_VQ_ERR_OVERRUN,		/* packed: more descriptors than size */
	KESTREL_VQ_ERR_EVENT,		/* packed: bad driver event structure */
	KESTREL_VQ_ERR_COUNT
};

/* One buffer of a chain. */
struct kestrel_vq_seg {
	u64 gpa;
	u32 len;			/* never 0: empty buffers are skipped */
	bool write;			/* device-writable */
};

/*
 * A chain popped from the available ring.  The caller points @segs at an
 * array of @max_segs entries; kestrel_vq_pop() fills the first n_out
 * (device-readable) then the next n_in (device-writable) entries.  2 * size
 * entries are enough for every chain the specification allows (a direct
 * chain of at most size descriptors, the last one possibly pointing to a
 * table of at most size).
 */
struct kestrel_vq_chain {
	struct kestrel_vq_seg *segs;
	unsigned int max_segs;
	u16 head;			/* the id to push back */
	unsigned int n_out;		/* readable segments */
	unsigned int n_in;		/* writable segments */
	u32 out_len;			/* bytes in the readable ones */
	u32 in_len;			/* bytes in the writable ones */
};

/* A packed queue's pop history, for unpop: a chain's id and start. */
struct kestrel_vq_popped {
	u16 id;
	u16 pos;			/* ring position | avail wrap << 15 */
};

struct kestrel_vq {
	const struct kestrel_mem *mem;
	const char *name;		/* for the log: "<device> <queue>" */
	u64 desc;			/* GPAs of the three parts */
	u64 avail;			/* packed: driver event suppression */
	u64 used;			/* packed: device event suppression */
	u16 size;
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool packed;			/* VIRTIO_F_RING_PACKED negotiated */
	bool ready;			/* initialised and not broken */
	enum kestrel_vq_err error;
	/*
	 * Packed: last_avail is the next descriptor's position, used_idx
	 * counts pushes, used_flags is the device event structure's flags.
	 */
	u16 last_avail;			/* the next avail ring entry to take */
	u16 avail_idx;			/* the driver's idx, last read */
	u16 used_idx;			/* the next used ring entry to fill */
	u16 used_flags;			/* what used->flags holds */
	u16 signalled_used;		/* used idx at the last interrupt */
	bool signalled_used_valid;
	/* packed only */
	bool avail_wrap;		/* the device's wrap counters */
	bool used_wrap;
	u16 used_pos;			/* the next used descriptor */
	u16 inflight;			/* descriptors popped, not pushed */
	u32 since_signal;		/* descriptors pushed since then */
	u16 pops;			/* chains popped (mod 65536) */
	u16 nr_desc[KESTREL_VQ_PACKED_MAX_SIZE]; /* per id; 0: not popped */
	struct kestrel_vq_popped history[KESTREL_VQ_PACKED_MAX_SIZE];
};

/*
 * Initialise @vq from the driver's configuration of one queue and the
 * negotiated features (bit numbers as in virtio.h).  Checks the size, the
 * alignment of the parts (16, 2, 4; packed: 16, 4, 4, any size up to
 * KESTREL_VQ_PACKED_MAX_SIZE) and that each part is all RAM.  On a
 * violation the queue is left broken (error set, logged) and -EINVAL or
 * -EFAULT is returned.  Indexes start at 0 (a fresh ring).
 */
int kestrel_vq_init(struct kestrel_vq *vq, const struct kestrel_mem *mem,
		    const struct kestrel_virtio_queue *q, u64 features,
		    const char *name);
/* Forget the queue: every later call fails with -EIO until init. */
void kestrel_vq_reset(struct kestrel_vq *vq);

/*
 * Take the next available chain into @chain.  Returns 1 with a chain, 0
 * when the ring is empty, or a negative errno when the driver broke the
 * protocol (the queue is then broken): -EFAULT (a ring or table is not
 * RAM), -EINVAL (an index, flag or length is wrong), -ELOOP (a chain
 * longer than its table), -EOVERFLOW (a buffer wraps or a total reaches
 * 4 GiB), -ENOBUFS (more buffers than chain->max_segs), -EIO (broken
 * before).  Empty (zero-length) buffers are checked and skipped.
 */
int kestrel_vq_pop(struct kestrel_vq *vq, struct kestrel_vq_chain *chain);
/* Give back the last @n chains popped and not pushed (vhost's discard). */
void kestrel_vq_unpop(struct kestrel_vq *vq, u16 n);
/*
 * Put chain @head on the used ring with @len bytes written, and publish
 * it (used idx, after a write barrier).  0, -EFAULT or -EIO.
 */
int kestrel_vq_push(struct kestrel_vq *vq, u16 head, u32 len);
/*
 * Whether the driver wants an interrupt for what was pushed since the
 * last time this returned true: avail->flags NO_INTERRUPT, or with
 * EVENT_IDX the used_event rule (vring_need_event); packed: the driver
 * event structure (ENABLE, DISABLE, or DESC with EVENT_IDX).  Call it
 * after a batch of pushes, then interrupt if true.  False on a broken
 * queue.
 */
bool kestrel_vq_should_interrupt(struct kestrel_vq *vq);
/*
 * Ask the driver not to notify (used->flags NO_NOTIFY; with EVENT_IDX
 * nothing: avail_event simply stays behind; packed: the device event
 * structure's flags DISABLE) while the worker drains.
 */
void kestrel_vq_disable_notify(struct kestrel_vq *vq);
/*
 * Ask for notifications again (clear NO_NOTIFY, or set avail_event to the
 * next entry; packed: ENABLE, or DESC at the next descriptor), then look
 * again: true if the driver made buffers available
 * meanwhile (the caller should disable and keep draining).  True on a
 * broken queue too, so that the caller's next pop sees the error.
 */
bool kestrel_vq_enable_notify(struct kestrel_vq *vq);

/*
 * Copy between a buffer and the chain's readable (from) or writable (to)
 * segments, starting @off bytes into that part.  Return the bytes copied
 * (less than @len when the part ends first), or -EFAULT when a buffer is
 * not RAM (the queue is then broken), -EIO when broken before.
 */
long kestrel_vq_copy_from_chain(struct kestrel_vq *vq,
				const struct kestrel_vq_chain *chain, u32 off,
				void *buf, u32 len);
long kestrel_vq_copy_to_chain(struct kestrel_vq *vq,
			      const struct kestrel_vq_chain *chain, u32 off,
			      const void *buf, u32 len);

/*
 * Mark the queue broken for a reason the device model found (e.g. a
 * request it cannot parse); logs once.  Returns -EINVAL.
 */
int kestrel_vq_fail(struct kestrel_vq *vq, enum kestrel_vq_err err);

static inline bool kestrel_vq_broken(const struct kestrel_vq *vq)
{
	return vq->error != KESTREL_VQ_OK;
}

static inline enum kestrel_vq_err kestrel_vq_error(const struct kestrel_vq *vq)
{
	return vq->error;
}

/* What kestrel_vq_error() means, for messages. */
const char *kestrel_vq_strerror(enum kestrel_vq_err err);

#endif /* KESTREL_VIRTQUEUE_H */
