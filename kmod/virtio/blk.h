/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk (virtio 1.2, 5.2): device ID 2, num_queues request queues,
 * backed by a file (a regular file or a block device) that the controller
 * opened and passed as an fd.  Requests move data between guest RAM and
 * the file through the file's read_iter/write_iter with a kiocb, as
 * loop.c's lo_rw_aio does, on bio_vecs of guest pages, without a bounce
 * buffer.  The file's open flags choose the I/O (the controller maps the
 * XML's cache and io modes to them): on a file opened O_DIRECT requests
 * go to the disk asynchronously, up to 32 in flight per queue; otherwise
 * they go through the page cache and are done as the worker's call
 * returns.  O_DSYNC / O_SYNC on the file apply to every write.
 *
 * Each queue has its own worker thread (a kthread_worker), created at
 * create time in the caller's cgroups (see blk.c).
 *
 * Life cycle, for the platform:
 *   p.file = fget(fd);		(the device owns this reference)
 *   blk = kestrel_virtio_blk_create(&p, "dom: vda");
 *   if (IS_ERR(blk)) fput(p.file);	(on error the caller keeps it)
 *   vdev = kestrel_virtio_blk_vdev(blk);
 *   ... hand vdev to a transport, which fills vdev->mem, ->interrupt,
 *   ->config_changed, ->needs_reset and ->transport, and calls
 *   vdev->ops->start/reset/notify/config_* as virtio.h says ...
 *   ... remove the transport: no call into vdev->ops may follow ...
 *   kestrel_virtio_blk_destroy(blk);	(stops the workers, fput)
 */
#ifndef KESTREL_VIRTIO_BLK_H
#define KESTREL_VIRTIO_BLK_H

#include <linux/types.h>

struct file;
struct kestrel_virtio_dev;
struct kestrel_virtio_blk;

/* The serial number's length (VIRTIO_BLK_ID_BYTES). */
#define KESTREL_VIRTIO_BLK_ID_BYTES	20
/* Queues a device can have (each has a thread). */
#define KESTREL_VIRTIO_BLK_MAX_QUEUES	64

struct kestrel_virtio_blk_params {
	struct file *file;		/* the backend; see create */
	bool readonly;			/* refuse writes, offer F_RO */
	bool direct;			/* opened O_DIRECT; informational */
	char serial[KESTREL_VIRTIO_BLK_ID_BYTES + 1];	/* "": none */
	u16 num_queues;			/* 1 .. KESTREL_VIRTIO_BLK_MAX_QUEUES */
	/* For the workers' names, kestrel/<domid>:blk<index>.<queue>. */
	u32 domid;
	u32 index;
	/*
	 * Optional (NULL: none): the backend failed a request, @err being
	 * its negative errno (-EIO for a short transfer).  Called once per
	 * failed request (a read, a write, a flush, a discard or a
	 * write-zeroes that the file refused), after the guest got
	 * VIRTIO_BLK_S_IOERR for it and it was counted and logged (rate
	 * limited); never for the guest's own mistakes (a sector beyond the
	 * disk, a write to a read-only disk).  It may be called in any
	 * context and must not sleep (today a queue's worker calls it, but
	 * that may become a completion in IRQ context); several queues may
	 * call it at once, and a failing disk calls it for every request,
	 * so it should be cheap and rate limit what it sends on (an event).
	 * Between create and the end of destroy, with @io_error_data.
	 */
	void (*io_error)(void *data, int err);
	void *io_error_data;
};

/* Counters since create; each is read untorn, the set is not atomic. */
struct kestrel_virtio_blk_stats {
	u64 rd_reqs;			/* IN requests served OK */
	u64 rd_bytes;
	u64 wr_reqs;			/* OUT requests served OK */
	u64 wr_bytes;
	u64 flush_reqs;			/* FLUSH requests served OK */
	u64 errors;			/* requests answered IOERR */
};

/*
 * A new device (not started).  The capacity is the file's size rounded
 * down to 512 bytes (a block device's size for a block device).  On
 * success the device owns the reference @params->file (fput on destroy);
 * on error the caller still does.  @name prefixes log lines (copied).
 * The worker threads join the caller's cgroups, as vhost's do: call it in
 * the context of the task the I/O is to be charged to.
 * ERR_PTR(-EINVAL) for a bad parameter (no file, num_queues 0 or too
 * many, writable device on a file not open for writing, a file without
 * read_iter, or without write_iter for a writable device),
 * ERR_PTR(-ENOMEM), or the error of creating a thread.  Each queue takes
 * about 400 KiB for its requests in flight (blk.c).  May sleep.
 */
struct kestrel_virtio_blk *
kestrel_virtio_blk_create(const struct kestrel_virtio_blk_params *params,
			  const char *name);
/* The device as a transport sees it. */
struct kestrel_virtio_dev *kestrel_virtio_blk_vdev(struct kestrel_virtio_blk *blk);
/* Any context, any time before destroy. */
void kestrel_virtio_blk_stats(struct kestrel_virtio_blk *blk,
			      struct kestrel_virtio_blk_stats *stats);
/*
 * Stop the workers (waiting for them and for every request still with the
 * backend), drop the file and free the device; NULL is ignored.  The
 * transport must already be gone.  Guest RAM must outlive this call: a
 * request in flight writes into it until it completes.  May sleep.
 */
void kestrel_virtio_blk_destroy(struct kestrel_virtio_blk *blk);

#endif /* KESTREL_VIRTIO_BLK_H */
