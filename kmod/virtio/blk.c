// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2; the driver: drivers/block/virtio_blk.c) on
 * a file or block device, vhost-style.
 *
 * Workers: one kthread_worker (a kernel thread running work items) per
 * queue, created with the device and attached to the creator's cgroups as
 * vhost attaches its worker.  Not a work item on system_unbound_wq (as
 * virtio-rng does): the requests do file I/O on the guest's behalf, and
 * in its own threads that I/O, its page cache and its CPU time are
 * charged to the domain's cgroups (io.max, memory.max, cpu.max apply),
 * not to the root's kworkers.  Not one thread per device either: the
 * guest's blk-mq maps one queue to each vCPU, and the queues are served
 * in parallel only with a thread each.  A thread per queue costs a task
 * per queue (num_queues is one per vCPU by default); the threads sleep
 * while the domain does no I/O.
 *
 * Requests in flight: each queue has BLK_SLOTS request slots (struct
 * blk_slot), allocated with the queue at create: about 12.5 KiB a slot
 * (the chain's segments, 8 KiB, and one piece's bio_vecs, 4 KiB), so
 * about 400 KiB per queue.  The worker pops a chain into a free slot and
 * submits its data as loop.c's lo_rw_aio does: a kiocb (ki_complete set,
 * IOCB_DIRECT when the file is O_DIRECT, IOCB_WRITE on a write as aio
 * sets it) and an iov_iter over the slot's bio_vecs, handed to the file's
 * read_iter/write_iter.  -EIOCBQUEUED
 * means the backend has the slot until it calls ki_complete
 * (blk_aio_complete), in any context (the IRQ or softirq of a block
 * device's completion, a workqueue), possibly before read_iter/write_iter
 * returned; any other value is the result, there and then (buffered I/O
 * always).  A request bigger than BLK_BVECS page pieces goes in several
 * pieces, one after the other, each submitted by the worker.  With no
 * free slot the worker stops popping (notifications stay off) until a
 * completion gives one back.  FLUSH, GET_ID, DISCARD and WRITE_ZEROES are
 * done by the worker, synchronously.  A FLUSH first waits for every
 * earlier OUT of its queue to complete: it parks in @flush and the worker
 * pops nothing more until @writes is 0 and vfs_fsync has run.
 *
 * Completion: blk_aio_complete records the result in the slot, puts the
 * slot on the queue's lock-free list @done (llist) and queues the worker
 * if the list was empty.  It never sleeps and takes no lock of ours.  The
 * worker takes the whole list (llist_del_all), finishes each request
 * (status byte, used ring, counters, io_error) or submits its next piece,
 * and interrupts once for the batch.  So the used ring and the rest of
 * the queue are written by the worker alone; slots pass between the
 * worker and the backend only through read_iter/write_iter and @done.
 *
 * Lifetimes: @inflight counts the slots the backend holds: incremented
 * before read_iter/write_iter, decremented by ki_complete as its last
 * access to the queue, or by the worker when the call returned the
 * result.  Reset and destroy (blk_stop) clear running, cancel the work,
 * wait for @inflight to reach 0 (wait_var_event; ki_complete wakes it
 * with wake_up_var, which does not touch the queue's memory), cancel the
 * work those completions queued, and only then take every slot back: the
 * requests still in slots are dropped, unanswered (the driver reset the
 * device, or the guest is gone).  A slot's bio_vecs point into guest RAM
 * without a page reference, as the synchronous requests' did: guest RAM
 * belongs to the domain, which frees it after destroying its devices, and
 * no request is with the backend once reset or destroy has returned.  A
 * backend that never completes blocks reset and destroy, as it would
 * block a loop device.
 *
 * Locking: @lock orders "running" against queueing a queue's work: notify
 * (a vCPU, preemption off: only kthread_queue_work, which does not sleep)
 * and a worker that used up its budget queue the work only while
 * running; reset clears running and then waits as above, so once reset
 * returns no work is pending or running, no request is in flight and no
 * queue is touched again until start.  A completion queues the work
 * without @lock (kthread_queue_work is safe in any context): the worker
 * returns at once when not running.  A worker also stops between two
 * requests when running is cleared.  Each queue (its kestrel_vq, its
 * slots when not with the backend, @writes, @flush, its counters) is its
 * worker's alone; ki_complete touches only its slot's @ret and @node,
 * @done and @inflight.  The counters are written with WRITE_ONCE and
 * summed with READ_ONCE by kestrel_virtio_blk_stats().  @reported
 * (needs_reset already called for this start) is shared by the workers
 * and taken under @lock.
 *
 * Requests (5.2.6): a 16-byte header { le32 type; le32 ioprio; le64
 * sector } at the start of the readable part, the status byte as the last
 * byte of the writable part, data between them in either part as the type
 * says.  Any layout of the descriptors is accepted (VERSION_1 implies
 * ANY_LAYOUT): only byte offsets in each part count.  A chain whose shape
 * contradicts its type (no status byte, a header shorter than 16 bytes,
 * readable data in a read, writable data in a write...) breaks the queue
 * (KESTREL_VQ_ERR_DEVICE, one log line) and the device asks for a reset:
 * that is a driver bug.  A request that is well formed but wrong (a
 * sector beyond the capacity, a length that is not a multiple of 512, a
 * write to a read-only disk) is answered VIRTIO_BLK_S_IOERR, an unknown
 * type or flag VIRTIO_BLK_S_UNSUPP.  A failure of the backend (an error or
 * a short transfer) is answered IOERR, counted, logged (rate limited) and
 * passed to the io_error hook, once per request.
 *
 * Data moves without a bounce buffer: the guest pages of the data part are
 * described as bio_vecs (at most BLK_BVECS per piece, one per page piece)
 * and handed to read_iter/write_iter, which copy to or from the page
 * cache, or DMA for a file opened O_DIRECT.  Freeze protection
 * (file_start_write) covers a write's submission (loop.c's lo_rw_aio
 * takes none); an O_DIRECT write that completes later is not covered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/bvec.h>
#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioprio.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>
#include <asm/byteorder.h>

#include "../memory.h"
#endif

#include "virtio.h"
#include "virtqueue.h"
#include "blk.h"

/* Feature bits (virtio 1.2, 5.2.3). */
#define BLK_F_SEG_MAX		2
#define BLK_F_RO		5
#define BLK_F_BLK_SIZE		6
#define BLK_F_FLUSH		9
#define BLK_F_MQ		12
#define BLK_F_DISCARD		13
#define BLK_F_WRITE_ZEROES	14

/* Request types and status values (5.2.6). */
#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_FLUSH		4
#define BLK_T_GET_ID		8
#define BLK_T_DISCARD		11
#define BLK_T_WRITE_ZEROES	13

#define BLK_S_OK		0
#define BLK_S_IOERR		1
#define BLK_S_UNSUPP		2

/* The one flag of a discard / write-zeroes range. */
#define BLK_RANGE_F_UNMAP	1

#define BLK_SECTOR_SHIFT	9
#define BLK_SECTOR_SIZE		(1u << BLK_SECTOR_SHIFT)

#define BLK_QUEUE_SIZE		256
/* Enough for any chain the specification allows (virtqueue.h). */
#define BLK_MAX_SEGS		(2 * BLK_QUEUE_SIZE)
/* Data segments per request, as Linux counts them (header, status apart). */
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)
/* Page pieces per read_iter/write_iter: 1 MiB of 4 KiB pages at least. */
#define BLK_BVECS		256
/* Requests in flight per queue (the slots, about 12.5 KiB each). */
#define BLK_SLOTS		32
/* Requests per run of a worker; then it interrupts and yields. */
#define BLK_RUN_CHAINS		32
/* Discard and write-zeroes limits: 2 GiB per range, 64 ranges. */
#define BLK_MAX_RANGE_SECTORS	(1u << 22)
#define BLK_MAX_RANGE_SEGS	64
/* Whole 4 KiB blocks: what a file system can deallocate. */
#define BLK_DISCARD_ALIGN	8
/* What a request takes from the file's open flags (not IOCB_APPEND). */
#define BLK_IOCB_FLAGS		(IOCB_DIRECT | IOCB_DSYNC | IOCB_SYNC)

/* The request header (struct virtio_blk_outhdr). */
struct blk_req_hdr {
	__le32 type;
	__le32 ioprio;
	__le64 sector;
};

/* One range of a discard or write-zeroes request. */
struct blk_range {
	__le64 sector;
	__le32 num_sectors;
	__le32 flags;
};

/* Device configuration (struct virtio_blk_config up to write zeroes). */
struct blk_config {
	__le64 capacity;		/* 512-byte sectors */
	__le32 size_max;
	__le32 seg_max;
	__le16 cylinders;
	u8 heads;
	u8 sectors;
	__le32 blk_size;
	u8 physical_block_exp;
	u8 alignment_offset;
	__le16 min_io_size;
	__le32 opt_io_size;
	u8 wce;
	u8 unused0;
	__le16 num_queues;
	__le32 max_discard_sectors;
	__le32 max_discard_seg;
	__le32 discard_sector_alignment;
	__le32 max_write_zeroes_sectors;
	__le32 max_write_zeroes_seg;
	u8 write_zeroes_may_unmap;
	u8 unused1[3];
} __packed;

static_assert(sizeof(struct blk_config) == 60);
static_assert(sizeof(struct blk_req_hdr) == 16);
static_assert(sizeof(struct blk_range) == 16);

/* A position in the readable or the writable part of a chain. */
struct blk_pos {
	unsigned int seg;
	u32 off;
};

struct blk_queue;

/*
 * One request, from pop to push.  The queue's worker owns it, except
 * while the backend holds it (from a read_iter/write_iter that returns
 * -EIOCBQUEUED to ki_complete, which writes only @ret and @node) and
 * while it waits on the queue's @done list for the worker.
 */
struct blk_slot {
	struct kiocb iocb;
	struct llist_node node;		/* on bq->done */
	long ret;			/* the piece's result, from ki_complete */
	struct blk_queue *bq;
	struct kestrel_vq_chain chain;	/* its segs: @segs */
	/* IN or OUT: */
	bool write;			/* OUT, counted in bq->writes */
	struct blk_pos pos;		/* the next data byte in the chain */
	loff_t fpos;			/* and in the file */
	u64 sector;			/* for the log */
	u32 len;			/* data bytes in all */
	u32 left;			/* not yet transferred */
	u32 piece;			/* bytes of the piece submitted */
	int err;			/* the backend failed (-EIO: short) */
	struct kestrel_vq_seg segs[BLK_MAX_SEGS];
	struct bio_vec bvecs[BLK_BVECS];	/* the piece's pages */
};

/* The footprint the comments promise: BLK_SLOTS * 12.5 KiB per queue. */
static_assert(sizeof(struct blk_slot) <= 12800);

struct blk_queue {
	struct kestrel_virtio_blk *blk;
	u16 index;
	struct kestrel_vq vq;
	struct kthread_worker *worker;
	struct kthread_work work;
	char name[64];			/* "<device> q<index>", for the log */
	struct kestrel_virtio_blk_stats stats;
	struct blk_slot *slots;		/* BLK_SLOTS of them */
	/* The worker's (and blk_stop's, the worker stopped): */
	struct blk_slot *free[BLK_SLOTS];	/* a stack of idle slots */
	unsigned int nr_free;
	unsigned int writes;		/* OUT requests popped, not pushed */
	struct blk_slot *flush;		/* a FLUSH waiting for @writes == 0 */
	bool pushed;			/* used buffers since the interrupt */
	/* Shared with ki_complete (any context): */
	struct llist_head done;		/* slots the backend gave back */
	atomic_t inflight;		/* slots the backend holds */
};

struct kestrel_virtio_blk {
	struct kestrel_virtio_dev vdev;
	struct kestrel_virtio_ops ops;
	char name[48];
	struct file *file;
	bool readonly;
	bool direct;
	u64 capacity;			/* bytes, a multiple of 512 */
	char serial[KESTREL_VIRTIO_BLK_ID_BYTES];	/* zero padded */
	u16 num_queues;
	struct blk_config config;
	/* The backend failed a request (blk.h); constant after create. */
	void (*io_error)(void *data, int err);
	void *io_error_data;

	spinlock_t lock;
	bool running;			/* between start and reset; @lock */
	bool reported;			/* needs_reset called; @lock */
	struct blk_queue *queues[KESTREL_VIRTIO_BLK_MAX_QUEUES];
};

static struct kestrel_virtio_blk *to_blk(struct kestrel_virtio_dev *vdev)
{
	return container_of(vdev, struct kestrel_virtio_blk, vdev);
}

/* Queue @bq's work unless reset has begun. */
static void blk_kick(struct blk_queue *bq)
{
	struct kestrel_virtio_blk *blk = bq->blk;

	spin_lock(&blk->lock);
	if (blk->running)
		kthread_queue_work(bq->worker, &bq->work);
	spin_unlock(&blk->lock);
}

static void blk_count(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

/* The backend failed a request: tell the host (blk.h). */
static void blk_io_error(struct kestrel_virtio_blk *blk, int err)
{
	if (blk->io_error)
		blk->io_error(blk->io_error_data, err);
}

/* Every slot idle, nothing on @done; no slot with the backend. */
static void blk_slots_reset(struct blk_queue *bq)
{
	unsigned int i;

	llist_del_all(&bq->done);
	for (i = 0; i < BLK_SLOTS; i++)
		bq->free[i] = &bq->slots[i];
	bq->nr_free = BLK_SLOTS;
	bq->writes = 0;
	bq->flush = NULL;
}

/* @skip bytes into the readable (!@write) or writable part of @c. */
static void blk_seek(const struct kestrel_vq_chain *c, bool write, u32 skip,
		     struct blk_pos *p)
{
	p->seg = write ? c->n_out : 0;
	p->off = 0;
	while (skip) {
		u32 left = c->segs[p->seg].len;

		if (skip < left) {
			p->off = skip;
			return;
		}
		skip -= left;
		p->seg++;
	}
}

/*
 * Describe the guest pages of the next at most s->left bytes from s->pos
 * as s->bvecs (*@nr of them), moving s->pos on.  Returns the bytes
 * described, or -EFAULT when a buffer is not RAM (the queue is then
 * broken).
 */
static long blk_map(struct blk_queue *bq, struct blk_slot *s,
		    unsigned int *nr)
{
	const struct kestrel_mem *mem = bq->blk->vdev.mem;
	const struct kestrel_vq_chain *c = &s->chain;
	struct blk_pos *p = &s->pos;
	u32 len = s->left, done = 0;

	*nr = 0;
	while (done < len && *nr < BLK_BVECS) {
		const struct kestrel_vq_seg *seg = &c->segs[p->seg];
		struct bio_vec *bv = &s->bvecs[*nr];
		u64 gpa = seg->gpa + p->off;
		u32 n = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
		u64 off;

		if (n > seg->len - p->off)
			n = seg->len - p->off;
		if (n > len - done)
			n = len - done;
		if (!kestrel_mem_gpa_to_off(mem, gpa, &off)) {
			kestrel_vq_fail(&bq->vq, KESTREL_VQ_ERR_BUF_FAULT);
			return -EFAULT;
		}
		bv->bv_page = kestrel_mem_page(mem, off >> PAGE_SHIFT);
		bv->bv_offset = off & (PAGE_SIZE - 1);
		bv->bv_len = n;
		(*nr)++;
		done += n;
		p->off += n;
		if (p->off == seg->len) {
			p->seg++;
			p->off = 0;
		}
	}
	return done;
}

/* The backend has one slot fewer; the last one wakes blk_stop. */
static void blk_put_inflight(struct blk_queue *bq)
{
	if (atomic_dec_and_test(&bq->inflight))
		wake_up_var(&bq->inflight);
}

/*
 * ki_complete: the backend is done with a piece.  Any context (a block
 * device completes in IRQ or softirq context), maybe before read_iter or
 * write_iter returned: hand the slot to the worker, nothing more.  After
 * blk_put_inflight the queue may be gone (blk_stop).
 */
static void blk_aio_complete(struct kiocb *iocb, long ret)
{
	struct blk_slot *s = container_of(iocb, struct blk_slot, iocb);
	struct blk_queue *bq = s->bq;

	s->ret = ret;
	if (llist_add(&s->node, &bq->done))
		kthread_queue_work(bq->worker, &bq->work);
	blk_put_inflight(bq);
}

/*
 * Hand the next piece of @s's data (at most BLK_BVECS page pieces) to the
 * backend.  Returns -EIOCBQUEUED when ki_complete will follow (the slot
 * is then the backend's: hands off), the piece's result when the backend
 * was done before it returned, or -EFAULT when a buffer is not RAM (the
 * queue broke).
 */
static long blk_submit(struct blk_queue *bq, struct blk_slot *s)
{
	struct file *file = bq->blk->file;
	struct iov_iter iter;
	unsigned int nr;
	ssize_t ret;
	long n;

	n = blk_map(bq, s, &nr);
	if (n < 0)
		return n;
	s->piece = n;
	s->iocb = (struct kiocb) {
		.ki_filp = file,
		.ki_pos = s->fpos,
		.ki_complete = blk_aio_complete,
		.ki_flags = READ_ONCE(file->f_iocb_flags) & BLK_IOCB_FLAGS,
		.ki_ioprio = get_current_ioprio(),
	};
	atomic_inc(&bq->inflight);
	if (s->write) {
		/* As aio and io_uring mark theirs (overlayfs relies on it). */
		s->iocb.ki_flags |= IOCB_WRITE;
		iov_iter_bvec(&iter, ITER_SOURCE, s->bvecs, nr, n);
		/* Freeze protection is the caller's, as in loop.c. */
		file_start_write(file);
		ret = file->f_op->write_iter(&s->iocb, &iter);
		file_end_write(file);
	} else {
		iov_iter_bvec(&iter, ITER_DEST, s->bvecs, nr, n);
		ret = file->f_op->read_iter(&s->iocb, &iter);
	}
	if (ret != -EIOCBQUEUED)
		blk_put_inflight(bq);
	return ret;
}

/*
 * Answer the request in @s: @status as the last writable byte, @used
 * bytes written in all, on the used ring; the slot is idle again.
 * 0, or a negative errno when the queue broke.
 */
static int blk_finish(struct blk_queue *bq, struct blk_slot *s, u8 status,
		      u32 used)
{
	const struct kestrel_vq_chain *c = &s->chain;
	long ret;

	if (status == BLK_S_IOERR)
		blk_count(&bq->stats.errors, 1);
	if (s->write)
		bq->writes--;
	bq->free[bq->nr_free++] = s;
	ret = kestrel_vq_copy_to_chain(&bq->vq, c, c->in_len - 1, &status, 1);
	if (ret < 0)
		return ret;
	ret = kestrel_vq_push(&bq->vq, c->head, used);
	if (ret < 0)
		return ret;
	bq->pushed = true;
	return 0;
}

/* An IN or OUT whose data all moved, or that failed: answer it. */
static int blk_io_done(struct blk_queue *bq, struct blk_slot *s)
{
	struct kestrel_virtio_blk_stats *st = &bq->stats;

	if (s->err) {
		pr_warn_ratelimited("%s: %s of %u bytes at sector %llu failed: %d\n",
				    bq->name, s->write ? "write" : "read",
				    s->len, (unsigned long long)s->sector,
				    s->err);
		blk_io_error(bq->blk, s->err);
		return blk_finish(bq, s, BLK_S_IOERR, 1);
	}
	if (s->write) {
		blk_count(&st->wr_reqs, 1);
		blk_count(&st->wr_bytes, s->len);
		return blk_finish(bq, s, BLK_S_OK, 1);
	}
	blk_count(&st->rd_reqs, 1);
	blk_count(&st->rd_bytes, s->len);
	return blk_finish(bq, s, BLK_S_OK, s->chain.in_len);
}

/* Account a piece's result @ret; true when the request is over. */
static bool blk_piece_done(struct blk_slot *s, long ret)
{
	if (ret != s->piece) {
		s->err = ret < 0 ? ret : -EIO;
		return true;
	}
	s->left -= s->piece;
	s->fpos += s->piece;
	return !s->left;
}

/*
 * Submit @s's pieces until one is in flight or the request is over (and
 * answered).  0, or a negative errno when the queue broke.
 */
static int blk_advance(struct blk_queue *bq, struct blk_slot *s)
{
	for (;;) {
		long ret = blk_submit(bq, s);

		if (ret == -EIOCBQUEUED)
			return 0;
		if (kestrel_vq_broken(&bq->vq))
			return -EIO;
		if (blk_piece_done(s, ret))
			return blk_io_done(bq, s);
	}
}

/* Whether [@sector, + @bytes) lies within the disk. */
static bool blk_in_range(struct kestrel_virtio_blk *blk, u64 sector, u64 bytes)
{
	u64 sectors = blk->capacity >> BLK_SECTOR_SHIFT;

	return sector <= sectors &&
	       bytes <= (sectors - sector) << BLK_SECTOR_SHIFT;
}

/*
 * Start IN (!@write) or OUT of @len data bytes at @sector: the data after
 * the header (OUT) or before the status byte (IN).  0, or a negative
 * errno when the queue broke.
 */
static int blk_io(struct blk_queue *bq, struct blk_slot *s, bool write,
		  u64 sector, u32 len)
{
	struct kestrel_virtio_blk *blk = bq->blk;

	if (write && blk->readonly)
		return blk_finish(bq, s, BLK_S_IOERR, 1);
	if (len % BLK_SECTOR_SIZE || !blk_in_range(blk, sector, len))
		return blk_finish(bq, s, BLK_S_IOERR, 1);
	s->write = write;
	if (write)
		bq->writes++;
	s->sector = sector;
	s->fpos = sector << BLK_SECTOR_SHIFT;
	s->len = len;
	s->left = len;
	s->err = 0;
	blk_seek(&s->chain, !write, write ? sizeof(struct blk_req_hdr) : 0,
		 &s->pos);
	if (!len)
		return blk_io_done(bq, s);
	return blk_advance(bq, s);
}

static u8 blk_flush(struct blk_queue *bq)
{
	struct kestrel_virtio_blk *blk = bq->blk;
	int err;

	/* Nothing of the guest's can be dirty on a read-only disk. */
	if (!blk->readonly) {
		err = vfs_fsync(blk->file, 0);
		if (err) {
			pr_warn_ratelimited("%s: flush failed: %d\n", bq->name,
					    err);
			blk_io_error(blk, err);
			return BLK_S_IOERR;
		}
	}
	blk_count(&bq->stats.flush_reqs, 1);
	return BLK_S_OK;
}

/*
 * DISCARD (punch a hole) or WRITE_ZEROES (zero a range) on the ranges
 * after the header.  Every range is checked before any is applied, and
 * checked again as it is applied (the driver may rewrite them meanwhile).
 */
static u8 blk_ranges(struct blk_queue *bq, const struct kestrel_vq_chain *c,
		     bool zeroes)
{
	struct kestrel_virtio_blk *blk = bq->blk;
	u32 len = c->out_len - sizeof(struct blk_req_hdr);
	unsigned int n = len / sizeof(struct blk_range);
	int mode = FALLOC_FL_KEEP_SIZE |
		   (zeroes ? FALLOC_FL_ZERO_RANGE : FALLOC_FL_PUNCH_HOLE);
	unsigned int pass, i;

	if (blk->readonly || !n || len % sizeof(struct blk_range))
		return BLK_S_IOERR;
	if (n > BLK_MAX_RANGE_SEGS)
		return BLK_S_UNSUPP;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			struct blk_range r;
			u64 sector;
			u32 num, flags;
			int err;

			if (kestrel_vq_copy_from_chain(&bq->vq, c,
						       sizeof(struct blk_req_hdr) +
						       i * sizeof(r), &r,
						       sizeof(r)) != (long)sizeof(r))
				return BLK_S_IOERR;	/* broken */
			sector = le64_to_cpu(r.sector);
			num = le32_to_cpu(r.num_sectors);
			flags = le32_to_cpu(r.flags);
			/* UNMAP is a write-zeroes flag; we may ignore it. */
			if (flags & ~(zeroes ? BLK_RANGE_F_UNMAP : 0))
				return BLK_S_UNSUPP;
			if (num > BLK_MAX_RANGE_SECTORS ||
			    !blk_in_range(blk, sector,
					  (u64)num << BLK_SECTOR_SHIFT))
				return BLK_S_IOERR;
			if (!pass || !num)
				continue;
			err = vfs_fallocate(blk->file, mode,
					    sector << BLK_SECTOR_SHIFT,
					    (loff_t)num << BLK_SECTOR_SHIFT);
			if (err == -EOPNOTSUPP)
				return BLK_S_UNSUPP;
			if (err) {
				pr_warn_ratelimited("%s: %s of %u sectors at sector %llu failed: %d\n",
						    bq->name,
						    zeroes ? "write zeroes" : "discard",
						    num, (unsigned long long)sector,
						    err);
				blk_io_error(blk, err);
				return BLK_S_IOERR;
			}
		}
	}
	return BLK_S_OK;
}

/* Break the queue: the chain's shape is a driver bug.  -EINVAL. */
static int blk_bad_chain(struct blk_queue *bq)
{
	return kestrel_vq_fail(&bq->vq, KESTREL_VQ_ERR_DEVICE);
}

/*
 * Serve the chain just popped into @s: answer it, start its data moving
 * (IN, OUT) or park it (a FLUSH behind writes in flight).  0, or a
 * negative errno when the queue broke.
 */
static int blk_handle(struct blk_queue *bq, struct blk_slot *s)
{
	struct kestrel_virtio_blk *blk = bq->blk;
	const struct kestrel_vq_chain *c = &s->chain;
	struct kestrel_vq *vq = &bq->vq;
	const u32 hdr_len = sizeof(struct blk_req_hdr);
	struct blk_req_hdr hdr;
	u32 used = 1;
	u64 sector;
	u8 status;
	long ret;

	s->write = false;
	if (c->out_len < hdr_len || !c->in_len)
		return blk_bad_chain(bq);
	ret = kestrel_vq_copy_from_chain(vq, c, 0, &hdr, hdr_len);
	if (ret < 0)
		return ret;
	sector = le64_to_cpu(hdr.sector);

	switch (le32_to_cpu(hdr.type)) {
	case BLK_T_IN:
		if (c->out_len != hdr_len)
			return blk_bad_chain(bq);
		return blk_io(bq, s, false, sector, c->in_len - 1);
	case BLK_T_OUT:
		if (c->in_len != 1)
			return blk_bad_chain(bq);
		return blk_io(bq, s, true, sector, c->out_len - hdr_len);
	case BLK_T_FLUSH:
		if (c->out_len != hdr_len || c->in_len != 1)
			return blk_bad_chain(bq);
		if (bq->writes) {
			/* After the writes before it (blk_process). */
			bq->flush = s;
			return 0;
		}
		status = blk_flush(bq);
		break;
	case BLK_T_GET_ID: {
		u32 n = c->in_len - 1;

		if (c->out_len != hdr_len)
			return blk_bad_chain(bq);
		if (n > KESTREL_VIRTIO_BLK_ID_BYTES)
			n = KESTREL_VIRTIO_BLK_ID_BYTES;
		ret = kestrel_vq_copy_to_chain(vq, c, 0, blk->serial, n);
		if (ret < 0)
			return ret;
		used += n;
		status = BLK_S_OK;
		break;
	}
	case BLK_T_DISCARD:
	case BLK_T_WRITE_ZEROES:
		if (c->in_len != 1)
			return blk_bad_chain(bq);
		status = blk_ranges(bq, c, le32_to_cpu(hdr.type) ==
				    BLK_T_WRITE_ZEROES);
		break;
	default:
		status = BLK_S_UNSUPP;
		break;
	}
	if (kestrel_vq_broken(vq))
		return -EIO;
	return blk_finish(bq, s, status, used);
}

/*
 * Take back what the backend completed: answer each request, or submit
 * its next piece.  Then a parked FLUSH whose writes are all done.  0, or
 * a negative errno when the queue broke (the slots left on the list are
 * taken back by reset).
 */
static int blk_reap(struct blk_queue *bq)
{
	struct llist_node *list = llist_del_all(&bq->done);
	struct blk_slot *s, *next;
	int err;

	/* Oldest first: the list is a stack. */
	list = llist_reverse_order(list);
	llist_for_each_entry_safe(s, next, list, node) {
		if (blk_piece_done(s, s->ret))
			err = blk_io_done(bq, s);
		else
			err = blk_advance(bq, s);
		if (err)
			return err;
	}
	if (bq->flush && !bq->writes) {
		s = bq->flush;
		bq->flush = NULL;
		return blk_finish(bq, s, blk_flush(bq), 1);
	}
	return 0;
}

/* Ask for a reset once per start, whichever queue broke first. */
static void blk_report(struct kestrel_virtio_blk *blk)
{
	bool first;

	spin_lock(&blk->lock);
	first = !blk->reported;
	blk->reported = true;
	spin_unlock(&blk->lock);
	if (first)
		blk->vdev.needs_reset(&blk->vdev);
}

/*
 * One run of a queue's worker: the completed requests, then a batch of
 * new ones as long as slots are free, then an interrupt.
 */
static void blk_process(struct blk_queue *bq)
{
	struct kestrel_virtio_blk *blk = bq->blk;
	struct kestrel_vq *vq = &bq->vq;
	unsigned int chains = 0;

	if (!READ_ONCE(blk->running) || !vq->ready)
		return;
	if (kestrel_vq_broken(vq))
		goto broken;

	bq->pushed = false;
	if (blk_reap(bq))
		goto broken;
	kestrel_vq_disable_notify(vq);
	for (;;) {
		struct blk_slot *s;
		int ret;

		/* Reset has begun: it forgets the ring, leave it be. */
		if (!READ_ONCE(blk->running))
			break;
		/*
		 * A parked FLUSH, or every slot busy: a completion queues
		 * the work again.  Notifications stay off meanwhile.
		 */
		if (bq->flush || !bq->nr_free)
			break;
		if (chains == BLK_RUN_CHAINS) {
			blk_kick(bq);
			break;
		}
		s = bq->free[bq->nr_free - 1];
		ret = kestrel_vq_pop(vq, &s->chain);
		if (ret < 0)
			goto broken;
		if (!ret) {
			if (!kestrel_vq_enable_notify(vq))
				break;
			kestrel_vq_disable_notify(vq);
			continue;
		}
		bq->nr_free--;
		chains++;
		if (blk_handle(bq, s))
			goto broken;
	}
	if (bq->pushed && kestrel_vq_should_interrupt(vq))
		blk->vdev.interrupt(&blk->vdev, bq->index);
	if (!kestrel_vq_broken(vq))
		return;
broken:
	blk_report(blk);
}

static void blk_work(struct kthread_work *work)
{
	blk_process(container_of(work, struct blk_queue, work));
}

/* The transport keeps @off + @len within config_len. */
static void blk_config_read(struct kestrel_virtio_dev *vdev, u32 off,
			    void *buf, u32 len)
{
	struct kestrel_virtio_blk *blk = to_blk(vdev);

	if (off > sizeof(blk->config) || len > sizeof(blk->config) - off) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, (const u8 *)&blk->config + off, len);
}

/* Nothing is writable (no CONFIG_WCE). */
static void blk_config_write(struct kestrel_virtio_dev *vdev, u32 off,
			     const void *buf, u32 len)
{
}

/*
 * DRIVER_OK.  A queue the driver configured badly is broken here and
 * reported by its worker (needs_reset), not by this function's result.
 */
static int blk_start(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_blk *blk = to_blk(vdev);
	unsigned int i;

	for (i = 0; i < blk->num_queues; i++) {
		const struct kestrel_virtio_queue *q = &vdev->queues[i];
		struct blk_queue *bq = blk->queues[i];

		if (q->enabled)
			kestrel_vq_init(&bq->vq, vdev->mem, q,
					vdev->driver_features, bq->name);
		else
			kestrel_vq_reset(&bq->vq);
	}

	spin_lock(&blk->lock);
	blk->reported = false;
	blk->running = true;
	/* Buffers made available before DRIVER_OK, or a broken ring. */
	for (i = 0; i < blk->num_queues; i++)
		if (vdev->queues[i].enabled)
			kthread_queue_work(blk->queues[i]->worker,
					   &blk->queues[i]->work);
	spin_unlock(&blk->lock);
	return 0;
}

/*
 * Stop queueing, wait for every worker to be idle and for the backend to
 * give back every slot, then take the slots back: the requests in them
 * are dropped.  May sleep (as long as the backend takes).
 */
static void blk_stop(struct kestrel_virtio_blk *blk)
{
	unsigned int i;

	spin_lock(&blk->lock);
	blk->running = false;
	spin_unlock(&blk->lock);
	for (i = 0; i < blk->num_queues; i++) {
		struct blk_queue *bq = blk->queues[i];

		if (!bq)
			continue;
		kthread_cancel_work_sync(&bq->work);
		/* The worker submits no more; the backend finishes. */
		wait_var_event(&bq->inflight, !atomic_read(&bq->inflight));
		/* The completions queued the work: it would do nothing. */
		kthread_cancel_work_sync(&bq->work);
		if (bq->slots)
			blk_slots_reset(bq);
	}
}

static void blk_reset(struct kestrel_virtio_dev *vdev)
{
	struct kestrel_virtio_blk *blk = to_blk(vdev);
	unsigned int i;

	blk_stop(blk);
	for (i = 0; i < blk->num_queues; i++)
		kestrel_vq_reset(&blk->queues[i]->vq);
}

/* A vCPU's doorbell: wake the queue's worker. */
static void blk_notify(struct kestrel_virtio_dev *vdev, u16 q)
{
	struct kestrel_virtio_blk *blk = to_blk(vdev);

	if (q < blk->num_queues)
		blk_kick(blk->queues[q]);
}

static void blk_init_config(struct kestrel_virtio_blk *blk)
{
	struct blk_config *cfg = &blk->config;

	cfg->capacity = cpu_to_le64(blk->capacity >> BLK_SECTOR_SHIFT);
	cfg->seg_max = cpu_to_le32(BLK_SEG_MAX);
	cfg->blk_size = cpu_to_le32(BLK_SECTOR_SIZE);
	cfg->num_queues = cpu_to_le16(blk->num_queues);
	cfg->max_discard_sectors = cpu_to_le32(BLK_MAX_RANGE_SECTORS);
	cfg->max_discard_seg = cpu_to_le32(BLK_MAX_RANGE_SEGS);
	cfg->discard_sector_alignment = cpu_to_le32(BLK_DISCARD_ALIGN);
	cfg->max_write_zeroes_sectors = cpu_to_le32(BLK_MAX_RANGE_SECTORS);
	cfg->max_write_zeroes_seg = cpu_to_le32(BLK_MAX_RANGE_SEGS);
	cfg->write_zeroes_may_unmap = 0;
}

static void blk_init_ops(struct kestrel_virtio_blk *blk)
{
	struct kestrel_virtio_ops *ops = &blk->ops;
	u64 f = (1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC) |
		(1ULL << KESTREL_VIRTIO_F_EVENT_IDX) |
		(1ULL << BLK_F_SEG_MAX) | (1ULL << BLK_F_BLK_SIZE) |
		(1ULL << BLK_F_FLUSH);

	if (blk->num_queues > 1)
		f |= 1ULL << BLK_F_MQ;
	if (blk->readonly)
		f |= 1ULL << BLK_F_RO;
	else
		f |= (1ULL << BLK_F_DISCARD) | (1ULL << BLK_F_WRITE_ZEROES);

	ops->device_id = KESTREL_VIRTIO_ID_BLOCK;
	ops->features = f;
	ops->num_queues = blk->num_queues;
	ops->max_queue_size = BLK_QUEUE_SIZE;
	ops->config_len = sizeof(struct blk_config);
	ops->config_read = blk_config_read;
	ops->config_write = blk_config_write;
	ops->start = blk_start;
	ops->reset = blk_reset;
	ops->notify = blk_notify;
}

/* Free what create made, the workers stopped; the file is not dropped. */
static void blk_free(struct kestrel_virtio_blk *blk)
{
	unsigned int i;

	blk_stop(blk);
	for (i = 0; i < blk->num_queues; i++) {
		struct blk_queue *bq = blk->queues[i];

		if (!bq)
			continue;
		if (bq->worker)
			kthread_destroy_worker(bq->worker);
		kvfree(bq->slots);
		kvfree(bq);
	}
	kfree(blk);
}

static int blk_add_queue(struct kestrel_virtio_blk *blk, u16 i,
			 const struct kestrel_virtio_blk_params *p)
{
	struct kthread_worker *worker;
	struct blk_queue *bq;
	unsigned int j;
	int err;

	bq = kvzalloc(sizeof(*bq), GFP_KERNEL_ACCOUNT);
	if (!bq)
		return -ENOMEM;
	blk->queues[i] = bq;
	bq->blk = blk;
	bq->index = i;
	snprintf(bq->name, sizeof(bq->name), "%s q%u", blk->name, i);
	kthread_init_work(&bq->work, blk_work);
	init_llist_head(&bq->done);
	atomic_set(&bq->inflight, 0);
	/* BLK_SLOTS * ~12.5 KiB: ~400 KiB, not contiguous (kvcalloc). */
	bq->slots = kvcalloc(BLK_SLOTS, sizeof(*bq->slots), GFP_KERNEL_ACCOUNT);
	if (!bq->slots)
		return -ENOMEM;
	for (j = 0; j < BLK_SLOTS; j++) {
		struct blk_slot *s = &bq->slots[j];

		s->bq = bq;
		s->chain.segs = s->segs;
		s->chain.max_segs = BLK_MAX_SEGS;
	}
	blk_slots_reset(bq);
	worker = kthread_create_worker(0, "kestrel/%u:blk%u.%u", p->domid,
				       p->index, i);
	if (IS_ERR(worker))
		return PTR_ERR(worker);
	bq->worker = worker;
	/* Charge the I/O to the creator's cgroups, as vhost does. */
	err = cgroup_attach_task_all(current, worker->task);
	if (err)
		return err;
	return 0;
}

struct kestrel_virtio_blk *
kestrel_virtio_blk_create(const struct kestrel_virtio_blk_params *params,
			  const char *name)
{
	struct kestrel_virtio_blk *blk;
	unsigned int i;
	int err;

	if (!params || !params->file || !params->num_queues ||
	    params->num_queues > KESTREL_VIRTIO_BLK_MAX_QUEUES)
		return ERR_PTR(-EINVAL);
	if (!params->readonly && !(params->file->f_mode & FMODE_WRITE))
		return ERR_PTR(-EINVAL);
	if (!params->file->f_op->read_iter ||
	    (!params->readonly && !params->file->f_op->write_iter))
		return ERR_PTR(-EINVAL);
	blk = kzalloc(sizeof(*blk), GFP_KERNEL_ACCOUNT);
	if (!blk)
		return ERR_PTR(-ENOMEM);
	snprintf(blk->name, sizeof(blk->name), "%s", name ? name : "virtio-blk");
	spin_lock_init(&blk->lock);
	blk->readonly = params->readonly;
	blk->direct = params->direct;
	blk->io_error = params->io_error;
	blk->io_error_data = params->io_error_data;
	blk->num_queues = params->num_queues;
	memcpy(blk->serial, params->serial,
	       strnlen(params->serial, sizeof(blk->serial)));
	blk->capacity = i_size_read(params->file->f_mapping->host) &
			~(u64)(BLK_SECTOR_SIZE - 1);
	blk_init_config(blk);
	blk_init_ops(blk);
	blk->vdev.ops = &blk->ops;

	for (i = 0; i < blk->num_queues; i++) {
		err = blk_add_queue(blk, i, params);
		if (err) {
			blk_free(blk);
			return ERR_PTR(err);
		}
	}
	blk->file = params->file;
	return blk;
}

struct kestrel_virtio_dev *kestrel_virtio_blk_vdev(struct kestrel_virtio_blk *blk)
{
	return &blk->vdev;
}

void kestrel_virtio_blk_stats(struct kestrel_virtio_blk *blk,
			      struct kestrel_virtio_blk_stats *stats)
{
	unsigned int i;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < blk->num_queues; i++) {
		const struct kestrel_virtio_blk_stats *s = &blk->queues[i]->stats;

		stats->rd_reqs += READ_ONCE(s->rd_reqs);
		stats->rd_bytes += READ_ONCE(s->rd_bytes);
		stats->wr_reqs += READ_ONCE(s->wr_reqs);
		stats->wr_bytes += READ_ONCE(s->wr_bytes);
		stats->flush_reqs += READ_ONCE(s->flush_reqs);
		stats->errors += READ_ONCE(s->errors);
	}
}

void kestrel_virtio_blk_destroy(struct kestrel_virtio_blk *blk)
{
	struct file *file;

	if (!blk)
		return;
	file = blk->file;
	blk_free(blk);
	fput(file);
}
