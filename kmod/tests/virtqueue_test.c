// SPDX-License-Identifier: GPL-2.0
/*
 * The split virtqueue (kmod/virtio/virtqueue.c) against the driver model
 * of vring_model.h, then the packed one ("packed rings" below): descriptor tables, the available ring and the used
 * ring in a fake guest RAM with a hole that is not RAM.  Well-formed
 * chains, event index and flag based suppression (with 16-bit
 * wraparound), every malformed case, and a fuzz loop over random rings.
 */
#include "kshim.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../virtio/virtqueue.c"

#include <stdlib.h>

#include "vring_model.h"
#include "kselftest_harness.h"

#define DESC_GPA	0x1000u
#define AVAIL_GPA	0x9000u
#define USED_GPA	0xa000u
#define TABLE_GPA	0x20000u	/* indirect tables */
#define BUF_GPA		0x40000u	/* data buffers */
#define QSIZE		16

struct drv {
	struct kestrel_mem mem;
	struct kestrel_virtio_queue q;
	struct vring vr;
	struct kestrel_vq vq;
	struct kestrel_vq_seg segs[2 * QSIZE];
	struct kestrel_vq_chain chain;
};

static void drv_setup(struct drv *d, u16 size)
{
	memset(d, 0, sizeof(*d));
	ram_alloc(&d->mem);
	vring_init(&d->vr, &d->mem, size, DESC_GPA, AVAIL_GPA, USED_GPA);
	vring_to_queue(&d->vr, &d->q);
	d->chain.segs = d->segs;
	d->chain.max_segs = 2 * QSIZE;
	kshim_warnings = 0;
}

static int drv_init(struct drv *d, u64 features)
{
	return kestrel_vq_init(&d->vq, &d->mem, &d->q, features, "test vq");
}

static int pop(struct drv *d)
{
	return kestrel_vq_pop(&d->vq, &d->chain);
}

FIXTURE(vq) {
	struct drv d;
};

FIXTURE_SETUP(vq)
{
	drv_setup(&self->d, QSIZE);
	ASSERT_EQ(0, drv_init(&self->d, FEAT_INDIRECT));
}

FIXTURE_TEARDOWN(vq)
{
	free(self->d.mem.ram);
}

/* The queue is broken for @err, returned @ret, and said so once. */
#define EXPECT_BROKEN(d, ret, expect_ret, err) do { \
	EXPECT_EQ(expect_ret, ret); \
	EXPECT_EQ(err, kestrel_vq_error(&(d)->vq)); \
	EXPECT_EQ(1, kshim_warnings); \
	EXPECT_EQ(-EIO, pop(d)); \
	EXPECT_EQ(-EIO, kestrel_vq_push(&(d)->vq, 0, 0)); \
	EXPECT_FALSE(kestrel_vq_should_interrupt(&(d)->vq)); \
	EXPECT_EQ(1, kshim_warnings); \
} while (0)

TEST_F(vq, empty)
{
	EXPECT_EQ(0, pop(&self->d));
	EXPECT_EQ(0, pop(&self->d));
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(vq, simple_chain)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 3, BUF_GPA, 100, F_WRITE, 0);
	avail_add(&d->vr, 3);
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(3, d->chain.head);
	EXPECT_EQ(0, d->chain.n_out);
	EXPECT_EQ(1, d->chain.n_in);
	EXPECT_EQ(100, d->chain.in_len);
	EXPECT_EQ(0, d->chain.out_len);
	EXPECT_EQ(BUF_GPA, d->segs[0].gpa);
	EXPECT_EQ(100, d->segs[0].len);
	EXPECT_TRUE(d->segs[0].write);
	EXPECT_EQ(0, pop(d));

	EXPECT_EQ(0, used_idx(&d->vr));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 3, 42));
	EXPECT_EQ(1, used_idx(&d->vr));
	EXPECT_EQ(3, used_id(&d->vr, 0));
	EXPECT_EQ(42, used_len(&d->vr, 0));
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(vq, read_and_write_parts)
{
	struct drv *d = &self->d;
	u8 in[40], out[64];
	int i;

	/* 10 + 30 readable, 16 + 48 writable, out of order in the table */
	set_desc(&d->mem, DESC_GPA, 5, BUF_GPA, 10, F_NEXT, 2);
	set_desc(&d->mem, DESC_GPA, 2, BUF_GPA + 0x100, 30, F_NEXT, 9);
	set_desc(&d->mem, DESC_GPA, 9, BUF_GPA + 0x200, 16,
		 F_NEXT | F_WRITE, 0);
	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA + 0x300, 48, F_WRITE, 7);
	for (i = 0; i < 10; i++)
		d->mem.ram[BUF_GPA + i] = i;
	for (i = 0; i < 30; i++)
		d->mem.ram[BUF_GPA + 0x100 + i] = 10 + i;
	avail_add(&d->vr, 5);

	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(5, d->chain.head);
	EXPECT_EQ(2, d->chain.n_out);
	EXPECT_EQ(2, d->chain.n_in);
	EXPECT_EQ(40, d->chain.out_len);
	EXPECT_EQ(64, d->chain.in_len);
	EXPECT_FALSE(d->segs[1].write);
	EXPECT_TRUE(d->segs[2].write);

	/* readable part, whole and from an offset across segments */
	memset(in, 0xff, sizeof(in));
	EXPECT_EQ(40, kestrel_vq_copy_from_chain(&d->vq, &d->chain, 0, in, 40));
	for (i = 0; i < 40; i++)
		EXPECT_EQ(i, in[i]);
	memset(in, 0xff, sizeof(in));
	EXPECT_EQ(32, kestrel_vq_copy_from_chain(&d->vq, &d->chain, 8, in,
						 sizeof(in)));
	EXPECT_EQ(8, in[0]);
	EXPECT_EQ(39, in[31]);
	EXPECT_EQ(0, kestrel_vq_copy_from_chain(&d->vq, &d->chain, 40, in, 1));

	/* writable part: 20 bytes at offset 10 straddle both segments */
	for (i = 0; i < 64; i++)
		out[i] = 0x80 + i;
	EXPECT_EQ(20, kestrel_vq_copy_to_chain(&d->vq, &d->chain, 10, out, 20));
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 0x200 + 9]);
	EXPECT_EQ(0x80, d->mem.ram[BUF_GPA + 0x200 + 10]);
	EXPECT_EQ(0x85, d->mem.ram[BUF_GPA + 0x200 + 15]);
	EXPECT_EQ(0x86, d->mem.ram[BUF_GPA + 0x300]);
	EXPECT_EQ(0x93, d->mem.ram[BUF_GPA + 0x300 + 13]);
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 0x300 + 14]);
	/* more than the part holds: short count */
	EXPECT_EQ(64, kestrel_vq_copy_to_chain(&d->vq, &d->chain, 0, out, 64));
	EXPECT_EQ(0, kestrel_vq_copy_to_chain(&d->vq, &d->chain, 64, out, 8));
	/* the readable part was not written */
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 0]);
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(vq, zero_length_buffers_skipped)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 0, F_NEXT, 1);
	set_desc(&d->mem, DESC_GPA, 1, BUF_GPA, 8, F_NEXT, 2);
	set_desc(&d->mem, DESC_GPA, 2, 0xffffffffffffffffULL, 0,
		 F_NEXT | F_WRITE, 3);
	set_desc(&d->mem, DESC_GPA, 3, BUF_GPA, 4, F_WRITE, 0);
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(1, d->chain.n_out);
	EXPECT_EQ(1, d->chain.n_in);
	EXPECT_EQ(8, d->chain.out_len);
	EXPECT_EQ(4, d->chain.in_len);
}

TEST_F(vq, longest_direct_chain)
{
	struct drv *d = &self->d;
	int i;

	for (i = 0; i < QSIZE; i++)
		set_desc(&d->mem, DESC_GPA, i, BUF_GPA + i, 1,
			 i < QSIZE - 1 ? F_NEXT : 0, (i + 1) % QSIZE);
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(QSIZE, d->chain.n_out);
	EXPECT_EQ(QSIZE, d->chain.out_len);
}

TEST_F(vq, indirect)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 4, TABLE_GPA, 3 * 16,
		 F_INDIRECT | F_WRITE, 0);
	set_desc(&d->mem, TABLE_GPA, 0, BUF_GPA, 12, F_NEXT, 2);
	set_desc(&d->mem, TABLE_GPA, 2, BUF_GPA + 0x100, 20,
		 F_NEXT | F_WRITE, 1);
	set_desc(&d->mem, TABLE_GPA, 1, BUF_GPA + 0x200, 30, F_WRITE, 0);
	avail_add(&d->vr, 4);
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(4, d->chain.head);
	EXPECT_EQ(1, d->chain.n_out);
	EXPECT_EQ(2, d->chain.n_in);
	EXPECT_EQ(12, d->chain.out_len);
	EXPECT_EQ(50, d->chain.in_len);
	EXPECT_EQ(BUF_GPA + 0x200, d->segs[2].gpa);
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(vq, direct_then_indirect)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 8, F_NEXT, 1);
	set_desc(&d->mem, DESC_GPA, 1, TABLE_GPA, QSIZE * 16, F_INDIRECT, 0);
	set_desc(&d->mem, TABLE_GPA, 0, BUF_GPA + 8, 8, F_WRITE, 0);
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(1, d->chain.n_out);
	EXPECT_EQ(1, d->chain.n_in);
}

TEST_F(vq, several_chains_in_order_and_unpop)
{
	struct drv *d = &self->d;
	int i;

	for (i = 0; i < QSIZE; i++) {
		set_desc(&d->mem, DESC_GPA, i, BUF_GPA + 0x10 * i, i + 1,
			 F_WRITE, 0);
		avail_add(&d->vr, QSIZE - 1 - i);
	}
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(QSIZE - 1, d->chain.head);
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(QSIZE - 2, d->chain.head);
	kestrel_vq_unpop(&d->vq, 2);
	for (i = 0; i < QSIZE; i++) {
		ASSERT_EQ(1, pop(d));
		EXPECT_EQ(QSIZE - 1 - i, d->chain.head);
		EXPECT_EQ(QSIZE - i, d->chain.in_len);
		ASSERT_EQ(0, kestrel_vq_push(&d->vq, d->chain.head, i));
	}
	EXPECT_EQ(0, pop(d));
	EXPECT_EQ(QSIZE, used_idx(&d->vr));
	for (i = 0; i < QSIZE; i++) {
		EXPECT_EQ(QSIZE - 1 - i, used_id(&d->vr, i));
		EXPECT_EQ(i, used_len(&d->vr, i));
	}
}

/* Many rounds through the ring: the 16-bit indexes wrap. */
TEST_F(vq, index_wraparound)
{
	struct drv *d = &self->d;
	u32 round;

	set_desc(&d->mem, DESC_GPA, 1, BUF_GPA, 4, F_WRITE, 0);
	for (round = 0; round < 70000; round++) {
		avail_add(&d->vr, 1);
		ASSERT_EQ(1, pop(d));
		ASSERT_EQ(0, kestrel_vq_push(&d->vq, 1, round));
	}
	EXPECT_EQ((u16)70000, used_idx(&d->vr));
	EXPECT_EQ(69999, used_len(&d->vr, (u16)69999));
}

TEST(need_event_rule)
{
	/* event, new, old -> need */
	static const struct { u16 e, n, o; bool need; } c[] = {
		{ 0, 1, 0, true },		/* crossed exactly */
		{ 0, 0, 0, false },		/* nothing new */
		{ 5, 5, 0, false },		/* not yet past 5 */
		{ 5, 6, 0, true },
		{ 5, 10, 6, false },		/* passed before, old news */
		{ 5, 10, 5, true },
		{ 0xffff, 0, 0xfffe, true },	/* wraps */
		{ 0xffff, 0xffff, 0xfffe, false },
		{ 0xfffe, 2, 0xfff0, true },
		{ 3, 2, 0xfff0, false },
		{ 0xfff0, 2, 0xfff5, false },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++)
		EXPECT_EQ(c[i].need, vq_need_event(c[i].e, c[i].n, c[i].o))
			TH_LOG("case %u", i);
}

/* Set the device's and the driver's indexes to @idx (a ring in use). */
static void start_at(struct drv *d, u16 idx)
{
	d->vq.last_avail = d->vq.avail_idx = d->vq.used_idx = idx;
	d->vr.avail_idx = idx;
	put16(&d->mem, AVAIL_GPA + 2, idx);
	put16(&d->mem, USED_GPA + 2, idx);
}

TEST_F(vq, event_idx_interrupts)
{
	struct drv *d = &self->d;
	u16 base = 0xfffd;		/* wraps during the test */
	int i;

	ASSERT_EQ(0, drv_init(d, FEAT_EVENT_IDX));
	start_at(d, base);
	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 4, F_WRITE, 0);

	/* the first decision always interrupts (nothing known yet) */
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 0, 4));
	set_used_event(&d->vr, base);
	EXPECT_TRUE(kestrel_vq_should_interrupt(&d->vq));
	/* nothing new since */
	EXPECT_FALSE(kestrel_vq_should_interrupt(&d->vq));

	/* the driver wants one once used idx passes base + 3 */
	set_used_event(&d->vr, (u16)(base + 3));
	for (i = 1; i <= 5; i++) {
		avail_add(&d->vr, 0);
		ASSERT_EQ(1, pop(d));
		ASSERT_EQ(0, kestrel_vq_push(&d->vq, 0, 4));
		/* used idx is now base + 1 + i: past base + 3 once i == 3 */
		EXPECT_EQ(i == 3, kestrel_vq_should_interrupt(&d->vq))
			TH_LOG("push %d", i);
	}

	/* a batch of three that crosses the event interrupts once */
	set_used_event(&d->vr, (u16)(base + 8));
	for (i = 0; i < 3; i++) {
		avail_add(&d->vr, 0);
		ASSERT_EQ(1, pop(d));
		ASSERT_EQ(0, kestrel_vq_push(&d->vq, 0, 4));
	}
	EXPECT_TRUE(kestrel_vq_should_interrupt(&d->vq));
	/* the NO_INTERRUPT flag means nothing with EVENT_IDX */
	put16(&d->mem, AVAIL_GPA, KESTREL_VRING_AVAIL_F_NO_INTERRUPT);
	set_used_event(&d->vr, (u16)(base + 9));
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 0, 4));
	EXPECT_TRUE(kestrel_vq_should_interrupt(&d->vq));
	EXPECT_EQ((u16)(base + 10), used_idx(&d->vr));
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(vq, no_interrupt_flag)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 4, F_WRITE, 0);
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 0, 4));
	EXPECT_TRUE(kestrel_vq_should_interrupt(&d->vq));
	put16(&d->mem, AVAIL_GPA, KESTREL_VRING_AVAIL_F_NO_INTERRUPT);
	EXPECT_FALSE(kestrel_vq_should_interrupt(&d->vq));
	/* used_event means nothing without EVENT_IDX */
	set_used_event(&d->vr, 0);
	EXPECT_FALSE(kestrel_vq_should_interrupt(&d->vq));
	put16(&d->mem, AVAIL_GPA, 0);
	EXPECT_TRUE(kestrel_vq_should_interrupt(&d->vq));
}

TEST_F(vq, notify_flags)
{
	struct drv *d = &self->d;

	EXPECT_EQ(0, get16(&d->mem, USED_GPA));
	kestrel_vq_disable_notify(&d->vq);
	EXPECT_EQ(KESTREL_VRING_USED_F_NO_NOTIFY, get16(&d->mem, USED_GPA));
	/* nothing new: stays enabled */
	EXPECT_FALSE(kestrel_vq_enable_notify(&d->vq));
	EXPECT_EQ(0, get16(&d->mem, USED_GPA));

	kestrel_vq_disable_notify(&d->vq);
	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 4, F_WRITE, 0);
	avail_add(&d->vr, 0);		/* arrives while disabled */
	EXPECT_TRUE(kestrel_vq_enable_notify(&d->vq));
	EXPECT_EQ(0, get16(&d->mem, USED_GPA));
	ASSERT_EQ(1, pop(d));
	EXPECT_FALSE(kestrel_vq_enable_notify(&d->vq));
	/* avail_event is untouched without EVENT_IDX */
	EXPECT_EQ(0, avail_event(&d->vr));
}

TEST_F(vq, notify_event_idx)
{
	struct drv *d = &self->d;

	ASSERT_EQ(0, drv_init(d, FEAT_EVENT_IDX));
	start_at(d, 0xfffe);
	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 4, F_WRITE, 0);

	kestrel_vq_disable_notify(&d->vq);
	EXPECT_EQ(0, get16(&d->mem, USED_GPA));	/* no flag with EVENT_IDX */
	EXPECT_FALSE(kestrel_vq_enable_notify(&d->vq));
	EXPECT_EQ(0xfffe, avail_event(&d->vr));

	avail_add(&d->vr, 0);
	avail_add(&d->vr, 0);
	EXPECT_TRUE(kestrel_vq_enable_notify(&d->vq));
	ASSERT_EQ(1, pop(d));
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(0, pop(d));
	EXPECT_FALSE(kestrel_vq_enable_notify(&d->vq));
	EXPECT_EQ(0, avail_event(&d->vr));		/* wrapped */
	EXPECT_EQ(0, get16(&d->mem, USED_GPA));
}

/* ---- configuration errors ---- */

TEST(init_checks)
{
	static const struct {
		u16 size;
		u64 desc, avail, used;
		int ret;
		enum kestrel_vq_err err;
	} c[] = {
		{ 16, DESC_GPA, AVAIL_GPA, USED_GPA, 0, KESTREL_VQ_OK },
		{ 32768, 0, 0xe1000, 0x90000, 0, KESTREL_VQ_OK },
		{ 0, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL, KESTREL_VQ_ERR_SIZE },
		{ 24, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL, KESTREL_VQ_ERR_SIZE },
		{ 65535, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL, KESTREL_VQ_ERR_SIZE },
		{ 16, DESC_GPA + 8, AVAIL_GPA, USED_GPA, -EINVAL, KESTREL_VQ_ERR_ALIGN },
		{ 16, DESC_GPA, AVAIL_GPA + 1, USED_GPA, -EINVAL, KESTREL_VQ_ERR_ALIGN },
		{ 16, DESC_GPA, AVAIL_GPA, USED_GPA + 2, -EINVAL, KESTREL_VQ_ERR_ALIGN },
		/* beyond RAM, in the hole, straddling it, at the top of 2^64 */
		{ 16, RAM_SIZE, AVAIL_GPA, USED_GPA, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
		{ 16, DESC_GPA, RAM_SIZE - 8, USED_GPA, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
		{ 16, DESC_GPA, AVAIL_GPA, HOLE_START + 0x100, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
		{ 16, DESC_GPA, AVAIL_GPA, HOLE_START - 8, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
		{ 4096, HOLE_START - 0x1000, AVAIL_GPA, USED_GPA, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
		{ 16384, 0x70000, AVAIL_GPA, USED_GPA, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
		{ 16, ~0xfULL, AVAIL_GPA, USED_GPA, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
		{ 16, DESC_GPA, AVAIL_GPA, ~3ULL, -EFAULT, KESTREL_VQ_ERR_RING_RAM },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct drv d;

		drv_setup(&d, c[i].size);
		d.q.desc = c[i].desc;
		d.q.driver = c[i].avail;
		d.q.device = c[i].used;
		EXPECT_EQ(c[i].ret, drv_init(&d, 0)) TH_LOG("case %u", i);
		EXPECT_EQ(c[i].err, kestrel_vq_error(&d.vq)) TH_LOG("case %u", i);
		EXPECT_EQ(c[i].ret ? 1 : 0, kshim_warnings) TH_LOG("case %u", i);
		EXPECT_EQ(c[i].ret ? -EIO : 0, pop(&d));
		free(d.mem.ram);
	}
}

TEST_F(vq, reset_forgets)
{
	kestrel_vq_reset(&self->d.vq);
	EXPECT_EQ(-EIO, pop(&self->d));
	EXPECT_EQ(-EIO, kestrel_vq_push(&self->d.vq, 0, 0));
	EXPECT_TRUE(kestrel_vq_enable_notify(&self->d.vq));
	EXPECT_EQ(0, kshim_warnings);
}

/* ---- malformed rings: each breaks the queue, once, in bounds ---- */

TEST_F(vq, avail_idx_too_far_ahead)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 4, F_WRITE, 0);
	put16(&d->mem, AVAIL_GPA + 2, QSIZE);		/* a full ring is fine */
	ASSERT_EQ(1, pop(d));
	put16(&d->mem, AVAIL_GPA + 2, QSIZE + 2);	/* size + 1 ahead of 1 */
	EXPECT_EQ(1, pop(d));			/* cached idx: still fine */
	while (d->vq.last_avail != QSIZE)
		ASSERT_EQ(1, pop(d));
	put16(&d->mem, AVAIL_GPA + 2, 2 * QSIZE + 1);
	EXPECT_BROKEN(d, pop(d), -EINVAL, KESTREL_VQ_ERR_AVAIL_IDX);
}

TEST_F(vq, avail_idx_behind)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 4, F_WRITE, 0);
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	put16(&d->mem, AVAIL_GPA + 2, 0);		/* went back: 0xffff ahead */
	EXPECT_BROKEN(d, pop(d), -EINVAL, KESTREL_VQ_ERR_AVAIL_IDX);
}

TEST_F(vq, avail_idx_on_enable)
{
	struct drv *d = &self->d;

	put16(&d->mem, AVAIL_GPA + 2, QSIZE + 1);
	EXPECT_TRUE(kestrel_vq_enable_notify(&d->vq));
	EXPECT_BROKEN(d, -EINVAL, -EINVAL, KESTREL_VQ_ERR_AVAIL_IDX);
}

TEST_F(vq, head_out_of_range)
{
	avail_add(&self->d.vr, QSIZE);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EINVAL, KESTREL_VQ_ERR_HEAD);
}

TEST_F(vq, next_out_of_range)
{
	set_desc(&self->d.mem, DESC_GPA, 0, BUF_GPA, 4, F_NEXT, QSIZE);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EINVAL, KESTREL_VQ_ERR_NEXT);
}

TEST_F(vq, loop)
{
	set_desc(&self->d.mem, DESC_GPA, 0, BUF_GPA, 4, F_NEXT, 1);
	set_desc(&self->d.mem, DESC_GPA, 1, BUF_GPA, 4, F_NEXT, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -ELOOP, KESTREL_VQ_ERR_LOOP);
}

TEST_F(vq, self_loop)
{
	set_desc(&self->d.mem, DESC_GPA, 7, BUF_GPA, 0, F_NEXT | F_WRITE, 7);
	avail_add(&self->d.vr, 7);
	EXPECT_BROKEN(&self->d, pop(&self->d), -ELOOP, KESTREL_VQ_ERR_LOOP);
}

TEST(indirect_without_feature)
{
	struct drv d;

	drv_setup(&d, QSIZE);
	ASSERT_EQ(0, drv_init(&d, FEAT_EVENT_IDX));
	set_desc(&d.mem, DESC_GPA, 0, TABLE_GPA, 16, F_INDIRECT, 0);
	set_desc(&d.mem, TABLE_GPA, 0, BUF_GPA, 4, F_WRITE, 0);
	avail_add(&d.vr, 0);
	EXPECT_BROKEN(&d, pop(&d), -EINVAL, KESTREL_VQ_ERR_INDIRECT_FEATURE);
	free(d.mem.ram);
}

TEST_F(vq, indirect_with_next)
{
	set_desc(&self->d.mem, DESC_GPA, 0, TABLE_GPA, 16,
		 F_INDIRECT | F_NEXT, 1);
	set_desc(&self->d.mem, DESC_GPA, 1, BUF_GPA, 4, F_WRITE, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EINVAL,
		      KESTREL_VQ_ERR_INDIRECT_NEXT);
}

TEST_F(vq, indirect_nested)
{
	set_desc(&self->d.mem, DESC_GPA, 0, TABLE_GPA, 32, F_INDIRECT, 0);
	set_desc(&self->d.mem, TABLE_GPA, 0, BUF_GPA, 4, F_NEXT, 1);
	set_desc(&self->d.mem, TABLE_GPA, 1, TABLE_GPA + 0x100, 16,
		 F_INDIRECT, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EINVAL,
		      KESTREL_VQ_ERR_INDIRECT_NESTED);
}

TEST(indirect_lengths)
{
	static const u32 bad[] = { 0, 8, 17, 24, (QSIZE + 1) * 16, 0xfffffff0 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct drv d;

		drv_setup(&d, QSIZE);
		ASSERT_EQ(0, drv_init(&d, FEAT_INDIRECT));
		set_desc(&d.mem, DESC_GPA, 0, TABLE_GPA, bad[i], F_INDIRECT, 0);
		avail_add(&d.vr, 0);
		EXPECT_BROKEN(&d, pop(&d), -EINVAL, KESTREL_VQ_ERR_INDIRECT_LEN);
		free(d.mem.ram);
	}
}

TEST_F(vq, indirect_table_not_ram)
{
	set_desc(&self->d.mem, DESC_GPA, 0, HOLE_START - 16, 32, F_INDIRECT, 0);
	set_desc(&self->d.mem, HOLE_START - 16, 0, BUF_GPA, 4,
		 F_NEXT | F_WRITE, 1);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EFAULT,
		      KESTREL_VQ_ERR_INDIRECT_ADDR);
}

TEST_F(vq, indirect_table_wraps)
{
	set_desc(&self->d.mem, DESC_GPA, 0, ~0xfULL, 32, F_INDIRECT, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EFAULT,
		      KESTREL_VQ_ERR_INDIRECT_ADDR);
}

TEST_F(vq, indirect_next_out_of_table)
{
	set_desc(&self->d.mem, DESC_GPA, 0, TABLE_GPA, 2 * 16, F_INDIRECT, 0);
	set_desc(&self->d.mem, TABLE_GPA, 0, BUF_GPA, 4, F_NEXT, 2);
	/* entry 2 exists in RAM but not in the table */
	set_desc(&self->d.mem, TABLE_GPA, 2, BUF_GPA, 4, 0, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EINVAL, KESTREL_VQ_ERR_NEXT);
}

TEST_F(vq, indirect_loop)
{
	set_desc(&self->d.mem, DESC_GPA, 0, TABLE_GPA, 3 * 16, F_INDIRECT, 0);
	set_desc(&self->d.mem, TABLE_GPA, 0, BUF_GPA, 4, F_NEXT, 1);
	set_desc(&self->d.mem, TABLE_GPA, 1, BUF_GPA, 4, F_NEXT, 2);
	set_desc(&self->d.mem, TABLE_GPA, 2, BUF_GPA, 4, F_NEXT, 1);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -ELOOP, KESTREL_VQ_ERR_LOOP);
}

TEST_F(vq, readable_after_writable)
{
	set_desc(&self->d.mem, DESC_GPA, 0, BUF_GPA, 4, F_NEXT | F_WRITE, 1);
	set_desc(&self->d.mem, DESC_GPA, 1, BUF_GPA, 4, 0, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EINVAL, KESTREL_VQ_ERR_ORDER);
}

TEST_F(vq, readable_after_writable_across_indirect)
{
	set_desc(&self->d.mem, DESC_GPA, 0, BUF_GPA, 4, F_NEXT | F_WRITE, 1);
	set_desc(&self->d.mem, DESC_GPA, 1, TABLE_GPA, 16, F_INDIRECT, 0);
	set_desc(&self->d.mem, TABLE_GPA, 0, BUF_GPA, 0, 0, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EINVAL, KESTREL_VQ_ERR_ORDER);
}

TEST_F(vq, buffer_wraps)
{
	set_desc(&self->d.mem, DESC_GPA, 0, ~0ULL - 2, 4, F_WRITE, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EOVERFLOW,
		      KESTREL_VQ_ERR_BUF_ADDR);
}

TEST_F(vq, buffer_at_the_top_is_fine_until_copied)
{
	struct drv *d = &self->d;
	u8 b[4] = { 1, 2, 3, 4 };

	set_desc(&d->mem, DESC_GPA, 0, ~0ULL - 3, 4, F_WRITE, 0);
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	EXPECT_EQ(-EFAULT, kestrel_vq_copy_to_chain(&d->vq, &d->chain, 0, b, 4));
	EXPECT_BROKEN(d, -EFAULT, -EFAULT, KESTREL_VQ_ERR_BUF_FAULT);
}

TEST_F(vq, total_length_overflows)
{
	set_desc(&self->d.mem, DESC_GPA, 0, BUF_GPA, 0x80000000u,
		 F_NEXT | F_WRITE, 1);
	set_desc(&self->d.mem, DESC_GPA, 1, BUF_GPA, 0x7fffffffu,
		 F_NEXT | F_WRITE, 2);
	set_desc(&self->d.mem, DESC_GPA, 2, BUF_GPA, 1, F_WRITE, 0);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -EOVERFLOW,
		      KESTREL_VQ_ERR_TOTAL_LEN);
}

TEST_F(vq, total_length_just_fits)
{
	set_desc(&self->d.mem, DESC_GPA, 0, BUF_GPA, 0x80000000u, F_NEXT, 1);
	set_desc(&self->d.mem, DESC_GPA, 1, BUF_GPA, 0x7fffffffu, F_NEXT, 2);
	set_desc(&self->d.mem, DESC_GPA, 2, BUF_GPA, 0xffffffffu, F_WRITE, 0);
	avail_add(&self->d.vr, 0);
	ASSERT_EQ(1, pop(&self->d));
	EXPECT_EQ(0xffffffffu, self->d.chain.out_len);
	EXPECT_EQ(0xffffffffu, self->d.chain.in_len);
}

TEST_F(vq, too_many_segments)
{
	int i;

	self->d.chain.max_segs = 3;
	for (i = 0; i < 4; i++)
		set_desc(&self->d.mem, DESC_GPA, i, BUF_GPA, 4,
			 i < 3 ? F_NEXT : 0, i + 1);
	avail_add(&self->d.vr, 0);
	EXPECT_BROKEN(&self->d, pop(&self->d), -ENOBUFS, KESTREL_VQ_ERR_SEGS);
}

TEST_F(vq, buffer_not_ram)
{
	struct drv *d = &self->d;
	u8 b[64];

	set_desc(&d->mem, DESC_GPA, 0, HOLE_START - 16, 32, 0, 0);
	avail_add(&d->vr, 0);
	ASSERT_EQ(1, pop(d));
	/* the first 16 bytes are RAM */
	EXPECT_EQ(16, kestrel_vq_copy_from_chain(&d->vq, &d->chain, 0, b, 16));
	EXPECT_EQ(-EFAULT, kestrel_vq_copy_from_chain(&d->vq, &d->chain, 0, b,
						      32));
	EXPECT_BROKEN(d, -EFAULT, -EFAULT, KESTREL_VQ_ERR_BUF_FAULT);
	EXPECT_EQ(-EIO, kestrel_vq_copy_from_chain(&d->vq, &d->chain, 0, b, 1));
}

TEST_F(vq, device_refuses)
{
	EXPECT_BROKEN(&self->d, kestrel_vq_fail(&self->d.vq,
						KESTREL_VQ_ERR_DEVICE),
		      -EINVAL, KESTREL_VQ_ERR_DEVICE);
	EXPECT_NE(NULL, strstr(kshim_last_warning, "test vq"));
	EXPECT_NE(NULL, strstr(kshim_last_warning, "cannot serve"));
}

TEST(every_error_has_words)
{
	int e;

	for (e = 0; e < KESTREL_VQ_ERR_COUNT; e++)
		EXPECT_NE(NULL, vq_errors[e]) TH_LOG("error %d", e);
	EXPECT_STREQ("unknown error", kestrel_vq_strerror(KESTREL_VQ_ERR_COUNT));
}

/* ---- fuzz ---- */

static u64 rnd_state;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A descriptor address somewhere interesting. */
static u64 rnd_addr(void)
{
	switch (rnd() % 6) {
	case 0:
		return rnd();
	case 1:
		return HOLE_START - (rnd() % 64);
	case 2:
		return ~0ULL - (rnd() % 64);
	default:
		return TABLE_GPA + (rnd() % 0x1000);
	}
}

static u32 rnd_len(void)
{
	switch (rnd() % 5) {
	case 0:
		return (u32)rnd();
	case 1:
		return (rnd() % (QSIZE + 2)) * 16;
	default:
		return rnd() % 64;
	}
}

/*
 * Random descriptors, flags, indexes and ring entries, biased towards
 * values near the limits; the queue is processed as a device would and
 * re-initialised when it breaks.  It must always terminate without a
 * crash or an access outside the fake RAM.
 */
TEST(fuzz)
{
	unsigned long breaks = 0, chains = 0;
	unsigned long seen[KESTREL_VQ_ERR_COUNT] = { 0 };
	unsigned int kinds = 0;
	struct drv d;
	int iter, e;

	rnd_state = 0x9e3779b97f4a7c15ULL;
	drv_setup(&d, QSIZE);
	for (iter = 0; iter < 20000; iter++) {
		u64 feat = rnd() & (FEAT_INDIRECT | FEAT_EVENT_IDX);
		int i, ops, ret;
		u8 buf[128];

		if (!d.vq.ready || kestrel_vq_broken(&d.vq)) {
			memset(d.mem.ram, 0, 0x30000);
			d.q.size = d.vr.size = 1u << (rnd() % 6);
			drv_init(&d, feat);
			d.vr.avail_idx = 0;
		}
		/* scribble on the table, the rings and an indirect table */
		for (i = 0; i < 4; i++) {
			set_desc(&d.mem, DESC_GPA, rnd() % d.q.size, rnd_addr(),
				 rnd_len(), rnd() & 0xf, rnd() % (d.q.size + 2));
			set_desc(&d.mem, TABLE_GPA, rnd() % 64, rnd_addr(),
				 rnd_len(), rnd() & 0xf, rnd() % 66);
		}
		if (rnd() % 8 == 0)
			put16(&d.mem, AVAIL_GPA + 2, rnd());
		else
			avail_add(&d.vr, rnd() % (d.q.size + 1));
		if (rnd() % 4 == 0)
			put16(&d.mem, AVAIL_GPA, rnd());
		if (rnd() % 4 == 0)
			set_used_event(&d.vr, rnd());
		if (rnd() % 16 == 0)
			d.mem.ram[DESC_GPA + rnd() % (16 * d.q.size)] = rnd();

		for (ops = 0; ops < 4; ops++) {
			kestrel_vq_disable_notify(&d.vq);
			ret = pop(&d);
			if (ret <= 0) {
				kestrel_vq_enable_notify(&d.vq);
				break;
			}
			chains++;
			kestrel_vq_copy_from_chain(&d.vq, &d.chain, rnd() % 64,
						   buf, sizeof(buf));
			kestrel_vq_copy_to_chain(&d.vq, &d.chain, rnd() % 64,
						 buf, rnd() % sizeof(buf));
			kestrel_vq_push(&d.vq, d.chain.head, rnd());
			kestrel_vq_should_interrupt(&d.vq);
			if (d.chain.n_out + d.chain.n_in > d.chain.max_segs)
				abort();
		}
		if (kestrel_vq_broken(&d.vq)) {
			breaks++;
			seen[kestrel_vq_error(&d.vq)]++;
		}
	}
	for (e = 1; e < KESTREL_VQ_ERR_COUNT; e++) {
		if (seen[e])
			kinds++;
		TH_LOG("%6lu %s", seen[e], kestrel_vq_strerror(e));
	}
	TH_LOG("%lu chains, %lu breaks, %u warnings, %lu faults refused",
	       chains, breaks, kshim_warnings, d.mem.faults);
	EXPECT_EQ(breaks, kshim_warnings);
	EXPECT_LT(100, chains);
	EXPECT_LT(100, breaks);
	EXPECT_LE(10, kinds);
	free(d.mem.ram);
}

/* ---- packed rings ---- */

#define PSIZE		8

struct pdrv {
	struct kestrel_mem mem;
	struct kestrel_virtio_queue q;
	struct pring pr;
	struct kestrel_vq vq;
	struct kestrel_vq_seg segs[2 * KESTREL_VQ_PACKED_MAX_SIZE];
	struct kestrel_vq_chain chain;
};

static void pdrv_setup(struct pdrv *d, u16 size)
{
	memset(d, 0, sizeof(*d));
	ram_alloc(&d->mem);
	pring_init(&d->pr, &d->mem, size, DESC_GPA, AVAIL_GPA, USED_GPA);
	pring_to_queue(&d->pr, &d->q);
	d->chain.segs = d->segs;
	d->chain.max_segs = 2 * KESTREL_VQ_PACKED_MAX_SIZE;
	kshim_warnings = 0;
}

static int pdrv_init(struct pdrv *d, u64 features)
{
	return kestrel_vq_init(&d->vq, &d->mem, &d->q, features | FEAT_PACKED,
			       "test pvq");
}

static int ppop(struct pdrv *d)
{
	return kestrel_vq_pop(&d->vq, &d->chain);
}

/* One segment of @len, writable or not, as buffer @id. */
static void padd1(struct pdrv *d, u16 id, u32 len, bool write)
{
	struct seg s = { BUF_GPA + 0x100 * (u64)id, len, write };

	pring_add(&d->pr, &s, 1, id, 0);
}

FIXTURE(pvq) {
	struct pdrv d;
};

FIXTURE_SETUP(pvq)
{
	pdrv_setup(&self->d, PSIZE);
	ASSERT_EQ(0, pdrv_init(&self->d, FEAT_INDIRECT));
	ASSERT_TRUE(self->d.vq.packed);
}

FIXTURE_TEARDOWN(pvq)
{
	free(self->d.mem.ram);
}

/* Broken for @err with @ret, said once, and guest RAM untouched after. */
#define EXPECT_PBROKEN(d, ret, expect_ret, err) do { \
	u8 *snap = malloc(RAM_SIZE); \
	ASSERT_NE(NULL, snap); \
	EXPECT_EQ(expect_ret, ret); \
	EXPECT_EQ(err, kestrel_vq_error(&(d)->vq)); \
	EXPECT_EQ(1, kshim_warnings); \
	memcpy(snap, (d)->mem.ram, RAM_SIZE); \
	EXPECT_EQ(-EIO, ppop(d)); \
	EXPECT_EQ(-EIO, kestrel_vq_push(&(d)->vq, 0, 0)); \
	EXPECT_FALSE(kestrel_vq_should_interrupt(&(d)->vq)); \
	kestrel_vq_disable_notify(&(d)->vq); \
	EXPECT_TRUE(kestrel_vq_enable_notify(&(d)->vq)); \
	kestrel_vq_unpop(&(d)->vq, 1); \
	EXPECT_EQ(-EIO, kestrel_vq_copy_to_chain(&(d)->vq, &(d)->chain, 0, \
						  snap, 1)); \
	EXPECT_EQ(0, memcmp(snap, (d)->mem.ram, RAM_SIZE)); \
	EXPECT_EQ(1, kshim_warnings); \
	free(snap); \
} while (0)

TEST_F(pvq, empty)
{
	EXPECT_EQ(0, ppop(&self->d));
	EXPECT_EQ(0, ppop(&self->d));
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(pvq, round_trip)
{
	struct pdrv *d = &self->d;
	u32 len;
	u16 id;

	padd1(d, 5, 100, true);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(5, d->chain.head);
	EXPECT_EQ(0, d->chain.n_out);
	EXPECT_EQ(1, d->chain.n_in);
	EXPECT_EQ(100, d->chain.in_len);
	EXPECT_EQ(BUF_GPA + 0x500, d->segs[0].gpa);
	EXPECT_TRUE(d->segs[0].write);
	EXPECT_EQ(0, ppop(d));

	EXPECT_EQ(0, pring_get_used(&d->pr, &id, &len));
	EXPECT_EQ(0, d->vq.used_idx);
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 5, 42));
	EXPECT_EQ(1, d->vq.used_idx);	/* net.c counts pushes with it */
	EXPECT_EQ(F_AVAIL | F_USED | F_WRITE, pdesc_flags(&d->pr, 0));
	ASSERT_EQ(1, pring_get_used(&d->pr, &id, &len));
	EXPECT_EQ(5, id);
	EXPECT_EQ(42, len);
	EXPECT_EQ(0, pring_get_used(&d->pr, &id, &len));
	/* the same id again, now that it is back */
	padd1(d, 5, 10, false);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(5, d->chain.head);
	EXPECT_EQ(1, d->chain.n_out);
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 5, 0));
	EXPECT_EQ(F_AVAIL | F_USED, pdesc_flags(&d->pr, 1));
	EXPECT_EQ(0, kshim_warnings);
}

/* Chains of 1 to 3 over many laps of an odd size: both counters flip. */
TEST(packed_laps)
{
	unsigned int lap_flips = 0, descs = 0, i;
	struct pdrv d;
	bool was = true;
	u16 size = 5, id;
	u32 len;

	pdrv_setup(&d, size);
	ASSERT_EQ(0, pdrv_init(&d, 0));
	for (i = 0; i < 200; i++) {
		struct seg s[3] = {
			{ BUF_GPA, 8, false },
			{ BUF_GPA + 0x100, 16, true },
			{ BUF_GPA + 0x200, 24, true },
		};
		unsigned int n = 1 + i % 3, k;
		u16 bid = (i * 3) % size;

		descs += pring_add(&d.pr, s + 3 - n, n, bid, 0);
		ASSERT_EQ(1, kestrel_vq_pop(&d.vq, &d.chain)) TH_LOG("i %u", i);
		EXPECT_EQ(bid, d.chain.head);
		EXPECT_EQ(n, d.chain.n_out + d.chain.n_in);
		for (k = 0; k < d.chain.n_out + d.chain.n_in; k++)
			EXPECT_EQ(s[3 - n + k].gpa, d.segs[k].gpa);
		EXPECT_EQ(0, kestrel_vq_pop(&d.vq, &d.chain));
		ASSERT_EQ(0, kestrel_vq_push(&d.vq, bid, i));
		ASSERT_EQ(1, pring_get_used(&d.pr, &id, &len));
		EXPECT_EQ(bid, id);
		EXPECT_EQ(i, len);
		EXPECT_EQ(d.pr.next, d.vq.last_avail);
		EXPECT_EQ(d.pr.wrap, d.vq.avail_wrap);
		EXPECT_EQ(d.pr.used, d.vq.used_pos);
		EXPECT_EQ(d.pr.used_wrap, d.vq.used_wrap);
		if (d.vq.used_wrap != was)
			lap_flips++;
		was = d.vq.used_wrap;
	}
	/* 399 descriptors over 5 entries: 79 laps */
	EXPECT_EQ(399, descs);
	EXPECT_EQ(79, lap_flips);
	EXPECT_EQ(0, kshim_warnings);
	free(d.mem.ram);
}

TEST_F(pvq, chain_parts_and_copies)
{
	struct pdrv *d = &self->d;
	struct seg s[4] = {
		{ BUF_GPA, 10, false },
		{ BUF_GPA + 0x100, 30, false },
		{ BUF_GPA + 0x200, 16, true },
		{ BUF_GPA + 0x300, 48, true },
	};
	u8 in[40], out[64];
	int i;

	for (i = 0; i < 40; i++)
		d->mem.ram[(i < 10 ? BUF_GPA : BUF_GPA + 0x100 - 10) + i] = i;
	/* start at position 6 so that the chain wraps */
	d->pr.next = d->vq.last_avail = 6;
	d->vq.used_pos = d->pr.used = 6;
	EXPECT_EQ(4, pring_add(&d->pr, s, 4, 3, 0));
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(3, d->chain.head);
	EXPECT_EQ(2, d->chain.n_out);
	EXPECT_EQ(2, d->chain.n_in);
	EXPECT_EQ(40, d->chain.out_len);
	EXPECT_EQ(64, d->chain.in_len);
	EXPECT_EQ(2, d->vq.last_avail);
	EXPECT_FALSE(d->vq.avail_wrap);
	EXPECT_EQ(40, kestrel_vq_copy_from_chain(&d->vq, &d->chain, 0, in, 40));
	for (i = 0; i < 40; i++)
		EXPECT_EQ(i, in[i]);
	memset(out, 0xab, sizeof(out));
	EXPECT_EQ(64, kestrel_vq_copy_to_chain(&d->vq, &d->chain, 0, out, 64));
	EXPECT_EQ(0xab, d->mem.ram[BUF_GPA + 0x300 + 47]);
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 3, 64));
	EXPECT_EQ(2, d->vq.used_pos);
	EXPECT_FALSE(d->vq.used_wrap);
	EXPECT_EQ(0, kshim_warnings);
}

/* Zero-length buffers are checked and skipped, as split ones. */
TEST_F(pvq, empty_buffers_skipped)
{
	struct pdrv *d = &self->d;
	struct seg s[3] = {
		{ BUF_GPA, 0, false },
		{ BUF_GPA + 0x100, 30, true },
		{ ~0ULL, 0, true },
	};

	pring_add(&d->pr, s, 3, 1, 0);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(0, d->chain.n_out);
	EXPECT_EQ(1, d->chain.n_in);
	EXPECT_EQ(30, d->chain.in_len);
	EXPECT_EQ(3, d->vq.inflight);
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(pvq, indirect)
{
	struct pdrv *d = &self->d;
	struct seg s[3] = {
		{ BUF_GPA, 16, false },
		{ BUF_GPA + 0x100, 30, true },
		{ BUF_GPA + 0x200, 2, true },
	};
	u32 len;
	u16 id;

	EXPECT_EQ(1, pring_add(&d->pr, s, 3, 7, TABLE_GPA));
	padd1(d, 2, 5, true);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(7, d->chain.head);
	EXPECT_EQ(1, d->chain.n_out);
	EXPECT_EQ(2, d->chain.n_in);
	EXPECT_EQ(32, d->chain.in_len);
	EXPECT_EQ(BUF_GPA + 0x200, d->segs[2].gpa);
	EXPECT_EQ(1, d->vq.last_avail);		/* one descriptor */
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(2, d->chain.head);
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 7, 1));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 2, 2));
	ASSERT_EQ(1, pring_get_used(&d->pr, &id, &len));
	EXPECT_EQ(7, id);
	ASSERT_EQ(1, pring_get_used(&d->pr, &id, &len));
	EXPECT_EQ(2, id);
	EXPECT_EQ(0, kshim_warnings);
}

/* blk completes in any order: each push goes to the next used position. */
TEST_F(pvq, out_of_order)
{
	struct pdrv *d = &self->d;
	struct seg s[3] = {
		{ BUF_GPA, 8, false },
		{ BUF_GPA + 0x100, 8, true },
		{ BUF_GPA + 0x200, 8, true },
	};
	u16 order[3] = { 0, 7, 2 }, id;
	unsigned int round, i;
	u32 len;

	for (round = 0; round < 6; round++) {
		pring_add(&d->pr, s, 2, 7, 0);		/* A: 2 descriptors */
		pring_add(&d->pr, s, 1, 2, 0);		/* B: 1 */
		pring_add(&d->pr, s, 3, 0, 0);		/* C: 3 */
		for (i = 0; i < 3; i++)
			ASSERT_EQ(1, ppop(d));
		EXPECT_EQ(6, d->vq.inflight);
		ASSERT_EQ(0, kestrel_vq_push(&d->vq, 0, 30));
		ASSERT_EQ(0, kestrel_vq_push(&d->vq, 7, 10));
		ASSERT_EQ(0, kestrel_vq_push(&d->vq, 2, 20));
		EXPECT_EQ(0, d->vq.inflight);
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(1, pring_get_used(&d->pr, &id, &len));
			EXPECT_EQ(order[i], id);
			EXPECT_EQ(order[i] == 0 ? 30 : order[i] == 7 ? 10 : 20,
				  len);
		}
		EXPECT_EQ(0, pring_get_used(&d->pr, &id, &len));
		EXPECT_EQ(d->pr.used, d->vq.used_pos);
		EXPECT_EQ(d->pr.used_wrap, d->vq.used_wrap);
	}
	EXPECT_EQ(0, kshim_warnings);
}

TEST_F(pvq, unpop)
{
	struct pdrv *d = &self->d;
	struct seg s[2] = {
		{ BUF_GPA, 8, false },
		{ BUF_GPA + 0x100, 8, true },
	};

	d->pr.next = d->vq.last_avail = 5;
	d->vq.used_pos = d->pr.used = 5;
	pring_add(&d->pr, s, 2, 4, 0);		/* 5, 6 */
	pring_add(&d->pr, s, 2, 1, 0);		/* 7, 0 (wraps) */
	pring_add(&d->pr, s, 1, 6, 0);		/* 1 */
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(4, d->chain.head);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(1, d->chain.head);
	EXPECT_FALSE(d->vq.avail_wrap);
	kestrel_vq_unpop(&d->vq, 1);
	EXPECT_EQ(7, d->vq.last_avail);
	EXPECT_TRUE(d->vq.avail_wrap);
	EXPECT_EQ(2, d->vq.inflight);
	ASSERT_EQ(1, ppop(d));			/* again, no "in use" */
	EXPECT_EQ(1, d->chain.head);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(6, d->chain.head);
	/* a push of the first, then the last two back */
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 4, 0));
	kestrel_vq_unpop(&d->vq, 2);
	EXPECT_EQ(7, d->vq.last_avail);
	EXPECT_EQ(0, d->vq.inflight);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(1, d->chain.head);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(6, d->chain.head);
	EXPECT_EQ(0, ppop(d));
	EXPECT_EQ(0, kshim_warnings);
	/* more than were popped: the caller's bug, warned, nothing moves */
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 1, 0));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 6, 0));
	kshim_warn_on = 0;
	kestrel_vq_unpop(&d->vq, 1);
	EXPECT_EQ(1, kshim_warn_on);
	EXPECT_EQ(2, d->vq.last_avail);
	EXPECT_FALSE(kestrel_vq_broken(&d->vq));
}

TEST(packed_init_checks)
{
	struct pdrv d;

	pdrv_setup(&d, 100);			/* not a power of 2: fine */
	EXPECT_EQ(0, pdrv_init(&d, 0));
	EXPECT_EQ(0, kshim_warnings);
	d.q.size = KESTREL_VQ_PACKED_MAX_SIZE;
	EXPECT_EQ(0, pdrv_init(&d, 0));
	d.q.size = KESTREL_VQ_PACKED_MAX_SIZE + 1;
	EXPECT_EQ(-EINVAL, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_SIZE, kestrel_vq_error(&d.vq));
	d.q.size = 0;
	EXPECT_EQ(-EINVAL, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_SIZE, kestrel_vq_error(&d.vq));
	d.q.size = 8;
	d.q.desc = DESC_GPA + 8;
	EXPECT_EQ(-EINVAL, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_ALIGN, kestrel_vq_error(&d.vq));
	d.q.desc = DESC_GPA;
	d.q.driver = AVAIL_GPA + 2;		/* split would take it */
	EXPECT_EQ(-EINVAL, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_ALIGN, kestrel_vq_error(&d.vq));
	d.q.driver = AVAIL_GPA;
	d.q.device = USED_GPA + 2;
	EXPECT_EQ(-EINVAL, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_ALIGN, kestrel_vq_error(&d.vq));
	d.q.device = USED_GPA;
	/* the ring ends in the hole, the events in it or past RAM */
	d.q.desc = HOLE_START - 64;
	EXPECT_EQ(-EFAULT, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_RING_RAM, kestrel_vq_error(&d.vq));
	d.q.desc = DESC_GPA;
	d.q.driver = HOLE_START;
	EXPECT_EQ(-EFAULT, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_RING_RAM, kestrel_vq_error(&d.vq));
	d.q.driver = AVAIL_GPA;
	d.q.device = RAM_SIZE;
	EXPECT_EQ(-EFAULT, pdrv_init(&d, 0));
	EXPECT_EQ(KESTREL_VQ_ERR_RING_RAM, kestrel_vq_error(&d.vq));
	d.q.device = USED_GPA;
	EXPECT_EQ(0, pdrv_init(&d, 0));
	EXPECT_FALSE(kestrel_vq_broken(&d.vq));
	/* the event structures may be right at the end of RAM */
	d.q.device = RAM_SIZE - 4;
	EXPECT_EQ(0, pdrv_init(&d, 0));
	/* reset forgets the packed state */
	kestrel_vq_reset(&d.vq);
	EXPECT_FALSE(d.vq.packed);
	EXPECT_FALSE(d.vq.avail_wrap);
	EXPECT_EQ(-EIO, kestrel_vq_pop(&d.vq, &d.chain));
	free(d.mem.ram);
}

TEST_F(pvq, bad_id)
{
	struct pdrv *d = &self->d;

	pring_put(&d->pr, BUF_GPA, 8, PSIZE, F_WRITE);
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_ID);
}

/* Only the last descriptor's id counts. */
TEST_F(pvq, id_of_the_last)
{
	struct pdrv *d = &self->d;

	pring_put(&d->pr, BUF_GPA, 8, 0xffff, F_NEXT);
	pring_put(&d->pr, BUF_GPA, 8, 3, 0);
	ASSERT_EQ(1, ppop(d));
	EXPECT_EQ(3, d->chain.head);
	pring_put(&d->pr, BUF_GPA, 8, 1, F_NEXT);
	pring_put(&d->pr, BUF_GPA, 8, 0xffff, 0);
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_ID);
}

TEST_F(pvq, id_in_flight)
{
	struct pdrv *d = &self->d;

	padd1(d, 3, 8, true);
	padd1(d, 4, 8, true);
	ASSERT_EQ(1, ppop(d));
	ASSERT_EQ(1, ppop(d));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 4, 0));
	padd1(d, 4, 8, true);			/* back: fine */
	ASSERT_EQ(1, ppop(d));
	padd1(d, 3, 8, true);			/* still in flight */
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_ID_BUSY);
}

TEST_F(pvq, lengths)
{
	struct pdrv *d = &self->d;

	/* a total of 4 GiB */
	pring_put(&d->pr, BUF_GPA, 0x80000000u, 0, F_WRITE | F_NEXT);
	pring_put(&d->pr, BUF_GPA, 0x80000000u, 0, F_WRITE);
	EXPECT_PBROKEN(d, ppop(d), -EOVERFLOW, KESTREL_VQ_ERR_TOTAL_LEN);
}

TEST_F(pvq, buffer_wraps)
{
	struct pdrv *d = &self->d;

	pring_put(&d->pr, ~0ULL - 3, 8, 0, F_WRITE);
	EXPECT_PBROKEN(d, ppop(d), -EOVERFLOW, KESTREL_VQ_ERR_BUF_ADDR);
}

TEST_F(pvq, buffer_not_ram)
{
	struct pdrv *d = &self->d;
	u8 b[8] = { 0 };

	pring_put(&d->pr, HOLE_START, 8, 0, F_WRITE);
	ASSERT_EQ(1, ppop(d));			/* found on copy */
	EXPECT_PBROKEN(d, kestrel_vq_copy_to_chain(&d->vq, &d->chain, 0, b, 8),
		       -EFAULT, KESTREL_VQ_ERR_BUF_FAULT);
}

TEST_F(pvq, readable_after_writable)
{
	struct pdrv *d = &self->d;

	pring_put(&d->pr, BUF_GPA, 8, 0, F_WRITE | F_NEXT);
	pring_put(&d->pr, BUF_GPA, 8, 0, 0);
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_ORDER);
}

TEST_F(pvq, too_many_segments)
{
	struct pdrv *d = &self->d;

	d->chain.max_segs = 2;
	pring_put(&d->pr, BUF_GPA, 8, 0, F_NEXT);
	pring_put(&d->pr, BUF_GPA, 8, 0, F_NEXT);
	pring_put(&d->pr, BUF_GPA, 8, 0, 0);
	EXPECT_PBROKEN(d, ppop(d), -ENOBUFS, KESTREL_VQ_ERR_SEGS);
}

/* Every descriptor says NEXT: the chain runs round the ring. */
TEST_F(pvq, chain_longer_than_queue)
{
	struct pdrv *d = &self->d;
	int i;

	for (i = 0; i < PSIZE; i++)
		pring_put(&d->pr, BUF_GPA, 8, 0, F_NEXT);
	EXPECT_PBROKEN(d, ppop(d), -ELOOP, KESTREL_VQ_ERR_LOOP);
}

/* A chain that runs into descriptors still in flight. */
TEST_F(pvq, overrun)
{
	struct pdrv *d = &self->d;
	int i;

	for (i = 0; i < 3; i++)
		padd1(d, i, 8, true);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(1, ppop(d));
	for (i = 0; i < PSIZE - 3; i++)
		pring_put(&d->pr, BUF_GPA, 8, 5, F_NEXT);
	/* wrapped: position 0 looks available again (the driver's lie) */
	pring_put(&d->pr, BUF_GPA, 8, 5, 0);
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_OVERRUN);
}

TEST(packed_indirect_without_feature)
{
	struct seg s = { BUF_GPA, 8, true };
	struct pdrv d;

	pdrv_setup(&d, PSIZE);
	ASSERT_EQ(0, pdrv_init(&d, 0));
	pring_add(&d.pr, &s, 1, 0, TABLE_GPA);
	EXPECT_PBROKEN(&d, ppop(&d), -EINVAL, KESTREL_VQ_ERR_INDIRECT_FEATURE);
	free(d.mem.ram);
}

TEST_F(pvq, indirect_with_next)
{
	struct pdrv *d = &self->d;

	set_pdesc(&d->mem, TABLE_GPA, 0, BUF_GPA, 8, 0, F_WRITE);
	pring_put(&d->pr, TABLE_GPA, 16, 0, F_INDIRECT | F_NEXT);
	pring_put(&d->pr, BUF_GPA, 8, 0, 0);
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_INDIRECT_NEXT);
}

TEST_F(pvq, next_in_indirect_table)
{
	struct pdrv *d = &self->d;

	set_pdesc(&d->mem, TABLE_GPA, 0, BUF_GPA, 8, 0, F_NEXT);
	set_pdesc(&d->mem, TABLE_GPA, 1, BUF_GPA, 8, 0, F_WRITE);
	pring_put(&d->pr, TABLE_GPA, 32, 0, F_INDIRECT);
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_INDIRECT_CHAIN);
}

TEST_F(pvq, indirect_nested)
{
	struct pdrv *d = &self->d;

	set_pdesc(&d->mem, TABLE_GPA, 0, TABLE_GPA + 0x100, 16, 0, F_INDIRECT);
	pring_put(&d->pr, TABLE_GPA, 16, 0, F_INDIRECT);
	EXPECT_PBROKEN(d, ppop(d), -EINVAL, KESTREL_VQ_ERR_INDIRECT_NESTED);
}

TEST(packed_indirect_lengths)
{
	static const u32 bad[] = { 0, 8, 17, 16 * (PSIZE + 1) };
	unsigned int i;
	struct pdrv d;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		pdrv_setup(&d, PSIZE);
		ASSERT_EQ(0, pdrv_init(&d, FEAT_INDIRECT));
		pring_put(&d.pr, TABLE_GPA, bad[i], 0, F_INDIRECT);
		EXPECT_PBROKEN(&d, ppop(&d), -EINVAL,
			       KESTREL_VQ_ERR_INDIRECT_LEN);
		free(d.mem.ram);
	}
	/* the largest table: the queue size */
	pdrv_setup(&d, PSIZE);
	ASSERT_EQ(0, pdrv_init(&d, FEAT_INDIRECT));
	for (i = 0; i < PSIZE; i++)
		set_pdesc(&d.mem, TABLE_GPA, i, BUF_GPA, 8, 0, F_WRITE);
	pring_put(&d.pr, TABLE_GPA, 16 * PSIZE, 0, F_INDIRECT);
	ASSERT_EQ(1, ppop(&d));
	EXPECT_EQ(PSIZE, d.chain.n_in);
	/* a table in the hole, or wrapping */
	pring_put(&d.pr, HOLE_START - 16, 32, 1, F_INDIRECT);
	EXPECT_PBROKEN(&d, ppop(&d), -EFAULT, KESTREL_VQ_ERR_INDIRECT_ADDR);
	free(d.mem.ram);
	pdrv_setup(&d, PSIZE);
	ASSERT_EQ(0, pdrv_init(&d, FEAT_INDIRECT));
	pring_put(&d.pr, ~0ULL - 15, 32, 1, F_INDIRECT);
	EXPECT_PBROKEN(&d, ppop(&d), -EFAULT, KESTREL_VQ_ERR_INDIRECT_ADDR);
	free(d.mem.ram);
}

/* A descriptor with USED == AVAIL, or of the other lap, is not available. */
TEST_F(pvq, availability)
{
	struct pdrv *d = &self->d;

	set_pdesc(&d->mem, DESC_GPA, 0, BUF_GPA, 8, 0, F_AVAIL | F_USED);
	EXPECT_EQ(0, ppop(d));
	set_pdesc(&d->mem, DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	EXPECT_EQ(0, ppop(d));
	set_pdesc(&d->mem, DESC_GPA, 0, BUF_GPA, 8, 0, F_USED);
	EXPECT_EQ(0, ppop(d));
	set_pdesc(&d->mem, DESC_GPA, 0, BUF_GPA, 8, 0, F_AVAIL);
	EXPECT_EQ(1, ppop(d));
	EXPECT_EQ(0, kshim_warnings);
}

/* ---- packed event suppression ---- */

/* Notifications from the driver: the device event structure. */
TEST_F(pvq, device_event_flags)
{
	struct pdrv *d = &self->d;

	kestrel_vq_disable_notify(&d->vq);
	EXPECT_EQ(EV_DISABLE, dev_event_flags(&d->pr));
	EXPECT_FALSE(kestrel_vq_enable_notify(&d->vq));
	EXPECT_EQ(EV_ENABLE, dev_event_flags(&d->pr));
	kestrel_vq_disable_notify(&d->vq);
	padd1(d, 1, 8, true);
	EXPECT_TRUE(kestrel_vq_enable_notify(&d->vq));
	EXPECT_EQ(EV_ENABLE, dev_event_flags(&d->pr));
	EXPECT_EQ(0, dev_event_off_wrap(&d->pr));	/* not written */
	EXPECT_EQ(0, kshim_warnings);
}

TEST(packed_device_event_desc)
{
	struct pdrv d;
	int i;

	pdrv_setup(&d, 5);
	ASSERT_EQ(0, pdrv_init(&d, FEAT_EVENT_IDX));
	for (i = 0; i < 7; i++) {
		padd1(&d, 0, 8, true);
		ASSERT_EQ(1, ppop(&d));
		ASSERT_EQ(0, kestrel_vq_push(&d.vq, 0, 0));
	}
	kestrel_vq_disable_notify(&d.vq);
	EXPECT_EQ(EV_DISABLE, dev_event_flags(&d.pr));
	EXPECT_FALSE(kestrel_vq_enable_notify(&d.vq));
	EXPECT_EQ(EV_DESC, dev_event_flags(&d.pr));
	/* the next descriptor: position 2 of the second lap (wrap 0) */
	EXPECT_EQ(2, dev_event_off_wrap(&d.pr));
	for (i = 0; i < 3; i++) {
		padd1(&d, 0, 8, true);
		ASSERT_EQ(1, ppop(&d));
		ASSERT_EQ(0, kestrel_vq_push(&d.vq, 0, 0));
	}
	EXPECT_FALSE(kestrel_vq_enable_notify(&d.vq));
	EXPECT_EQ(0 | 1 << 15, dev_event_off_wrap(&d.pr));
	padd1(&d, 0, 8, true);
	EXPECT_TRUE(kestrel_vq_enable_notify(&d.vq));
	EXPECT_EQ(0, kshim_warnings);
	free(d.mem.ram);
}

/* Interrupts to the driver: its event structure, flags. */
TEST_F(pvq, driver_event_flags)
{
	struct pdrv *d = &self->d;

	padd1(d, 1, 8, true);
	ASSERT_EQ(1, ppop(d));
	ASSERT_EQ(0, kestrel_vq_push(&d->vq, 1, 0));
	set_drv_event(&d->pr, EV_ENABLE, 0, 0);
	EXPECT_TRUE(kestrel_vq_should_interrupt(&d->vq));
	set_drv_event(&d->pr, EV_DISABLE, 0, 0);
	EXPECT_FALSE(kestrel_vq_should_interrupt(&d->vq));
	EXPECT_EQ(0, kshim_warnings);
	/* DESC without EVENT_IDX: the driver broke the rules */
	set_drv_event(&d->pr, EV_DESC, 0, 1);
	EXPECT_FALSE(kestrel_vq_should_interrupt(&d->vq));
	EXPECT_EQ(KESTREL_VQ_ERR_EVENT, kestrel_vq_error(&d->vq));
	EXPECT_EQ(1, kshim_warnings);
}

TEST(packed_driver_event_bad)
{
	struct pdrv d;

	pdrv_setup(&d, PSIZE);
	ASSERT_EQ(0, pdrv_init(&d, FEAT_EVENT_IDX));
	set_drv_event(&d.pr, 3, 0, 1);
	EXPECT_PBROKEN(&d, kestrel_vq_should_interrupt(&d.vq), false,
		       KESTREL_VQ_ERR_EVENT);
	pdrv_setup(&d, PSIZE);
	ASSERT_EQ(0, pdrv_init(&d, FEAT_EVENT_IDX));
	set_drv_event(&d.pr, EV_DESC, PSIZE, 1);
	EXPECT_PBROKEN(&d, kestrel_vq_should_interrupt(&d.vq), false,
		       KESTREL_VQ_ERR_EVENT);
	free(d.mem.ram);
}

/*
 * EVENT_IDX: an interrupt once the used position passes off_wrap, across
 * laps, compared with a plain model of the rule.
 */
TEST(packed_driver_event_desc)
{
	unsigned int yes = 0, no = 0;
	u32 size = 6, pos = 0, total = 0;
	struct pdrv d;
	int i;

	pdrv_setup(&d, size);
	ASSERT_EQ(0, pdrv_init(&d, FEAT_EVENT_IDX));
	set_drv_event(&d.pr, EV_DESC, 0, 1);
	/* the first one always interrupts */
	padd1(&d, 0, 8, true);
	ASSERT_EQ(1, ppop(&d));
	ASSERT_EQ(0, kestrel_vq_push(&d.vq, 0, 0));
	EXPECT_TRUE(kestrel_vq_should_interrupt(&d.vq));
	{
		u32 len;
		u16 id;

		ASSERT_EQ(1, pring_get_used(&d.pr, &id, &len));
	}
	total = 1;
	for (i = 0; i < 300; i++) {
		struct seg s[2] = { { BUF_GPA, 8, true }, { BUF_GPA, 8, true } };
		u32 n = 1 + i % 2, k, batch = 1 + i % 3, want_at, old = total;
		bool expect, got;

		/* the driver wants one after the used position reaches
		 * total + i % 4 (a lap count, mod 2 laps on the ring)
		 */
		want_at = total + i % 4;
		pos = want_at % size;
		set_drv_event(&d.pr, EV_DESC, pos, (want_at / size) % 2 == 0);
		for (k = 0; k < batch; k++) {
			pring_add(&d.pr, s, n, k, 0);
			ASSERT_EQ(1, ppop(&d));
		}
		for (k = 0; k < batch; k++) {
			u32 len;
			u16 id;

			ASSERT_EQ(0, kestrel_vq_push(&d.vq, k, 0));
			ASSERT_EQ(1, pring_get_used(&d.pr, &id, &len));
			total += n;
		}
		/* passed: a used descriptor was written at want_at */
		expect = want_at >= old && want_at < total;
		got = kestrel_vq_should_interrupt(&d.vq);
		EXPECT_EQ(expect, got) TH_LOG("i %d old %u total %u want %u",
					      i, old, total, want_at);
		if (got)
			yes++;
		else
			no++;
	}
	EXPECT_LT(50, yes);
	EXPECT_LT(50, no);
	EXPECT_EQ(0, kshim_warnings);
	free(d.mem.ram);
}

/* Two laps pushed between two looks: the event was passed whatever it is. */
TEST(packed_driver_event_laps)
{
	struct pdrv d;
	unsigned int off, k;

	for (off = 0; off < 4; off++) {
		pdrv_setup(&d, 4);
		ASSERT_EQ(0, pdrv_init(&d, FEAT_EVENT_IDX));
		set_drv_event(&d.pr, EV_DESC, 0, 1);
		EXPECT_TRUE(kestrel_vq_should_interrupt(&d.vq));
		set_drv_event(&d.pr, EV_DESC, off, 1);
		for (k = 0; k < 8; k++) {
			u32 len;
			u16 id;

			padd1(&d, 1, 8, true);
			ASSERT_EQ(1, ppop(&d));
			ASSERT_EQ(0, kestrel_vq_push(&d.vq, 1, 0));
			ASSERT_EQ(1, pring_get_used(&d.pr, &id, &len));
		}
		EXPECT_TRUE(kestrel_vq_should_interrupt(&d.vq))
			TH_LOG("off %u", off);
		/* and nothing pushed since: no interrupt */
		EXPECT_FALSE(kestrel_vq_should_interrupt(&d.vq));
		EXPECT_EQ(0, kshim_warnings);
		free(d.mem.ram);
	}
}

/* ---- packed fuzz ---- */

static u64 rnd(void);
static u64 rnd_addr(void);
static u32 rnd_len(void);

/*
 * Random descriptors (ids, flags with random AVAIL/USED bits, lengths)
 * and event structures; processed as a device would, pushing in random
 * order, and re-initialised when the queue breaks.
 */
TEST(packed_fuzz)
{
	unsigned long breaks = 0, chains = 0;
	unsigned long seen[KESTREL_VQ_ERR_COUNT] = { 0 };
	unsigned int kinds = 0, nheld = 0;
	u16 held[KESTREL_VQ_PACKED_MAX_SIZE];
	struct pdrv d;
	int iter, e;

	rnd_state = 0x2545f4914f6cdd1dULL;
	pdrv_setup(&d, PSIZE);
	for (iter = 0; iter < 20000; iter++) {
		u64 feat = rnd() & (FEAT_INDIRECT | FEAT_EVENT_IDX);
		int i, ops, ret;
		u8 buf[128];

		if (!d.vq.ready || kestrel_vq_broken(&d.vq)) {
			memset(d.mem.ram, 0, 0x30000);
			d.q.size = 1 + rnd() % 24;
			pring_init(&d.pr, &d.mem, d.q.size, DESC_GPA,
				   AVAIL_GPA, USED_GPA);
			pdrv_init(&d, feat);
			nheld = 0;
		}
		for (i = 0; i < 3; i++) {
			u16 fl = (rnd() & 0xf) | (rnd() & 1 ? F_AVAIL : 0) |
				 (rnd() & 1 ? F_USED : 0);

			if (rnd() % 2)
				pring_put(&d.pr, rnd_addr(), rnd_len(),
					  rnd() % (d.q.size + 2), rnd() & 0xf);
			else
				set_pdesc(&d.mem, DESC_GPA, rnd() % d.q.size,
					  rnd_addr(), rnd_len(),
					  rnd() % (d.q.size + 2), fl);
			set_pdesc(&d.mem, TABLE_GPA, rnd() % 64, rnd_addr(),
				  rnd_len(), rnd(), rnd() & 0xf);
		}
		if (rnd() % 4 == 0)
			set_drv_event(&d.pr, rnd() % 4, rnd() % (d.q.size + 2),
				      rnd() & 1);

		for (ops = 0; ops < 4; ops++) {
			kestrel_vq_disable_notify(&d.vq);
			ret = ppop(&d);
			if (ret <= 0) {
				kestrel_vq_enable_notify(&d.vq);
				break;
			}
			chains++;
			if (d.chain.n_out + d.chain.n_in > d.chain.max_segs ||
			    d.chain.head >= d.q.size)
				abort();
			kestrel_vq_copy_from_chain(&d.vq, &d.chain, rnd() % 64,
						   buf, sizeof(buf));
			kestrel_vq_copy_to_chain(&d.vq, &d.chain, rnd() % 64,
						 buf, rnd() % sizeof(buf));
			if (rnd() % 8 == 0) {
				kestrel_vq_unpop(&d.vq, 1);
				break;
			}
			held[nheld++] = d.chain.head;
			/* complete some, in any order */
			while (nheld && rnd() % 2) {
				unsigned int k = rnd() % nheld;

				kestrel_vq_push(&d.vq, held[k], rnd());
				held[k] = held[--nheld];
			}
			kestrel_vq_should_interrupt(&d.vq);
		}
		if (kestrel_vq_broken(&d.vq)) {
			breaks++;
			seen[kestrel_vq_error(&d.vq)]++;
		}
	}
	for (e = 1; e < KESTREL_VQ_ERR_COUNT; e++) {
		if (seen[e])
			kinds++;
		TH_LOG("%6lu %s", seen[e], kestrel_vq_strerror(e));
	}
	TH_LOG("%lu chains, %lu breaks, %u warnings, %lu faults refused",
	       chains, breaks, kshim_warnings, d.mem.faults);
	EXPECT_EQ(breaks, kshim_warnings);
	EXPECT_LT(100, chains);
	EXPECT_LT(100, breaks);
	EXPECT_LE(10, kinds);
	free(d.mem.ram);
}

TEST_HARNESS_MAIN
