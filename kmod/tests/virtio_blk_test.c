// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (kmod/virtio/blk.c) with its kernel services shimmed
 * (kshim.h): a queue's worker runs when the test calls kshim_run_work(),
 * the backend is a fake file (a buffer) with injectable failures, and the
 * driver model of vring_model.h puts requests on the queues and reads the
 * used rings.
 * The file's read_iter/write_iter complete in the call, or (kshim_defer)
 * later, when the test calls kshim_aio_complete(): requests in flight.
 */
#include "kshim.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../virtio/virtqueue.c"
#include "../virtio/blk.c"

#include <stdlib.h>

#define NQ		2
#include "vring_model.h"
#include "kselftest_harness.h"

/* Queue q's rings at QBASE(q); indirect tables after them. */
#define QBASE(q)	(0x1000u + 0x10000u * (q))
#define DESC_GPA(q)	(QBASE(q))
#define AVAIL_GPA(q)	(QBASE(q) + 0x1000u)
#define USED_GPA(q)	(QBASE(q) + 0x2000u)
#define TABLE_GPA(q)	(QBASE(q) + 0x3000u)	/* 0x4000 of tables */
#define SCRATCH_GPA	0x30000u		/* headers, statuses */
#define SCRATCH_END	0x38000u
#define BUF_GPA		0x40000u		/* data, to the hole */
#define HIGH_GPA	HOLE_END		/* data after the hole */
#define QSIZE		qsize

#define FILE_SIZE	(256 * 1024 + 100)	/* 512 sectors and a bit */
#define SECTORS		512

/* The queues' size; a test may raise it (up to 256) before drv_create. */
static u16 qsize = 16;

/* The io_error hook: calls, the last error and data. */
static unsigned int io_errors;
static int io_error_last;
static void *io_error_data;

static void on_io_error(void *data, int err)
{
	io_errors++;
	io_error_last = err;
	io_error_data = data;
}

struct drv {
	struct kestrel_mem mem;
	struct file file;
	struct kestrel_virtio_blk_params p;
	struct kestrel_virtio_blk *blk;
	struct kestrel_virtio_dev *vdev;
	struct vring vr[NQ];
	u32 next_table[NQ];
	u64 scratch;
};

/* Put @n segments on queue @q as one chain, direct or through a table. */
static u16 chain(struct drv *d, u16 q, const struct seg *s, unsigned int n,
		 bool indirect)
{
	u64 table = 0;

	if (indirect) {
		table = TABLE_GPA(q) + d->next_table[q];
		d->next_table[q] += 16 * n;
		if (d->next_table[q] > 0x4000)
			abort();
	}
	return add_chain(&d->vr[q], s, n, table);
}

static u64 scratch(struct drv *d, u32 len)
{
	u64 gpa = d->scratch;

	d->scratch += (len + 15) & ~15u;
	if (d->scratch > SCRATCH_END)
		abort();
	return gpa;
}

static u64 put_hdr(struct drv *d, u32 type, u64 sector)
{
	struct blk_req_hdr h = {
		.type = cpu_to_le32(type),
		.sector = cpu_to_le64(sector),
	};
	u64 gpa = scratch(d, sizeof(h));

	memcpy(d->mem.ram + gpa, &h, sizeof(h));
	return gpa;
}

/*
 * A request: its header, the @n data segments, a status byte.  Returns
 * the status byte's GPA (set to 0xff before).
 */
static u64 request(struct drv *d, u16 q, u32 type, u64 sector,
		   const struct seg *data, unsigned int n, bool indirect)
{
	struct seg s[40];
	u64 st = scratch(d, 1);
	unsigned int i;

	if (n + 2 > 40)
		abort();
	s[0] = (struct seg){ put_hdr(d, type, sector), 16, false };
	for (i = 0; i < n; i++)
		s[1 + i] = data[i];
	s[n + 1] = (struct seg){ st, 1, true };
	d->mem.ram[st] = 0xff;
	chain(d, q, s, n + 2, indirect);
	return st;
}

static u8 status(struct drv *d, u64 gpa)
{
	return d->mem.ram[gpa];
}

static unsigned int kick(struct drv *d, u16 q)
{
	d->vdev->ops->notify(d->vdev, q);
	return kshim_run_work();
}

static void fill(struct drv *d, u64 gpa, u32 len, u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		d->mem.ram[gpa + i] = (u8)(seed * 131 + i * 7 + (i >> 9));
}

static void drv_file(struct drv *d, loff_t size, bool writable)
{
	memset(&d->file, 0, sizeof(d->file));
	d->file.f_mode = FMODE_READ | (writable ? FMODE_WRITE : 0);
	d->file.f_mapping = &d->file.kshim_mapping;
	d->file.f_op = &kshim_blk_fops;
	d->file.kshim_mapping.host = &d->file.kshim_inode;
	d->file.kshim_inode.i_size = size;
	d->file.kshim_data = calloc(1, size);
	if (!d->file.kshim_data)
		abort();
}

static void drv_init(struct drv *d)
{
	unsigned int q;

	memset(d, 0, sizeof(*d));
	recorders_reset();
	ram_alloc(&d->mem);
	for (q = 0; q < NQ; q++)
		vring_init(&d->vr[q], &d->mem, QSIZE, DESC_GPA(q),
			   AVAIL_GPA(q), USED_GPA(q));
	d->scratch = SCRATCH_GPA;
	d->p.num_queues = 1;
	d->p.domid = 3;
	d->p.index = 1;
	d->p.io_error = on_io_error;
	d->p.io_error_data = d;
	io_errors = 0;
	io_error_last = 0;
	io_error_data = NULL;
}

static void drv_queues(struct drv *d, u64 features)
{
	unsigned int q;

	d->vdev = kestrel_virtio_blk_vdev(d->blk);
	vdev_attach(d->vdev, &d->mem, features);
	for (q = 0; q < d->p.num_queues && q < NQ; q++)
		vring_to_queue(&d->vr[q], &d->vdev->queues[q]);
}

/* A started device on a fresh file of @size bytes, @nq queues. */
static void drv_create_size(struct drv *d, u16 nq, bool readonly,
			    u64 features, loff_t size)
{
	drv_init(d);
	drv_file(d, size, !readonly);
	d->p.file = &d->file;
	d->p.readonly = readonly;
	d->p.num_queues = nq;
	strcpy(d->p.serial, "KESTREL-SERIAL-0001");
	d->blk = kestrel_virtio_blk_create(&d->p, "test blk");
	if (IS_ERR(d->blk))
		abort();
	drv_queues(d, features);
	if (d->vdev->ops->start(d->vdev))
		abort();
	kshim_run_work();		/* start's look at the rings */
}

/* A started device on a fresh FILE_SIZE file, @nq queues. */
static void drv_create(struct drv *d, u16 nq, bool readonly, u64 features)
{
	drv_create_size(d, nq, readonly, features, FILE_SIZE);
}

/* Reset, forget the rings, start again. */
static void drv_restart(struct drv *d)
{
	unsigned int q;

	d->vdev->ops->reset(d->vdev);
	memset(d->mem.ram, 0, SCRATCH_GPA);
	for (q = 0; q < NQ; q++)
		d->vr[q].avail_idx = d->vr[q].next_desc = 0;
	memset(d->next_table, 0, sizeof(d->next_table));
	d->scratch = SCRATCH_GPA;
	if (d->vdev->ops->start(d->vdev))
		abort();
	kshim_run_work();
}

static void drv_destroy(struct drv *d)
{
	kestrel_virtio_blk_destroy(d->blk);
	if (kshim_nr_work || kshim_nr_workers || d->file.kshim_fputs != 1)
		abort();
	free(d->file.kshim_data);
	free(d->mem.ram);
}

static struct kestrel_virtio_blk_stats stats(struct drv *d)
{
	struct kestrel_virtio_blk_stats s;

	kestrel_virtio_blk_stats(d->blk, &s);
	return s;
}

static u32 cfg32(struct drv *d, u32 off)
{
	__le32 v;

	d->vdev->ops->config_read(d->vdev, off, &v, 4);
	return le32_to_cpu(v);
}

#define ALL_F	((1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC) | \
		 (1ULL << KESTREL_VIRTIO_F_EVENT_IDX))

FIXTURE(vblk) {
	struct drv d;
};

FIXTURE_SETUP(vblk)
{
	drv_create(&self->d, 1, false, 1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC);
}

FIXTURE_TEARDOWN(vblk)
{
	drv_destroy(&self->d);
}

TEST(ops_and_config)
{
	const struct kestrel_virtio_ops *ops;
	struct drv d;
	__le64 cap;
	__le16 nq;
	u8 b[8];
	u64 f;

	drv_create(&d, 1, false, 0);
	ops = d.vdev->ops;
	f = ops->features;
	EXPECT_EQ(KESTREL_VIRTIO_ID_BLOCK, ops->device_id);
	EXPECT_EQ(ALL_F | (1ULL << BLK_F_SEG_MAX) | (1ULL << BLK_F_BLK_SIZE) |
		  (1ULL << BLK_F_FLUSH) | (1ULL << BLK_F_DISCARD) |
		  (1ULL << BLK_F_WRITE_ZEROES), f);
	EXPECT_EQ(1, ops->num_queues);
	EXPECT_EQ(256, ops->max_queue_size);
	EXPECT_EQ(60, ops->config_len);

	d.vdev->ops->config_read(d.vdev, 0, &cap, 8);
	EXPECT_EQ(SECTORS, le64_to_cpu(cap));		/* rounded down */
	EXPECT_EQ(0, cfg32(&d, 4));			/* capacity, high */
	EXPECT_EQ(0, cfg32(&d, 8));			/* size_max: not offered */
	EXPECT_EQ(254, cfg32(&d, 12));			/* seg_max */
	EXPECT_EQ(512, cfg32(&d, 20));			/* blk_size */
	d.vdev->ops->config_read(d.vdev, 34, &nq, 2);
	EXPECT_EQ(1, le16_to_cpu(nq));
	EXPECT_EQ(1u << 22, cfg32(&d, 36));		/* max_discard_sectors */
	EXPECT_EQ(64, cfg32(&d, 40));			/* max_discard_seg */
	EXPECT_EQ(8, cfg32(&d, 44));			/* discard alignment */
	EXPECT_EQ(1u << 22, cfg32(&d, 48));		/* max_write_zeroes_sectors */
	EXPECT_EQ(64, cfg32(&d, 52));			/* max_write_zeroes_seg */
	EXPECT_EQ(0, cfg32(&d, 56));			/* may_unmap, padding */
	/* byte reads, and writes that change nothing */
	d.vdev->ops->config_read(d.vdev, 1, b, 1);
	EXPECT_EQ(SECTORS >> 8, b[0]);
	memset(b, 0xaa, sizeof(b));
	d.vdev->ops->config_write(d.vdev, 0, b, 8);
	d.vdev->ops->config_read(d.vdev, 0, &cap, 8);
	EXPECT_EQ(SECTORS, le64_to_cpu(cap));

	/* one thread per queue, named, in the creator's cgroups */
	EXPECT_EQ(1, kshim_nr_workers);
	EXPECT_STREQ("kestrel/3:blk1.0", d.blk->queues[0]->worker->kshim_name);
	EXPECT_EQ(1, d.blk->queues[0]->worker->task->kshim_cgroup);
	EXPECT_STREQ("test blk q0", d.blk->queues[0]->name);
	drv_destroy(&d);

	/* read-only, multi-queue */
	drv_create(&d, 4, true, 0);
	f = d.vdev->ops->features;
	EXPECT_TRUE(f & (1ULL << BLK_F_RO));
	EXPECT_TRUE(f & (1ULL << BLK_F_MQ));
	EXPECT_FALSE(f & (1ULL << BLK_F_DISCARD));
	EXPECT_FALSE(f & (1ULL << BLK_F_WRITE_ZEROES));
	EXPECT_EQ(4, d.vdev->ops->num_queues);
	d.vdev->ops->config_read(d.vdev, 34, &nq, 2);
	EXPECT_EQ(4, le16_to_cpu(nq));
	EXPECT_EQ(4, kshim_nr_workers);
	EXPECT_STREQ("kestrel/3:blk1.3", d.blk->queues[3]->worker->kshim_name);
	drv_destroy(&d);
}

TEST(create_errors)
{
	struct drv d;

	drv_init(&d);
	drv_file(&d, FILE_SIZE, false);
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_blk_create(NULL, "x")));
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_blk_create(&d.p, "x")));
	d.p.file = &d.file;
	d.p.num_queues = 0;
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_blk_create(&d.p, "x")));
	d.p.num_queues = KESTREL_VIRTIO_BLK_MAX_QUEUES + 1;
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_blk_create(&d.p, "x")));
	/* a writable disk on a file open read-only */
	d.p.num_queues = 1;
	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_blk_create(&d.p, "x")));
	/* a thread or a cgroup that fails: everything undone */
	d.file.f_mode |= FMODE_WRITE;
	d.p.num_queues = 3;
	kshim_worker_err = -EINTR;
	EXPECT_EQ(-EINTR, PTR_ERR(kestrel_virtio_blk_create(&d.p, "x")));
	EXPECT_EQ(0, kshim_nr_workers);
	kshim_cgroup_err = -EPERM;
	EXPECT_EQ(-EPERM, PTR_ERR(kestrel_virtio_blk_create(&d.p, "x")));
	EXPECT_EQ(0, kshim_nr_workers);
	EXPECT_EQ(0, d.file.kshim_fputs);	/* the caller's still */
	kestrel_virtio_blk_destroy(NULL);
	free(d.file.kshim_data);
	free(d.mem.ram);
}

/* Write @len bytes at @sector from @gpa in pieces of @piece, read back. */
static void round_trip(struct __test_metadata *_metadata, struct drv *d,
		       u64 sector, u32 len, u32 piece, bool indirect,
		       u32 seed)
{
	struct seg s[38];
	unsigned int n = 0;
	u64 out = BUF_GPA + 0x123, in = HIGH_GPA + 0x2345;
	u64 st;
	u32 off;
	u16 u = used_idx(&d->vr[0]);

	memset(d->mem.ram + in, 0, len + 8 * 38);
	/* the pieces are scattered: 16 bytes apart */
	for (off = 0; off < len; off += piece, n++) {
		u32 l = len - off < piece ? len - off : piece;

		ASSERT_LT(n, QSIZE - 2);	/* a chain fits the queue */
		s[n] = (struct seg){ out + off + 16 * n, l, false };
		fill(d, s[n].gpa, l, seed + n);
	}
	st = request(d, 0, BLK_T_OUT, sector, s, n, indirect);
	kick(d, 0);
	ASSERT_EQ(u + 1, used_idx(&d->vr[0]));
	EXPECT_EQ(1, used_len(&d->vr[0], u));
	ASSERT_EQ(BLK_S_OK, status(d, st));
	for (off = 0, n = 0; off < len; off += piece, n++)
		ASSERT_EQ(0, memcmp(d->file.kshim_data + sector * 512 + off,
				    d->mem.ram + s[n].gpa, s[n].len));

	/* read it back into other pieces (odd sizes) */
	for (off = 0, n = 0; off < len; n++) {
		u32 l = (piece * 3) / 2 + 1;

		if (l > len - off)
			l = len - off;
		s[n] = (struct seg){ in + off + 8 * n, l, true };
		off += l;
	}
	st = request(d, 0, BLK_T_IN, sector, s, n, !indirect);
	kick(d, 0);
	ASSERT_EQ(u + 2, used_idx(&d->vr[0]));
	EXPECT_EQ(len + 1, used_len(&d->vr[0], u + 1));
	ASSERT_EQ(BLK_S_OK, status(d, st));
	for (off = 0, n = 0; off < len; off += s[n].len, n++)
		ASSERT_EQ(0, memcmp(d->file.kshim_data + sector * 512 + off,
				    d->mem.ram + s[n].gpa, s[n].len));
}

TEST_F(vblk, read_write_round_trip)
{
	static const struct {
		u64 sector;
		u32 len, piece;
	} cases[] = {
		{ 0, 512, 512 },
		{ 1, 1024, 100 },
		{ 7, 4096 + 512, 3000 },
		{ 100, 8192, 4096 },
		{ 200, 16384, 1500 },
		{ SECTORS - 2, 1024, 1024 },
		{ 300, 64 * 1024, 6000 },
	};
	struct drv *d = &self->d;
	struct kestrel_virtio_blk_stats s;
	u64 bytes = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		round_trip(_metadata, d, cases[i].sector, cases[i].len,
			   cases[i].piece, i & 1, i);
		bytes += cases[i].len;
	}
	s = stats(d);
	EXPECT_EQ(i, s.rd_reqs);
	EXPECT_EQ(i, s.wr_reqs);
	EXPECT_EQ(bytes, s.rd_bytes);
	EXPECT_EQ(bytes, s.wr_bytes);
	EXPECT_EQ(0, s.errors);
	EXPECT_EQ(0, resets_asked);
	EXPECT_EQ(2 * i, interrupts[0]);
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(vblk, any_layout)
{
	struct drv *d = &self->d;
	struct seg s[2];
	u64 buf = BUF_GPA;

	/* header and data in one readable buffer, status alone */
	*(__le32 *)(d->mem.ram + buf) = cpu_to_le32(BLK_T_OUT);
	*(__le64 *)(d->mem.ram + buf + 8) = cpu_to_le64(5);
	fill(d, buf + 16, 1024, 9);
	s[0] = (struct seg){ buf, 16 + 1024, false };
	s[1] = (struct seg){ buf + 0x1000, 1, true };
	chain(d, 0, s, 2, false);
	/* a read: header alone, data and status in one writable buffer */
	*(__le32 *)(d->mem.ram + buf + 0x2000) = cpu_to_le32(BLK_T_IN);
	*(__le64 *)(d->mem.ram + buf + 0x2008) = cpu_to_le64(5);
	s[0] = (struct seg){ buf + 0x2000, 16, false };
	s[1] = (struct seg){ buf + 0x3000, 1024 + 1, true };
	chain(d, 0, s, 2, true);
	kick(d, 0);
	ASSERT_EQ(2, used_idx(&d->vr[0]));
	EXPECT_EQ(0, d->mem.ram[buf + 0x1000]);
	EXPECT_EQ(0, memcmp(d->file.kshim_data + 5 * 512, d->mem.ram + buf + 16,
			    1024));
	EXPECT_EQ(0, memcmp(d->mem.ram + buf + 0x3000, d->mem.ram + buf + 16,
			    1024));
	EXPECT_EQ(BLK_S_OK, d->mem.ram[buf + 0x3000 + 1024]);
	EXPECT_EQ(1025, used_len(&d->vr[0], 1));
	EXPECT_EQ(2, used_id(&d->vr[0], 1));
	EXPECT_EQ(0, resets_asked);
}

TEST_F(vblk, out_of_range)
{
	struct drv *d = &self->d;
	struct seg s = { BUF_GPA, 1024, false };
	struct seg odd = { BUF_GPA, 700, false };
	struct seg rd = { BUF_GPA, 1024, true };
	u64 st[5];
	u8 zero[1024] = { 0 };

	fill(d, BUF_GPA, 1024, 1);
	st[0] = request(d, 0, BLK_T_OUT, SECTORS - 1, &s, 1, false);
	st[1] = request(d, 0, BLK_T_OUT, 1ULL << 60, &s, 1, false);
	st[2] = request(d, 0, BLK_T_OUT, ~0ULL, &s, 1, false);
	st[3] = request(d, 0, BLK_T_OUT, 0, &odd, 1, false);
	st[4] = request(d, 0, BLK_T_IN, SECTORS, &rd, 1, false);
	kick(d, 0);
	ASSERT_EQ(5, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[0]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[1]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[2]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[3]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[4]));
	EXPECT_EQ(1, used_len(&d->vr[0], 4));
	EXPECT_EQ(0, d->file.kshim_writes);
	EXPECT_EQ(0, d->file.kshim_reads);
	EXPECT_EQ(0, memcmp(d->file.kshim_data + (SECTORS - 1) * 512, zero,
			    512));
	EXPECT_EQ(0, memcmp(d->file.kshim_data, zero, 1024));
	EXPECT_EQ(5, stats(d).errors);
	EXPECT_EQ(0, stats(d).wr_reqs);
	EXPECT_EQ(0, resets_asked);
	EXPECT_EQ(0, kshim_warnings);		/* the guest's mistake */
	EXPECT_EQ(0, io_errors);
}

TEST_F(vblk, flush)
{
	struct drv *d = &self->d;
	u64 st;

	st = request(d, 0, BLK_T_FLUSH, 0, NULL, 0, false);
	kick(d, 0);
	EXPECT_EQ(BLK_S_OK, status(d, st));
	EXPECT_EQ(1, d->file.kshim_fsyncs);
	EXPECT_EQ(1, stats(d).flush_reqs);
	d->file.kshim_err = -EIO;
	st = request(d, 0, BLK_T_FLUSH, 0, NULL, 0, false);
	kick(d, 0);
	EXPECT_EQ(BLK_S_IOERR, status(d, st));
	EXPECT_EQ(2, d->file.kshim_fsyncs);
	EXPECT_EQ(1, stats(d).flush_reqs);
	EXPECT_EQ(1, stats(d).errors);
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_EQ(2, used_idx(&d->vr[0]));
	EXPECT_EQ(1, io_errors);
	EXPECT_EQ(-EIO, io_error_last);
}

TEST_F(vblk, get_id)
{
	struct drv *d = &self->d;
	struct seg id = { BUF_GPA, 20, true };
	struct seg small = { BUF_GPA + 0x100, 8, true };
	struct seg big = { BUF_GPA + 0x200, 64, true };
	u64 st[3];
	u8 want[20] = "KESTREL-SERIAL-0001";

	memset(d->mem.ram + BUF_GPA, 0xee, 0x300);
	st[0] = request(d, 0, BLK_T_GET_ID, 0, &id, 1, false);
	st[1] = request(d, 0, BLK_T_GET_ID, 0, &small, 1, false);
	st[2] = request(d, 0, BLK_T_GET_ID, 0, &big, 1, true);
	kick(d, 0);
	ASSERT_EQ(3, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st[0]));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA, want, 20));
	EXPECT_EQ(21, used_len(&d->vr[0], 0));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x100, want, 8));
	EXPECT_EQ(0xee, d->mem.ram[BUF_GPA + 0x108]);
	EXPECT_EQ(9, used_len(&d->vr[0], 1));
	EXPECT_EQ(0, memcmp(d->mem.ram + BUF_GPA + 0x200, want, 20));
	EXPECT_EQ(0xee, d->mem.ram[BUF_GPA + 0x214]);
	EXPECT_EQ(21, used_len(&d->vr[0], 2));
	EXPECT_EQ(BLK_S_OK, status(d, st[2]));
}

TEST(get_id_no_serial)
{
	struct seg id = { BUF_GPA, 20, true };
	u8 zero[20] = { 0 };
	struct drv d;
	u64 st;

	drv_init(&d);
	drv_file(&d, FILE_SIZE, true);
	d.p.file = &d.file;
	d.blk = kestrel_virtio_blk_create(&d.p, NULL);
	ASSERT_FALSE(IS_ERR(d.blk));
	EXPECT_STREQ("virtio-blk", d.blk->name);
	drv_queues(&d, 0);
	d.vdev->ops->start(d.vdev);
	memset(d.mem.ram + BUF_GPA, 0xee, 20);
	st = request(&d, 0, BLK_T_GET_ID, 0, &id, 1, false);
	kick(&d, 0);
	EXPECT_EQ(BLK_S_OK, status(&d, st));
	EXPECT_EQ(0, memcmp(d.mem.ram + BUF_GPA, zero, 20));
	drv_destroy(&d);
}

TEST(readonly)
{
	struct seg w = { BUF_GPA, 512, false };
	struct seg r = { BUF_GPA + 0x1000, 512, true };
	u8 range[16] = { 0 };
	struct seg dis = { BUF_GPA + 0x2000, 16, false };
	struct drv d;
	u64 st[4];

	drv_create(&d, 1, true, 0);
	memset(d.file.kshim_data, 0x5a, 512);
	fill(&d, BUF_GPA, 512, 3);
	range[8] = 1;			/* one sector at 0 */
	memcpy(d.mem.ram + BUF_GPA + 0x2000, range, 16);
	st[0] = request(&d, 0, BLK_T_OUT, 0, &w, 1, false);
	st[1] = request(&d, 0, BLK_T_IN, 0, &r, 1, false);
	st[2] = request(&d, 0, BLK_T_DISCARD, 0, &dis, 1, false);
	st[3] = request(&d, 0, BLK_T_WRITE_ZEROES, 0, &dis, 1, false);
	kick(&d, 0);
	ASSERT_EQ(4, used_idx(&d.vr[0]));
	EXPECT_EQ(BLK_S_IOERR, status(&d, st[0]));
	EXPECT_EQ(BLK_S_OK, status(&d, st[1]));
	EXPECT_EQ(BLK_S_IOERR, status(&d, st[2]));
	EXPECT_EQ(BLK_S_IOERR, status(&d, st[3]));
	EXPECT_EQ(0x5a, d.file.kshim_data[0]);
	EXPECT_EQ(0x5a, d.mem.ram[BUF_GPA + 0x1000 + 511]);
	EXPECT_EQ(0, d.file.kshim_writes);
	EXPECT_EQ(0, d.file.kshim_fallocs);
	EXPECT_EQ(3, stats(&d).errors);
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

static void put_range(struct drv *d, u64 gpa, u64 sector, u32 num, u32 flags)
{
	struct blk_range r = {
		.sector = cpu_to_le64(sector),
		.num_sectors = cpu_to_le32(num),
		.flags = cpu_to_le32(flags),
	};

	memcpy(d->mem.ram + gpa, &r, sizeof(r));
}

TEST_F(vblk, discard_and_write_zeroes)
{
	struct drv *d = &self->d;
	struct seg two = { BUF_GPA, 32, false };
	struct seg one = { BUF_GPA + 0x100, 16, false };
	struct seg bad = { BUF_GPA + 0x200, 32, false };
	struct seg unmap = { BUF_GPA + 0x300, 16, false };
	struct seg odd = { BUF_GPA + 0x400, 20, false };
	u64 st[6];

	memset(d->file.kshim_data, 0x77, FILE_SIZE);
	put_range(d, BUF_GPA, 8, 8, 0);
	put_range(d, BUF_GPA + 16, 100, 1, 0);
	put_range(d, BUF_GPA + 0x100, 20, 4, BLK_RANGE_F_UNMAP);
	/* the second range is beyond the disk: nothing is done */
	put_range(d, BUF_GPA + 0x200, 30, 2, 0);
	put_range(d, BUF_GPA + 0x210, SECTORS - 1, 2, 0);
	put_range(d, BUF_GPA + 0x300, 40, 1, BLK_RANGE_F_UNMAP);
	st[0] = request(d, 0, BLK_T_DISCARD, 0, &two, 1, false);
	st[1] = request(d, 0, BLK_T_WRITE_ZEROES, 0, &one, 1, true);
	st[2] = request(d, 0, BLK_T_WRITE_ZEROES, 0, &bad, 1, false);
	st[3] = request(d, 0, BLK_T_DISCARD, 0, &unmap, 1, false);
	st[4] = request(d, 0, BLK_T_DISCARD, 0, &odd, 1, false);
	st[5] = request(d, 0, BLK_T_DISCARD, 0, NULL, 0, false);
	kick(d, 0);
	ASSERT_EQ(6, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st[1]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[2]));
	EXPECT_EQ(BLK_S_UNSUPP, status(d, st[3]));	/* unmap on discard */
	EXPECT_EQ(BLK_S_IOERR, status(d, st[4]));	/* not n * 16 */
	EXPECT_EQ(BLK_S_IOERR, status(d, st[5]));	/* no range */
	EXPECT_EQ(0x77, d->file.kshim_data[8 * 512 - 1]);
	EXPECT_EQ(0, d->file.kshim_data[8 * 512]);
	EXPECT_EQ(0, d->file.kshim_data[16 * 512 - 1]);
	EXPECT_EQ(0x77, d->file.kshim_data[16 * 512]);
	EXPECT_EQ(0, d->file.kshim_data[100 * 512 + 511]);
	EXPECT_EQ(0x77, d->file.kshim_data[101 * 512]);
	EXPECT_EQ(0, d->file.kshim_data[20 * 512]);
	EXPECT_EQ(0, d->file.kshim_data[24 * 512 - 1]);
	EXPECT_EQ(0x77, d->file.kshim_data[24 * 512]);
	EXPECT_EQ(0x77, d->file.kshim_data[30 * 512]);	/* st[2] */
	EXPECT_EQ(0x77, d->file.kshim_data[40 * 512]);	/* st[3] */
	EXPECT_EQ(3, d->file.kshim_fallocs);
	EXPECT_EQ(FALLOC_FL_KEEP_SIZE | FALLOC_FL_ZERO_RANGE,
		  d->file.kshim_falloc_mode);
	EXPECT_EQ(3, stats(d).errors);

	/* a reserved flag; then a backend that cannot */
	put_range(d, BUF_GPA + 0x100, 20, 4, 2);
	st[0] = request(d, 0, BLK_T_WRITE_ZEROES, 0, &one, 1, false);
	kick(d, 0);
	EXPECT_EQ(BLK_S_UNSUPP, status(d, st[0]));
	d->file.kshim_falloc_err = -EOPNOTSUPP;
	st[0] = request(d, 0, BLK_T_DISCARD, 0, &two, 1, false);
	kick(d, 0);
	EXPECT_EQ(BLK_S_UNSUPP, status(d, st[0]));
	EXPECT_EQ(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
		  d->file.kshim_falloc_mode);
	d->file.kshim_falloc_err = -ENOSPC;
	st[0] = request(d, 0, BLK_T_WRITE_ZEROES, 0, &two, 1, false);
	kick(d, 0);
	EXPECT_EQ(BLK_S_IOERR, status(d, st[0]));
	EXPECT_EQ(4, stats(d).errors);
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_EQ(0, resets_asked);
	/* only -ENOSPC was the backend's failure */
	EXPECT_EQ(1, io_errors);
	EXPECT_EQ(-ENOSPC, io_error_last);
}

TEST_F(vblk, backend_errors)
{
	struct drv *d = &self->d;
	struct seg r = { BUF_GPA, 4096, true };
	struct seg w = { BUF_GPA + 0x2000, 4096, false };
	u64 st[2];

	memset(d->file.kshim_data, 0x33, 4096);
	d->file.kshim_err = -EIO;
	st[0] = request(d, 0, BLK_T_IN, 0, &r, 1, false);
	st[1] = request(d, 0, BLK_T_IN, 0, &r, 1, false);
	kick(d, 0);
	ASSERT_EQ(2, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[0]));
	EXPECT_EQ(1, used_len(&d->vr[0], 0));
	EXPECT_EQ(BLK_S_OK, status(d, st[1]));	/* the next is fine */
	EXPECT_EQ(4097, used_len(&d->vr[0], 1));
	EXPECT_EQ(0x33, d->mem.ram[BUF_GPA + 4095]);
	EXPECT_EQ(1, stats(d).errors);
	EXPECT_EQ(1, stats(d).rd_reqs);
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_NE(NULL, strstr(kshim_last_warning, "test blk q0"));

	/* a short write, then a short read */
	d->file.kshim_short = true;
	st[0] = request(d, 0, BLK_T_OUT, 8, &w, 1, true);
	st[1] = request(d, 0, BLK_T_OUT, 8, &w, 1, true);
	kick(d, 0);
	EXPECT_EQ(BLK_S_IOERR, status(d, st[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st[1]));
	d->file.kshim_short = true;
	st[0] = request(d, 0, BLK_T_IN, 8, &r, 1, true);
	kick(d, 0);
	EXPECT_EQ(BLK_S_IOERR, status(d, st[0]));
	EXPECT_EQ(3, stats(d).errors);
	EXPECT_EQ(1, stats(d).wr_reqs);
	EXPECT_EQ(0, resets_asked);
	EXPECT_EQ(5, used_idx(&d->vr[0]));
	/* the host heard of each backend failure once */
	EXPECT_EQ(3, io_errors);
	EXPECT_EQ(-EIO, io_error_last);
	EXPECT_EQ(d, io_error_data);
}

TEST(file_shrank)
{
	struct seg r = { BUF_GPA, 1024, true };
	struct drv d;
	u64 st;

	drv_create(&d, 1, false, 0);
	d.file.kshim_inode.i_size = 512 * 10 + 512;
	st = request(&d, 0, BLK_T_IN, 10, &r, 1, false);
	kick(&d, 0);
	EXPECT_EQ(BLK_S_IOERR, status(&d, st));	/* a short read */
	EXPECT_EQ(1, stats(&d).errors);
	drv_destroy(&d);
}

/* One malformed chain on a fresh device: a reset is asked for, once. */
static void malformed(struct __test_metadata *_metadata,
		      const struct seg *s, unsigned int n, u32 type)
{
	struct drv d;
	struct seg ok = { BUF_GPA + 0x8000, 512, true };

	drv_create(&d, 1, false, 0);
	fill(&d, BUF_GPA, 0x100, 1);
	*(__le32 *)(d.mem.ram + BUF_GPA) = cpu_to_le32(type);
	*(__le64 *)(d.mem.ram + BUF_GPA + 8) = 0;
	chain(&d, 0, s, n, false);
	request(&d, 0, BLK_T_IN, 0, &ok, 1, false);
	kick(&d, 0);
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(&d.vr[0]));
	EXPECT_EQ(0, interrupts[0]);
	EXPECT_EQ(KESTREL_VQ_ERR_DEVICE, kestrel_vq_error(&d.blk->queues[0]->vq));
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_NE(NULL, strstr(kshim_last_warning, "test blk q0"));
	EXPECT_EQ(0, d.file.kshim_reads + d.file.kshim_writes);
	/* stopped, and quiet */
	kick(&d, 0);
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_EQ(0, used_idx(&d.vr[0]));
	/* a reset brings it back */
	drv_restart(&d);
	request(&d, 0, BLK_T_IN, 0, &ok, 1, false);
	kick(&d, 0);
	EXPECT_EQ(1, used_idx(&d.vr[0]));
	EXPECT_EQ(1, resets_asked);
	drv_destroy(&d);
}

TEST(malformed_no_status)
{
	struct seg s[] = {
		{ BUF_GPA, 16, false }, { BUF_GPA + 0x100, 512, false },
	};

	malformed(_metadata, s, 2, BLK_T_OUT);
}

TEST(malformed_short_header)
{
	struct seg s[] = {
		{ BUF_GPA, 8, false }, { BUF_GPA + 0x100, 1, true },
	};

	malformed(_metadata, s, 2, BLK_T_IN);
}

TEST(malformed_writable_header)
{
	struct seg s[] = {
		{ BUF_GPA, 16, true }, { BUF_GPA + 0x100, 513, true },
	};

	malformed(_metadata, s, 2, BLK_T_IN);
}

TEST(malformed_write_with_writable_data)
{
	struct seg s[] = {
		{ BUF_GPA, 16, false }, { BUF_GPA + 0x100, 512, false },
		{ BUF_GPA + 0x400, 512, true }, { BUF_GPA + 0x800, 1, true },
	};

	malformed(_metadata, s, 4, BLK_T_OUT);
}

TEST(malformed_read_with_readable_data)
{
	struct seg s[] = {
		{ BUF_GPA, 16, false }, { BUF_GPA + 0x100, 512, false },
		{ BUF_GPA + 0x800, 1, true },
	};

	malformed(_metadata, s, 3, BLK_T_IN);
}

TEST(malformed_flush_with_data)
{
	struct seg s[] = {
		{ BUF_GPA, 16, false }, { BUF_GPA + 0x100, 512, true },
	};

	malformed(_metadata, s, 2, BLK_T_FLUSH);
}

TEST_F(vblk, data_not_ram)
{
	struct drv *d = &self->d;
	struct seg r = { HOLE_START - 512, 1024, true };

	request(d, 0, BLK_T_IN, 0, &r, 1, false);
	kick(d, 0);
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(&d->vr[0]));
	EXPECT_EQ(KESTREL_VQ_ERR_BUF_FAULT,
		  kestrel_vq_error(&d->blk->queues[0]->vq));
	EXPECT_EQ(0, d->file.kshim_reads);
}

TEST_F(vblk, unknown_type)
{
	struct drv *d = &self->d;
	struct seg s = { BUF_GPA, 512, true };
	u64 st;

	st = request(d, 0, 10 /* GET_LIFETIME */, 0, &s, 1, false);
	kick(d, 0);
	EXPECT_EQ(BLK_S_UNSUPP, status(d, st));
	EXPECT_EQ(1, used_len(&d->vr[0], 0));
	EXPECT_EQ(0, stats(d).errors);
	EXPECT_EQ(0, resets_asked);
}

TEST(multi_queue)
{
	struct seg w = { BUF_GPA, 1024, false };
	struct seg r = { BUF_GPA + 0x1000, 1024, true };
	struct drv d;
	u64 st[2];

	drv_create(&d, NQ, false, ALL_F);
	fill(&d, BUF_GPA, 1024, 4);
	st[0] = request(&d, 1, BLK_T_OUT, 40, &w, 1, false);
	EXPECT_EQ(1, kick(&d, 1));
	EXPECT_EQ(1, used_idx(&d.vr[1]));
	EXPECT_EQ(0, used_idx(&d.vr[0]));
	EXPECT_EQ(1, interrupts[1]);
	EXPECT_EQ(0, interrupts[0]);
	st[1] = request(&d, 0, BLK_T_IN, 40, &r, 1, true);
	EXPECT_EQ(1, kick(&d, 0));
	EXPECT_EQ(1, used_idx(&d.vr[0]));
	EXPECT_EQ(1, interrupts[0]);
	EXPECT_EQ(BLK_S_OK, status(&d, st[0]));
	EXPECT_EQ(BLK_S_OK, status(&d, st[1]));
	EXPECT_EQ(0, memcmp(d.mem.ram + BUF_GPA, d.mem.ram + BUF_GPA + 0x1000,
			    1024));
	EXPECT_EQ(1, stats(&d).rd_reqs);
	EXPECT_EQ(1, stats(&d).wr_reqs);
	/* a queue that does not exist: nothing */
	EXPECT_EQ(0, kick(&d, NQ));
	EXPECT_EQ(0, kick(&d, 64));

	/* both queues break: one reset asked */
	set_desc(&d.mem, DESC_GPA(0), 5, BUF_GPA, 16, F_NEXT, 5);
	avail_add(&d.vr[0], 5);
	set_desc(&d.mem, DESC_GPA(1), 5, BUF_GPA, 16, F_NEXT, 5);
	avail_add(&d.vr[1], 5);
	kick(&d, 0);
	kick(&d, 1);
	EXPECT_EQ(1, resets_asked);
	drv_restart(&d);
	request(&d, 1, BLK_T_IN, 40, &r, 1, false);
	kick(&d, 1);
	EXPECT_EQ(1, used_idx(&d.vr[1]));
	drv_destroy(&d);
}

TEST_F(vblk, reset_with_requests_pending)
{
	struct drv *d = &self->d;
	struct seg w = { BUF_GPA, 512, false };
	u64 st;

	fill(d, BUF_GPA, 512, 5);
	st = request(d, 0, BLK_T_OUT, 0, &w, 1, false);
	d->vdev->ops->notify(d->vdev, 0);	/* queued, not run */
	d->vdev->ops->reset(d->vdev);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(&d->vr[0]));
	EXPECT_EQ(0xff, status(d, st));
	EXPECT_EQ(0, d->file.kshim_writes);
	EXPECT_FALSE(d->blk->queues[0]->vq.ready);
	EXPECT_EQ(0, d->blk->lock.held);
	/* after reset: kicks are ignored */
	EXPECT_EQ(0, kick(d, 0));
	EXPECT_EQ(0, used_idx(&d->vr[0]));

	/* the driver starts again with a fresh ring */
	drv_restart(d);
	st = request(d, 0, BLK_T_OUT, 0, &w, 1, false);
	kick(d, 0);
	EXPECT_EQ(1, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st));
}

TEST(requests_before_driver_ok)
{
	struct seg w = { BUF_GPA, 512, false };
	struct drv d;
	u64 st;

	drv_init(&d);
	drv_file(&d, FILE_SIZE, true);
	d.p.file = &d.file;
	d.blk = kestrel_virtio_blk_create(&d.p, "test blk");
	ASSERT_FALSE(IS_ERR(d.blk));
	drv_queues(&d, 0);
	st = request(&d, 0, BLK_T_OUT, 0, &w, 1, false);
	EXPECT_EQ(0, kick(&d, 0));		/* not started: ignored */
	d.vdev->ops->start(d.vdev);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(BLK_S_OK, status(&d, st));
	drv_destroy(&d);
}

TEST(destroy_with_work_pending)
{
	struct seg w = { BUF_GPA, 512, false };
	struct drv d;

	drv_create(&d, NQ, false, 0);
	request(&d, 0, BLK_T_OUT, 0, &w, 1, false);
	d.vdev->ops->notify(d.vdev, 0);
	d.vdev->ops->notify(d.vdev, 1);
	EXPECT_EQ(2, kshim_nr_work);
	drv_destroy(&d);		/* checks: no work, no worker, fput */
	EXPECT_EQ(0, kshim_nr_work);
}

TEST(event_idx)
{
	struct seg r = { BUF_GPA, 512, true };
	struct drv d;
	int i;

	drv_create(&d, 1, false, ALL_F);
	/* used_event 0: interrupt once the first is used */
	for (i = 0; i < QSIZE; i++)
		request(&d, 0, BLK_T_IN, i, &r, 1, true);
	EXPECT_EQ(1, kick(&d, 0));
	EXPECT_EQ(QSIZE, used_idx(&d.vr[0]));
	EXPECT_EQ(1, interrupts[0]);
	/* avail_event follows what was taken */
	EXPECT_EQ(QSIZE, avail_event(&d.vr[0]));
	/* the driver asks for nothing before used idx 100 */
	set_used_event(&d.vr[0], 100);
	request(&d, 0, BLK_T_IN, 0, &r, 1, true);
	kick(&d, 0);
	EXPECT_EQ(QSIZE + 1, used_idx(&d.vr[0]));
	EXPECT_EQ(1, interrupts[0]);
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST(fuzz)
{
	struct drv d;
	unsigned int iter, i, served = 0, restarts = 0;

	srandom(12345);
	drv_create(&d, NQ, false, ALL_F);
	for (iter = 0; iter < 3000; iter++) {
		u16 q = random() % NQ;
		unsigned int n = 1 + random() % 4;
		u16 u;

		if (random() % 2) {
			/* a request of random type, shape and range */
			static const u32 types[] = { 0, 1, 4, 8, 11, 13, 99 };
			u32 type = types[random() % 7];
			struct seg data[3];
			unsigned int k, nd = random() % 4;

			for (k = 0; k < nd; k++) {
				data[k].gpa = BUF_GPA + 0x4000 * k +
					      random() % 0x100;
				data[k].len = random() % 3 ?
					      512 * (1 + random() % 8) :
					      1 + random() % 0x3000;
				data[k].write = random() % 8 ? type != 1 :
						random() % 2;
				put_range(&d, data[k].gpa, random() % 600,
					  random() % 64, random() % 3);
			}
			u = used_idx(&d.vr[q]);
			request(&d, q, type, random() % 3 ? (u64)random() % 600 :
				(u64)random() << 20, data, nd, random() % 2);
			kick(&d, q);
			served += (u16)(used_idx(&d.vr[q]) - u);
			if (resets_asked) {
				restarts += resets_asked;
				drv_restart(&d);
				resets_asked = 0;
			}
			continue;
		}
		for (i = 0; i < n; i++) {
			u16 idx = random() % QSIZE;
			u64 addr = random() % 3 ? BUF_GPA + (u64)random() % 0x3f000 :
				   (u64)random() * random();
			u16 flags = random() % 8;
			u32 len = random() % 5 ? random() % 5000 :
				  (u32)random();

			/* sometimes a plausible header at addr */
			if (addr + 16 < HOLE_START && addr >= BUF_GPA &&
			    random() % 2) {
				*(__le32 *)(d.mem.ram + addr) =
					cpu_to_le32(random() % 15);
				*(__le64 *)(d.mem.ram + addr + 8) =
					cpu_to_le64(random() % 2 ?
						    random() % 600 : random());
			}
			if (flags & F_INDIRECT && random() % 2)
				addr = TABLE_GPA(q) + 16 * (random() % 64);
			set_desc(&d.mem,
				 random() % 4 ? DESC_GPA(q) : TABLE_GPA(q),
				 random() % 4 ? idx : random() % 64,
				 addr, len, flags, random() % (QSIZE + 2));
		}
		for (i = 0; i < n; i++)
			avail_add(&d.vr[q], random() % 8 ? random() % QSIZE :
				  random());
		if (random() % 50 == 0)
			put16(&d.mem, AVAIL_GPA(q) + 2, random());
		u = used_idx(&d.vr[q]);
		kick(&d, q);
		served += (u16)(used_idx(&d.vr[q]) - u);
		if (resets_asked || random() % 20 == 0) {
			restarts += resets_asked;
			drv_restart(&d);
			resets_asked = 0;
		}
	}
	/* still works */
	drv_restart(&d);
	{
		struct seg r = { BUF_GPA, 512, true };
		u64 st = request(&d, 1, BLK_T_IN, 0, &r, 1, false);

		kick(&d, 1);
		EXPECT_EQ(BLK_S_OK, status(&d, st));
	}
	EXPECT_EQ(0, kshim_warn_on);
	drv_destroy(&d);
	fprintf(stderr, "# fuzz: %u chains served, %u resets\n", served, restarts);
}

/* --- requests in flight (kshim_defer) --- */

static struct blk_queue *q0(struct drv *d)
{
	return d->blk->queues[0];
}

/* Nothing in flight, nothing waiting, every slot idle. */
static void idle(struct __test_metadata *_metadata, struct drv *d)
{
	EXPECT_EQ(0, kshim_nr_aio);
	EXPECT_EQ(0, atomic_read(&q0(d)->inflight));
	EXPECT_EQ(BLK_SLOTS, q0(d)->nr_free);
	EXPECT_EQ(0, q0(d)->writes);
	EXPECT_EQ(NULL, q0(d)->flush);
	EXPECT_EQ(NULL, q0(d)->done.first);
}

/* The head the next request() on queue @q gets (direct or indirect). */
static u16 next_head(struct drv *d, u16 q)
{
	return d->vr[q].next_desc % QSIZE;
}

/* wait_var_event's stand-in for the backend: the newest completes. */
static void complete_newest(void)
{
	if (!kshim_nr_aio)
		return;
	kshim_aio_complete(kshim_nr_aio - 1);
}

TEST_F(vblk, in_flight_reverse_completion)
{
	struct drv *d = &self->d;
	struct kestrel_virtio_blk_stats st;
	u64 sts[8];
	u16 head[8];
	u32 len[8];
	unsigned int i;

	d->file.kshim_defer = true;
	/* O_DIRECT and O_APPEND: the device takes DIRECT only */
	d->file.f_iocb_flags = IOCB_DIRECT | IOCB_APPEND;
	memset(d->file.kshim_data, 0x44, FILE_SIZE);
	/* 4 writes, then 4 reads of other sectors, lengths 1..4 KiB */
	for (i = 0; i < 8; i++) {
		struct seg sg = { BUF_GPA + 0x2000 * i, 1024 * (1 + i % 4),
				  i >= 4 };

		len[i] = sg.len;
		if (i < 4)
			fill(d, sg.gpa, sg.len, 20 + i);
		else
			memset(d->mem.ram + sg.gpa, 0, sg.len);
		head[i] = next_head(d, 0);
		sts[i] = request(d, 0, i < 4 ? BLK_T_OUT : BLK_T_IN, 16 * i,
				 &sg, 1, true);
	}
	EXPECT_EQ(1, kick(d, 0));
	/* all 8 with the backend, nothing answered yet */
	EXPECT_EQ(8, kshim_nr_aio);
	EXPECT_EQ(8, atomic_read(&q0(d)->inflight));
	EXPECT_EQ(BLK_SLOTS - 8, q0(d)->nr_free);
	EXPECT_EQ(4, q0(d)->writes);
	EXPECT_EQ(IOCB_DIRECT, kshim_aio_flags);	/* the last: a read */
	EXPECT_EQ(0, used_idx(&d->vr[0]));
	EXPECT_EQ(0, interrupts[0]);
	EXPECT_EQ(0xff, status(d, sts[0]));
	EXPECT_EQ(4, d->file.kshim_writes);
	EXPECT_EQ(4, d->file.kshim_reads);

	/* newest first; each completion queues the worker once */
	for (i = 0; i < 8; i++) {
		unsigned int r = 7 - i;

		EXPECT_EQ(len[r], kshim_aio_complete(kshim_nr_aio - 1));
		EXPECT_EQ(1, kshim_nr_work);
		EXPECT_EQ(i, used_idx(&d->vr[0]));	/* not before the worker */
		EXPECT_EQ(1, kshim_run_work());
		ASSERT_EQ(i + 1, used_idx(&d->vr[0]));
		EXPECT_EQ(head[r], used_id(&d->vr[0], i));
		EXPECT_EQ(r < 4 ? 1 : len[r] + 1, used_len(&d->vr[0], i));
		EXPECT_EQ(BLK_S_OK, status(d, sts[r]));
		EXPECT_EQ(i + 1, interrupts[0]);
	}
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, memcmp(d->file.kshim_data + 16 * 512 * i,
				    d->mem.ram + BUF_GPA + 0x2000 * i, len[i]));
	for (i = 4; i < 8; i++)
		EXPECT_EQ(0x44, d->mem.ram[BUF_GPA + 0x2000 * i + len[i] - 1]);
	st = stats(d);
	EXPECT_EQ(4, st.wr_reqs);
	EXPECT_EQ(4, st.rd_reqs);
	EXPECT_EQ(1024 + 2048 + 3072 + 4096, st.wr_bytes);
	EXPECT_EQ(1024 + 2048 + 3072 + 4096, st.rd_bytes);
	EXPECT_EQ(0, st.errors);
	EXPECT_EQ(0, io_errors);
	idle(_metadata, d);

	/* three complete together: one run, one interrupt for them */
	for (i = 0; i < 3; i++) {
		struct seg sg = { BUF_GPA + 0x2000 * i, 512, true };

		request(d, 0, BLK_T_IN, i, &sg, 1, false);
	}
	kick(d, 0);
	EXPECT_EQ(3, kshim_nr_aio);
	kshim_aio_complete(1);
	kshim_aio_complete(0);
	kshim_aio_complete(0);
	EXPECT_EQ(1, kshim_nr_work);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(11, used_idx(&d->vr[0]));
	EXPECT_EQ(9, interrupts[0]);
	idle(_metadata, d);
	EXPECT_EQ(0, resets_asked);
}

TEST(in_flight_pool_exhaustion)
{
	enum { N = BLK_SLOTS + 8 };
	struct drv d;
	u64 sts[N];
	unsigned int i, seen[N] = { 0 }, rounds = 0;
	u16 u;

	qsize = 64;
	drv_create(&d, 1, false, 1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC);
	d.file.kshim_defer = true;
	for (i = 0; i < SECTORS; i++)
		memset(d.file.kshim_data + 512 * i, (u8)i, 512);
	/* N reads of a sector each, indirect: one descriptor each */
	for (i = 0; i < N; i++) {
		struct seg sg = { BUF_GPA + 512 * i, 512, true };

		ASSERT_EQ(i, next_head(&d, 0));
		sts[i] = request(&d, 0, BLK_T_IN, 3 * i, &sg, 1, true);
	}
	kick(&d, 0);
	EXPECT_EQ(BLK_SLOTS, kshim_nr_aio);
	EXPECT_EQ(0, q0(&d)->nr_free);
	/* a kick with every slot busy takes nothing more */
	EXPECT_EQ(1, kick(&d, 0));
	EXPECT_EQ(BLK_SLOTS, kshim_nr_aio);
	EXPECT_EQ(BLK_SLOTS, d.file.kshim_reads);
	EXPECT_EQ(0, used_idx(&d.vr[0]));

	/* complete in a scrambled order, a few at a time */
	srandom(7);
	while (kshim_nr_aio) {
		unsigned int k = 1 + random() % 5;

		while (k-- && kshim_nr_aio)
			kshim_aio_complete(random() % kshim_nr_aio);
		kshim_run_work();
		ASSERT_LE(kshim_max_aio, BLK_SLOTS);
		ASSERT_LT(++rounds, 100);
	}
	ASSERT_EQ(N, used_idx(&d.vr[0]));
	for (u = 0; u < N; u++) {
		u32 id = used_id(&d.vr[0], u);

		ASSERT_LT(id, N);
		seen[id]++;
		EXPECT_EQ(513, used_len(&d.vr[0], u));
	}
	for (i = 0; i < N; i++) {
		EXPECT_EQ(1, seen[i]);		/* none lost, none twice */
		EXPECT_EQ(BLK_S_OK, status(&d, sts[i]));
		EXPECT_EQ((u8)(3 * i), d.mem.ram[BUF_GPA + 512 * i]);
		EXPECT_EQ((u8)(3 * i), d.mem.ram[BUF_GPA + 512 * i + 511]);
	}
	EXPECT_EQ(N, d.file.kshim_reads);
	EXPECT_EQ(N, stats(&d).rd_reqs);
	EXPECT_EQ(BLK_SLOTS, kshim_max_aio);
	idle(_metadata, &d);
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST_F(vblk, flush_waits_for_writes)
{
	struct drv *d = &self->d;
	struct seg w[3], r = { BUF_GPA + 0x8000, 512, true };
	u64 st_w[3], st_f, st_r;
	u16 head_f;
	unsigned int i;

	d->file.kshim_defer = true;
	for (i = 0; i < 3; i++) {
		w[i] = (struct seg){ BUF_GPA + 0x1000 * i, 512, false };
		fill(d, w[i].gpa, 512, 30 + i);
		st_w[i] = request(d, 0, BLK_T_OUT, i, &w[i], 1, true);
	}
	head_f = next_head(d, 0);
	st_f = request(d, 0, BLK_T_FLUSH, 0, NULL, 0, true);
	st_r = request(d, 0, BLK_T_IN, 0, &r, 1, true);
	kick(d, 0);
	/* the flush waits; nothing after it is taken meanwhile */
	EXPECT_EQ(3, kshim_nr_aio);
	EXPECT_EQ(0, d->file.kshim_fsyncs);
	EXPECT_EQ(0, d->file.kshim_reads);
	EXPECT_NE(NULL, q0(d)->flush);
	kshim_aio_complete(2);
	kshim_aio_complete(0);
	kshim_run_work();
	EXPECT_EQ(2, used_idx(&d->vr[0]));
	EXPECT_EQ(0, d->file.kshim_fsyncs);
	EXPECT_EQ(0xff, status(d, st_f));
	/* the last write completes: its data is in the file, then fsync */
	kshim_aio_complete(0);
	kshim_run_work();
	EXPECT_EQ(1, d->file.kshim_fsyncs);
	ASSERT_EQ(4, used_idx(&d->vr[0]));
	EXPECT_EQ(head_f, used_id(&d->vr[0], 3));	/* after the writes */
	EXPECT_EQ(1, used_len(&d->vr[0], 3));
	EXPECT_EQ(BLK_S_OK, status(d, st_f));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(BLK_S_OK, status(d, st_w[i]));
		EXPECT_EQ(0, memcmp(d->file.kshim_data + 512 * i,
				    d->mem.ram + w[i].gpa, 512));
	}
	EXPECT_EQ(1, stats(d).flush_reqs);
	/* then the read behind it was taken */
	EXPECT_EQ(1, kshim_nr_aio);
	EXPECT_EQ(1, d->file.kshim_reads);
	kshim_aio_complete(0);
	kshim_run_work();
	EXPECT_EQ(5, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st_r));
	idle(_metadata, d);
	EXPECT_EQ(0, kshim_aio_flags);		/* buffered: no flag */

	/* reads in flight do not hold a flush back */
	request(d, 0, BLK_T_IN, 0, &r, 1, true);
	st_f = request(d, 0, BLK_T_FLUSH, 0, NULL, 0, true);
	kick(d, 0);
	EXPECT_EQ(1, kshim_nr_aio);
	EXPECT_EQ(2, d->file.kshim_fsyncs);
	EXPECT_EQ(6, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st_f));
	kshim_aio_complete(0);
	kshim_run_work();
	EXPECT_EQ(7, used_idx(&d->vr[0]));
	idle(_metadata, d);
}

TEST_F(vblk, reset_with_requests_in_flight)
{
	struct drv *d = &self->d;
	struct seg w = { BUF_GPA, 4096, false };
	struct seg r = { BUF_GPA + 0x2000, 4096, true };
	u64 st[6];
	unsigned int i;

	d->file.kshim_defer = true;
	fill(d, BUF_GPA, 4096, 8);
	for (i = 0; i < 4; i++)
		st[i] = request(d, 0, i % 2 ? BLK_T_IN : BLK_T_OUT, 8 * i,
				i % 2 ? &r : &w, 1, true);
	st[4] = request(d, 0, BLK_T_FLUSH, 0, NULL, 0, true);
	st[5] = request(d, 0, BLK_T_IN, 0, &r, 1, true);
	kick(d, 0);
	EXPECT_EQ(4, kshim_nr_aio);
	EXPECT_NE(NULL, q0(d)->flush);
	/* one completes, its worker not run yet: on the done list */
	kshim_aio_complete(0);
	EXPECT_EQ(1, kshim_nr_work);

	/* reset waits for the backend to give every slot back */
	kshim_wait_hook = complete_newest;
	kshim_waits = 0;
	d->vdev->ops->reset(d->vdev);
	EXPECT_EQ(3, kshim_waits);
	EXPECT_EQ(0, kshim_nr_aio);
	EXPECT_EQ(0, kshim_nr_work);		/* the completions' work too */
	idle(_metadata, d);
	EXPECT_FALSE(q0(d)->vq.ready);
	EXPECT_EQ(0, d->blk->lock.held);
	/* the requests were dropped, unanswered */
	EXPECT_EQ(0, used_idx(&d->vr[0]));
	EXPECT_EQ(0, interrupts[0]);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(0xff, status(d, st[i]));
	EXPECT_EQ(0, d->file.kshim_fsyncs);
	EXPECT_EQ(0, stats(d).wr_reqs + stats(d).rd_reqs);
	EXPECT_EQ(0, resets_asked);
	/* nothing comes later either */
	EXPECT_EQ(0, kick(d, 0));

	/* a fresh start works, every slot usable */
	kshim_wait_hook = NULL;
	drv_restart(d);
	st[0] = request(d, 0, BLK_T_OUT, 0, &w, 1, false);
	kick(d, 0);
	EXPECT_EQ(1, kshim_nr_aio);
	EXPECT_EQ(IOCB_WRITE, kshim_aio_flags);
	kshim_aio_complete(0);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st[0]));
	idle(_metadata, d);
	/* a reset with nothing in flight does not wait */
	d->vdev->ops->reset(d->vdev);
	EXPECT_EQ(3, kshim_waits);
	drv_restart(d);
}

TEST(destroy_with_requests_in_flight)
{
	struct seg r = { BUF_GPA, 512, true };
	struct drv d;

	drv_create(&d, NQ, false, 0);
	d.file.kshim_defer = true;
	request(&d, 0, BLK_T_IN, 0, &r, 1, false);
	request(&d, 1, BLK_T_IN, 0, &r, 1, false);
	request(&d, 1, BLK_T_IN, 1, &r, 1, false);
	kick(&d, 0);
	kick(&d, 1);
	EXPECT_EQ(3, kshim_nr_aio);
	kshim_wait_hook = complete_newest;
	kshim_waits = 0;
	drv_destroy(&d);		/* checks: no work, no worker, fput */
	EXPECT_EQ(0, kshim_nr_aio);
	EXPECT_EQ(3, kshim_waits);
}

TEST_F(vblk, in_flight_errors)
{
	struct drv *d = &self->d;
	struct seg r = { BUF_GPA, 4096, true };
	struct seg w = { BUF_GPA + 0x2000, 4096, false };
	u64 st[4];

	d->file.kshim_defer = true;
	memset(d->file.kshim_data, 0x33, 8192);
	/* the first fails at completion, the second is fine */
	d->file.kshim_err = -EIO;
	st[0] = request(d, 0, BLK_T_IN, 0, &r, 1, false);
	st[1] = request(d, 0, BLK_T_IN, 8, &r, 1, false);
	kick(d, 0);
	EXPECT_EQ(2, kshim_nr_aio);
	EXPECT_EQ(0, io_errors);
	EXPECT_EQ(4096, kshim_aio_complete(1));
	EXPECT_EQ(-EIO, kshim_aio_complete(0));
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_OK, status(d, st[1]));
	EXPECT_EQ(4097, used_len(&d->vr[0], 0));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[0]));
	EXPECT_EQ(1, used_len(&d->vr[0], 1));
	EXPECT_EQ(1, io_errors);
	EXPECT_EQ(-EIO, io_error_last);
	EXPECT_EQ(d, io_error_data);
	EXPECT_EQ(1, stats(d).errors);
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_NE(NULL, strstr(kshim_last_warning, "read of 4096 bytes"));

	/* short transfers: a write, a read */
	d->file.kshim_short = true;
	st[2] = request(d, 0, BLK_T_OUT, 16, &w, 1, true);
	kick(d, 0);
	d->file.kshim_short = true;
	st[3] = request(d, 0, BLK_T_IN, 16, &r, 1, true);
	kick(d, 0);
	EXPECT_EQ(2, kshim_nr_aio);
	EXPECT_EQ(2048, kshim_aio_complete(0));
	EXPECT_EQ(2048, kshim_aio_complete(0));
	kshim_run_work();
	EXPECT_EQ(4, used_idx(&d->vr[0]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[2]));
	EXPECT_EQ(BLK_S_IOERR, status(d, st[3]));
	EXPECT_EQ(3, io_errors);
	EXPECT_EQ(-EIO, io_error_last);
	EXPECT_EQ(3, stats(d).errors);
	EXPECT_EQ(0, stats(d).wr_reqs);
	EXPECT_EQ(1, stats(d).rd_reqs);
	idle(_metadata, d);
	EXPECT_EQ(0, resets_asked);
}

/* One request bigger than BLK_BVECS page pieces: in two pieces. */
static void big_write(struct __test_metadata *_metadata, bool defer)
{
	enum { SEGS = 14, LEN = 80 * 1024 };
	struct seg s[SEGS];
	struct drv d;
	unsigned int i;
	u64 st;

	drv_create_size(&d, 1, false, 1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC,
			2 << 20);
	d.file.kshim_defer = defer;
	/* the same 80 KiB, not page aligned, 14 times: 294 page pieces */
	fill(&d, BUF_GPA + 0x800, LEN, 77);
	for (i = 0; i < SEGS; i++)
		s[i] = (struct seg){ BUF_GPA + 0x800, LEN, false };
	st = request(&d, 0, BLK_T_OUT, 8, s, SEGS, true);
	kick(&d, 0);
	if (defer) {
		EXPECT_EQ(1, kshim_nr_aio);
		/* 12 segments of 21 pieces, 4 of the 13th */
		EXPECT_EQ(12 * LEN + 2048 + 3 * 4096, kshim_aio_complete(0));
		EXPECT_EQ(0, d.file.kshim_writes - 1);
		kshim_run_work();
		/* the second piece, submitted by the worker */
		EXPECT_EQ(0, used_idx(&d.vr[0]));
		EXPECT_EQ(1, kshim_nr_aio);
		EXPECT_EQ(2, d.file.kshim_writes);
		kshim_aio_complete(0);
		kshim_run_work();
	}
	EXPECT_EQ(2, d.file.kshim_writes);
	ASSERT_EQ(1, used_idx(&d.vr[0]));
	EXPECT_EQ(BLK_S_OK, status(&d, st));
	for (i = 0; i < SEGS; i++)
		EXPECT_EQ(0, memcmp(d.file.kshim_data + 8 * 512 + LEN * i,
				    d.mem.ram + BUF_GPA + 0x800, LEN));
	EXPECT_EQ(SEGS * LEN, stats(&d).wr_bytes);
	idle(_metadata, &d);

	/* the first piece short: IOERR, no second piece */
	d.file.kshim_short = true;
	st = request(&d, 0, BLK_T_OUT, 8, s, SEGS, true);
	kick(&d, 0);
	if (defer) {
		kshim_aio_complete(0);
		kshim_run_work();
	}
	EXPECT_EQ(3, d.file.kshim_writes);
	EXPECT_EQ(2, used_idx(&d.vr[0]));
	EXPECT_EQ(BLK_S_IOERR, status(&d, st));
	EXPECT_EQ(1, io_errors);
	idle(_metadata, &d);
	drv_destroy(&d);
}

TEST(big_request_in_pieces)
{
	big_write(_metadata, false);
}

TEST(big_request_in_pieces_in_flight)
{
	big_write(_metadata, true);
}

TEST(in_flight_fuzz)
{
	struct drv d;
	unsigned int iter, served = 0, restarts = 0;

	srandom(999);
	qsize = 64;
	drv_create(&d, 1, false, ALL_F);
	d.file.kshim_defer = true;
	for (iter = 0; iter < 4000; iter++) {
		unsigned int what = random() % 10;

		if (what < 4 &&
		    (u16)(d.vr[0].avail_idx - used_idx(&d.vr[0])) < 48) {
			static const u32 types[] = { 0, 0, 0, 1, 1, 1, 4, 8, 13 };
			u32 type = types[random() % 9];
			struct seg sg = {
				BUF_GPA + 0x1000 * (random() % 16),
				512 * (1 + random() % 8), type != 1,
			};

			if (type == 13) {
				sg.len = 16;
				sg.write = false;
				put_range(&d, sg.gpa, random() % 500, 4, 0);
			}
			if (type == 4) {
				request(&d, 0, type, 0, NULL, 0, true);
			} else {
				if (random() % 8 == 0)
					d.file.kshim_err = -EIO;
				request(&d, 0, type, random() % 500, &sg, 1,
					true);
			}
			/* reuse what chains popped long ago used */
			if (d.scratch > SCRATCH_END - 0x100)
				d.scratch = SCRATCH_GPA;
			if (d.next_table[0] > 0x4000 - 0x100)
				d.next_table[0] = 0;
			kick(&d, 0);
		} else if (what < 7 && kshim_nr_aio) {
			kshim_aio_complete(random() % kshim_nr_aio);
			if (random() % 2)
				kshim_run_work();
		} else {
			kshim_run_work();
		}
		d.file.kshim_err = 0;
		ASSERT_LE(kshim_nr_aio, BLK_SLOTS);
		ASSERT_EQ(0, resets_asked);
		if (random() % 300 == 0) {
			restarts++;
			kshim_wait_hook = complete_newest;
			drv_restart(&d);
			kshim_wait_hook = NULL;
			idle(_metadata, &d);
		}
	}
	while (kshim_nr_aio) {
		kshim_aio_complete(0);
		kshim_run_work();
	}
	served = used_idx(&d.vr[0]);
	EXPECT_EQ(d.vr[0].avail_idx, served);
	EXPECT_EQ(stats(&d).errors, io_errors);
	idle(_metadata, &d);
	EXPECT_EQ(0, kshim_warn_on);
	fprintf(stderr, "# in_flight_fuzz: %u reads, %u writes, %u fsyncs, %u I/O errors, at most %u in flight, %u restarts\n",
		d.file.kshim_reads, d.file.kshim_writes, d.file.kshim_fsyncs,
		io_errors, kshim_max_aio, restarts);
	drv_destroy(&d);
}

TEST_HARNESS_MAIN
