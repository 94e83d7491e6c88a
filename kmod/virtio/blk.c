// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2; the driver: drivers/block/virtio_blk.c) on
 * a file or block device, vhost-style.
 *
 * Workers: one kthread_worker (a kernel thread running work items) per
 * queue, created with the device and attached to the creator's cgroups as
 * vhost attaches its worker.  Not a work item on system_unbound_wq (as
 * virtio-rng does): the requests do synchronous file I/O on the guest's
 * behalf, and in its own threads that I/O, its page cache and its CPU
 * time are charged to the domain's cgroups (io.max, memory.max,
 * cpu.max apply), not to the root's kworkers.  Not one thread per device
 * either: the guest's blk-mq maps one queue to each vCPU, and the queues
 * are served in parallel only with a thread each.  A thread per queue
 * costs a task per queue (num_queues is one per vCPU by default); the
 * threads sleep while the domain does no I/O.
 *
 * Locking: @lock orders "running" against queueing a queue's work: notify
 * (a vCPU, preemption off: only kthread_queue_work, which does not sleep)
 * and a worker that used up its budget queue the work only while
 * running; reset clears running and then kthread_cancel_work_sync() on
 * each queue, so once reset returns no work is pending or running and no
 * queue is touched again until start.  A worker also stops between two
 * requests when running is cleared.  Each queue (its kestrel_vq, its
 * segment and bio_vec arrays, its counters) is its worker's alone; the
 * counters are written with WRITE_ONCE and summed with READ_ONCE by
 * kestrel_virtio_blk_stats().  @reported (needs_reset already called for
 * this start) is shared by the workers and taken under @lock.
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
 * a short transfer) is answered IOERR, counted and logged (rate limited).
 *
 * Data moves without a bounce buffer: the guest pages of the data part are
 * described as bio_vecs (at most BLK_BVECS at a time, one per page piece)
 * and handed to vfs_iter_read/vfs_iter_write, which copy to or from the
 * page cache, or DMA for a file opened O_DIRECT.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/bvec.h>
#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uio.h>
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
/* Page pieces per vfs call: 1 MiB of 4 KiB pages at least. */
#define BLK_BVECS		256
/* Requests per run of a worker; then it interrupts and yields. */
#define BLK_RUN_CHAINS		32
/* Discard and write-zeroes limits: 2 GiB per range, 64 ranges. */
#define BLK_MAX_RANGE_SECTORS	(1u << 22)
#define BLK_MAX_RANGE_SEGS	64
/* Whole 4 KiB blocks: what a file system can deallocate. */
#define BLK_DISCARD_ALIGN	8

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

struct blk_queue {
	struct kestrel_virtio_blk *blk;
	u16 index;
	struct kestrel_vq vq;
	struct kthread_worker *worker;
	struct kthread_work work;
	char name[64];			/* "<device> q<index>", for the log */
	struct kestrel_virtio_blk_stats stats;
	struct kestrel_vq_seg segs[BLK_MAX_SEGS];
	struct bio_vec bvecs[BLK_BVECS];
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

	spinlock_t lock;
	bool running;			/* between start and reset; @lock */
	bool reported;			/* needs_reset called; @lock */
	struct blk_queue *queues[KESTREL_VIRTIO_BLK_MAX_QUEUES];
};

/* A position in the readable or the writable part of a chain. */
struct blk_pos {
	unsigned int seg;
	u32 off;
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
 * Describe the guest pages of the next at most @len bytes from @p as
 * bq->bvecs (*@nr of them).  Returns the bytes described, or -EFAULT when
 * a buffer is not RAM (the queue is then broken).
 */
static long blk_map(struct blk_queue *bq, const struct kestrel_vq_chain *c,
		    struct blk_pos *p, u32 len, unsigned int *nr)
{
	const struct kestrel_mem *mem = bq->blk->vdev.mem;
	u32 done = 0;

	*nr = 0;
	while (done < len && *nr < BLK_BVECS) {
		const struct kestrel_vq_seg *s = &c->segs[p->seg];
		struct bio_vec *bv = &bq->bvecs[*nr];
		u64 gpa = s->gpa + p->off;
		u32 n = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
		u64 off;

		if (n > s->len - p->off)
			n = s->len - p->off;
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
		if (p->off == s->len) {
			p->seg++;
			p->off = 0;
		}
	}
	return done;
}

/*
 * Move @len bytes between the file at @pos and the chain's writable part
 * (@to_guest, from its start) or readable part (after the header).
 * 0, or a negative errno: the queue broke (kestrel_vq_broken()) or the
 * backend failed (-EIO for a short transfer).
 */
static int blk_rw(struct blk_queue *bq, const struct kestrel_vq_chain *c,
		  bool to_guest, u32 len, u64 pos)
{
	struct file *file = bq->blk->file;
	loff_t off = pos;
	struct blk_pos p;

	blk_seek(c, to_guest, to_guest ? 0 : sizeof(struct blk_req_hdr), &p);
	while (len) {
		struct iov_iter iter;
		unsigned int nr;
		ssize_t ret;
		long n;

		n = blk_map(bq, c, &p, len, &nr);
		if (n < 0)
			return n;
		if (to_guest) {
			iov_iter_bvec(&iter, ITER_DEST, bq->bvecs, nr, n);
			ret = vfs_iter_read(file, &iter, &off, 0);
		} else {
			iov_iter_bvec(&iter, ITER_SOURCE, bq->bvecs, nr, n);
			/* Freeze protection is the caller's, as in loop.c. */
			file_start_write(file);
			ret = vfs_iter_write(file, &iter, &off, 0);
			file_end_write(file);
		}
		if (ret != n)
			return ret < 0 ? ret : -EIO;
		len -= n;
	}
	return 0;
}

/* Whether [@sector, + @bytes) lies within the disk. */
static bool blk_in_range(struct kestrel_virtio_blk *blk, u64 sector, u64 bytes)
{
	u64 sectors = blk->capacity >> BLK_SECTOR_SHIFT;

	return sector <= sectors &&
	       bytes <= (sectors - sector) << BLK_SECTOR_SHIFT;
}

/* IN (!@write) or OUT of @len data bytes at @sector. */
static u8 blk_io(struct blk_queue *bq, const struct kestrel_vq_chain *c,
		 bool write, u64 sector, u32 len)
{
	struct kestrel_virtio_blk *blk = bq->blk;
	int err;

	if (write && blk->readonly)
		return BLK_S_IOERR;
	if (len % BLK_SECTOR_SIZE || !blk_in_range(blk, sector, len))
		return BLK_S_IOERR;
	err = blk_rw(bq, c, !write, len, sector << BLK_SECTOR_SHIFT);
	if (err) {
		if (!kestrel_vq_broken(&bq->vq))
			pr_warn_ratelimited("%s: %s of %u bytes at sector %llu failed: %d\n",
					    bq->name, write ? "write" : "read",
					    len, (unsigned long long)sector,
					    err);
		return BLK_S_IOERR;
	}
	if (write) {
		blk_count(&bq->stats.wr_reqs, 1);
		blk_count(&bq->stats.wr_bytes, len);
	} else {
		blk_count(&bq->stats.rd_reqs, 1);
		blk_count(&bq->stats.rd_bytes, len);
	}
	return BLK_S_OK;
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
 * Serve one chain.  Returns the bytes written into its writable part
 * (status included), or a negative errno when the queue broke.
 */
static long blk_handle(struct blk_queue *bq, const struct kestrel_vq_chain *c)
{
	struct kestrel_virtio_blk *blk = bq->blk;
	struct kestrel_vq *vq = &bq->vq;
	const u32 hdr_len = sizeof(struct blk_req_hdr);
	struct blk_req_hdr hdr;
	u32 used = 1;
	u64 sector;
	u8 status;
	long ret;

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
		status = blk_io(bq, c, false, sector, c->in_len - 1);
		if (status == BLK_S_OK)
			used += c->in_len - 1;
		break;
	case BLK_T_OUT:
		if (c->in_len != 1)
			return blk_bad_chain(bq);
		status = blk_io(bq, c, true, sector, c->out_len - hdr_len);
		break;
	case BLK_T_FLUSH:
		if (c->out_len != hdr_len || c->in_len != 1)
			return blk_bad_chain(bq);
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
	if (status == BLK_S_IOERR)
		blk_count(&bq->stats.errors, 1);
	ret = kestrel_vq_copy_to_chain(vq, c, c->in_len - 1, &status, 1);
	if (ret < 0)
		return ret;
	return used;
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

/* One run of a queue's worker: a batch of requests, then an interrupt. */
static void blk_process(struct blk_queue *bq)
{
	struct kestrel_virtio_blk *blk = bq->blk;
	struct kestrel_vq *vq = &bq->vq;
	struct kestrel_vq_chain c = {
		.segs = bq->segs,
		.max_segs = BLK_MAX_SEGS,
	};
	unsigned int chains = 0;
	bool pushed = false;

	if (!READ_ONCE(blk->running) || !vq->ready)
		return;
	if (kestrel_vq_broken(vq))
		goto broken;

	kestrel_vq_disable_notify(vq);
	for (;;) {
		long used;
		int ret;

		/* Reset has begun: it forgets the ring, leave it be. */
		if (!READ_ONCE(blk->running))
			break;
		if (chains == BLK_RUN_CHAINS) {
			blk_kick(bq);
			break;
		}
		ret = kestrel_vq_pop(vq, &c);
		if (ret < 0)
			goto broken;
		if (!ret) {
			if (!kestrel_vq_enable_notify(vq))
				break;
			kestrel_vq_disable_notify(vq);
			continue;
		}
		chains++;
		used = blk_handle(bq, &c);
		if (used < 0 || kestrel_vq_push(vq, c.head, used))
			goto broken;
		pushed = true;
	}
	if (pushed && kestrel_vq_should_interrupt(vq))
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

/* Stop queueing, then wait for every worker to be idle. */
static void blk_stop(struct kestrel_virtio_blk *blk)
{
	unsigned int i;

	spin_lock(&blk->lock);
	blk->running = false;
	spin_unlock(&blk->lock);
	for (i = 0; i < blk->num_queues; i++)
		if (blk->queues[i])
			kthread_cancel_work_sync(&blk->queues[i]->work);
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
		kvfree(bq);
	}
	kfree(blk);
}

static int blk_add_queue(struct kestrel_virtio_blk *blk, u16 i,
			 const struct kestrel_virtio_blk_params *p)
{
	struct kthread_worker *worker;
	struct blk_queue *bq;
	int err;

	bq = kvzalloc(sizeof(*bq), GFP_KERNEL_ACCOUNT);
	if (!bq)
		return -ENOMEM;
	blk->queues[i] = bq;
	bq->blk = blk;
	bq->index = i;
	snprintf(bq->name, sizeof(bq->name), "%s q%u", blk->name, i);
	kthread_init_work(&bq->work, blk_work);
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
	blk = kzalloc(sizeof(*blk), GFP_KERNEL_ACCOUNT);
	if (!blk)
		return ERR_PTR(-ENOMEM);
	snprintf(blk->name, sizeof(blk->name), "%s", name ? name : "virtio-blk");
	spin_lock_init(&blk->lock);
	blk->readonly = params->readonly;
	blk->direct = params->direct;
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
