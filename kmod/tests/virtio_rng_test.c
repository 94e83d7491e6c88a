// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (kmod/virtio/rng.c) with its kernel services shimmed
 * (kshim.h): the work item runs when the test calls kshim_run_work(), time
 * moves with kshim_advance_ns(), and get_random_bytes() gives 1, 2, 3, ...
 * The driver model of vring_model.h puts buffers on the queue and reads
 * the used ring.
 */
#include "kshim.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../virtio/virtqueue.c"
#include "../virtio/rng.c"

#include <stdlib.h>

#include "vring_model.h"
#include "kselftest_harness.h"

#define DESC_GPA	0x1000u
#define AVAIL_GPA	0x2000u
#define USED_GPA	0x3000u
#define TABLE_GPA	0x4000u
#define BUF_GPA		0x10000u
#define QSIZE		16
#define MS		1000000ULL

struct drv {
	struct kestrel_mem mem;
	struct vring vr;
	struct kestrel_virtio_rng *rng;
	struct kestrel_virtio_dev *vdev;
};

/* One writable buffer of @len at @gpa; returns its head. */
static u16 give(struct drv *d, u64 gpa, u32 len)
{
	return add_buf(&d->vr, gpa, len, F_WRITE);
}

static void kick(struct drv *d)
{
	d->vdev->ops->notify(d->vdev, 0);
}

/* What get_random_bytes() gave as byte number @n (from 0). */
static u8 random_byte(u64 n)
{
	return (u8)(n + 1);
}

static void drv_create(struct drv *d, const struct kestrel_virtio_rng_params *p,
		       u64 features)
{
	memset(d, 0, sizeof(*d));
	recorders_reset();
	kshim_random_bytes = 0;
	ram_alloc(&d->mem);
	d->rng = kestrel_virtio_rng_create(p, "test rng");
	if (IS_ERR(d->rng))
		abort();
	d->vdev = kestrel_virtio_rng_vdev(d->rng);
	vdev_attach(d->vdev, &d->mem, features);
	vring_init(&d->vr, &d->mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA);
	vring_to_queue(&d->vr, &d->vdev->queues[0]);
}

static void drv_start(struct drv *d)
{
	if (d->vdev->ops->start(d->vdev))
		abort();
}

static void drv_destroy(struct drv *d)
{
	kestrel_virtio_rng_destroy(d->rng);
	free(d->mem.ram);
}

FIXTURE(rng) {
	struct drv d;
};

FIXTURE_SETUP(rng)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };

	drv_create(&self->d, &unlimited,
		   1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC);
	drv_start(&self->d);
	kshim_run_work();		/* start's look at the ring */
}

FIXTURE_TEARDOWN(rng)
{
	drv_destroy(&self->d);
}

TEST(ops)
{
	struct drv d;
	struct kestrel_virtio_rng_params no_period = { .rate_bytes = 10 };
	const struct kestrel_virtio_ops *ops;
	u8 b[4] = { 1, 2, 3, 4 };

	drv_create(&d, NULL, 0);
	ops = d.vdev->ops;
	EXPECT_EQ(KESTREL_VIRTIO_ID_RNG, ops->device_id);
	EXPECT_EQ((1ULL << KESTREL_VIRTIO_F_INDIRECT_DESC) |
		  (1ULL << KESTREL_VIRTIO_F_EVENT_IDX), ops->features);
	EXPECT_EQ(1, ops->num_queues);
	EXPECT_EQ(0, ops->config_len);
	EXPECT_EQ(0, ops->max_queue_size & (ops->max_queue_size - 1));
	ops->config_read(d.vdev, 0, b, 4);
	EXPECT_EQ(0, b[3]);
	ops->config_write(d.vdev, 0, b, 4);
	/* the defaults: 1 MiB a second */
	EXPECT_EQ(KESTREL_VIRTIO_RNG_RATE_DEFAULT, d.rng->rate_bytes);
	EXPECT_EQ(KESTREL_VIRTIO_RNG_PERIOD_DEFAULT * MS, d.rng->period_ns);
	EXPECT_STREQ("test rng", d.rng->name);
	drv_destroy(&d);

	EXPECT_EQ(-EINVAL, PTR_ERR(kestrel_virtio_rng_create(&no_period, "x")));
	kestrel_virtio_rng_destroy(NULL);
}

TEST_F(rng, fills_buffers)
{
	struct drv *d = &self->d;
	u16 h1, h2;
	int i;

	h1 = give(d, BUF_GPA, 100);
	h2 = give(d, BUF_GPA + 0x1000, 1000);
	kick(d);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(2, used_idx(&d->vr));
	EXPECT_EQ(h1, used_id(&d->vr, 0));
	EXPECT_EQ(100, used_len(&d->vr, 0));
	EXPECT_EQ(h2, used_id(&d->vr, 1));
	EXPECT_EQ(1000, used_len(&d->vr, 1));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(random_byte(i), d->mem.ram[BUF_GPA + i]);
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 100]);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(random_byte(100 + i), d->mem.ram[BUF_GPA + 0x1000 + i]);
	EXPECT_EQ(0, d->mem.ram[BUF_GPA + 0x1000 + 1000]);
	EXPECT_EQ(1100, d->rng->served);
	EXPECT_EQ(1, interrupts[0]);
	EXPECT_EQ(0, resets_asked);

	/* nothing new: no interrupt */
	kick(d);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(2, used_idx(&d->vr));
	EXPECT_EQ(1, interrupts[0]);
	/* notifications were enabled again once the ring was empty */
	EXPECT_EQ(0, used_flags(&d->vr));
}

TEST_F(rng, scattered_and_indirect)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 3, F_WRITE | F_NEXT, 1);
	set_desc(&d->mem, DESC_GPA, 1, BUF_GPA + 0x100, 5, F_WRITE, 0);
	avail_add(&d->vr, 0);
	set_desc(&d->mem, DESC_GPA, 2, TABLE_GPA, 32, F_INDIRECT, 0);
	set_desc(&d->mem, TABLE_GPA, 0, BUF_GPA + 0x200, 2,
		 F_WRITE | F_NEXT, 1);
	set_desc(&d->mem, TABLE_GPA, 1, BUF_GPA + 0x300, 2, F_WRITE, 0);
	avail_add(&d->vr, 2);
	kick(d);
	kshim_run_work();
	ASSERT_EQ(2, used_idx(&d->vr));
	EXPECT_EQ(8, used_len(&d->vr, 0));
	EXPECT_EQ(4, used_len(&d->vr, 1));
	EXPECT_EQ(random_byte(2), d->mem.ram[BUF_GPA + 2]);
	EXPECT_EQ(random_byte(3), d->mem.ram[BUF_GPA + 0x100]);
	EXPECT_EQ(random_byte(7), d->mem.ram[BUF_GPA + 0x104]);
	EXPECT_EQ(random_byte(8), d->mem.ram[BUF_GPA + 0x200]);
	EXPECT_EQ(random_byte(11), d->mem.ram[BUF_GPA + 0x301]);
	EXPECT_EQ(0, resets_asked);
}

TEST_F(rng, interrupt_suppressed)
{
	struct drv *d = &self->d;

	put16(&d->mem, AVAIL_GPA, KESTREL_VRING_AVAIL_F_NO_INTERRUPT);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr));
	EXPECT_EQ(0, interrupts[0]);
}

TEST(event_idx)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };
	struct drv d;

	drv_create(&d, &unlimited, 1ULL << KESTREL_VIRTIO_F_EVENT_IDX);
	drv_start(&d);
	kshim_run_work();
	/* avail_event follows what the device has taken */
	EXPECT_EQ(0, avail_event(&d.vr));
	set_used_event(&d.vr, 1);		/* after 2 */
	give(&d, BUF_GPA, 16);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, interrupts[0]);		/* the first one always */
	give(&d, BUF_GPA, 16);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(2, used_idx(&d.vr));
	EXPECT_EQ(2, interrupts[0]);		/* passed used_event 1 */
	give(&d, BUF_GPA, 16);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(3, used_idx(&d.vr));
	EXPECT_EQ(2, interrupts[0]);		/* the driver did not ask */
	EXPECT_EQ(3, avail_event(&d.vr));
	drv_destroy(&d);
}

TEST(rate_limit_defers)
{
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 1000, .period_ms = 1000,
	};
	struct drv d;

	drv_create(&d, &p, 0);
	drv_start(&d);
	kshim_run_work();
	give(&d, BUF_GPA, 400);
	give(&d, BUF_GPA + 0x1000, 400);
	give(&d, BUF_GPA + 0x2000, 400);
	give(&d, BUF_GPA + 0x3000, 400);
	kick(&d);
	EXPECT_EQ(1, kshim_run_work());
	/* the burst: 400 + 400 + 200 */
	ASSERT_EQ(3, used_idx(&d.vr));
	EXPECT_EQ(400, used_len(&d.vr, 1));
	EXPECT_EQ(200, used_len(&d.vr, 2));
	EXPECT_EQ(1000, d.rng->served);
	EXPECT_EQ(1, interrupts[0]);
	/* waiting on a timer, not spinning: a kick does not hurry it */
	EXPECT_TRUE(d.rng->work.timer);
	kick(&d);
	EXPECT_EQ(0, kshim_run_work());
	/* 64 bytes take 64 ms, rounded up to whole jiffies */
	kshim_advance_ns(50 * MS);
	EXPECT_EQ(0, kshim_run_work());
	kshim_advance_ns(25 * MS);
	EXPECT_EQ(1, kshim_run_work());
	ASSERT_EQ(4, used_idx(&d.vr));
	EXPECT_EQ(75, used_len(&d.vr, 3));
	EXPECT_EQ(2, interrupts[0]);
	/* the ring is empty: no timer, notifications on */
	EXPECT_FALSE(d.rng->work.timer);

	/* a long pause refills to the burst, not beyond */
	kshim_advance_ns(10000 * MS);
	give(&d, BUF_GPA, 4000);
	kick(&d);
	kshim_run_work();
	ASSERT_EQ(5, used_idx(&d.vr));
	EXPECT_EQ(1000, used_len(&d.vr, 4));
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST(rate_limit_tiny_rate)
{
	/* 10 bytes a second: the burst is below the usual minimum grant */
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 10, .period_ms = 1000,
	};
	struct drv d;
	int i;

	drv_create(&d, &p, 0);
	drv_start(&d);
	for (i = 0; i < 3; i++)
		give(&d, BUF_GPA + 0x100 * i, 64);
	kick(&d);
	kshim_run_work();
	ASSERT_EQ(1, used_idx(&d.vr));
	EXPECT_EQ(10, used_len(&d.vr, 0));
	kshim_advance_ns(500 * MS);
	EXPECT_EQ(0, kshim_run_work());
	kshim_advance_ns(600 * MS);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(2, used_idx(&d.vr));
	EXPECT_EQ(10, used_len(&d.vr, 1));
	drv_destroy(&d);
}

TEST_F(rng, budget_yields)
{
	struct drv *d = &self->d;
	int i;

	/* 16 chains of 8 KiB: 64 KiB a run */
	for (i = 0; i < QSIZE; i++)
		give(d, BUF_GPA + 0x2000 * i, 0x2000);
	kick(d);
	/* 8 chains, 8 chains, then a look at an empty ring */
	EXPECT_EQ(3, kshim_run_work());
	EXPECT_EQ(QSIZE, used_idx(&d->vr));
	EXPECT_EQ(QSIZE * 0x2000, d->rng->served);
	EXPECT_EQ(2, interrupts[0]);
}

TEST_F(rng, reset_stops_processing)
{
	struct drv *d = &self->d;

	give(d, BUF_GPA, 16);
	kick(d);			/* queued, not run yet */
	d->vdev->ops->reset(d->vdev);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(&d->vr));
	kick(d);			/* after reset: ignored */
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(&d->vr));
	EXPECT_FALSE(d->rng->vq.ready);
	EXPECT_EQ(0, d->rng->lock.held);

	/* the driver starts again with a fresh ring */
	memset(d->mem.ram, 0, 0x20000);
	d->vr.avail_idx = 0;
	drv_start(d);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr));
	EXPECT_EQ(16, used_len(&d->vr, 0));
}

TEST(reset_cancels_the_timer)
{
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 100, .period_ms = 1000,
	};
	struct drv d;

	drv_create(&d, &p, 0);
	drv_start(&d);
	give(&d, BUF_GPA, 100);
	give(&d, BUF_GPA, 100);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d.vr));
	EXPECT_TRUE(d.rng->work.timer);
	d.vdev->ops->reset(d.vdev);
	EXPECT_FALSE(d.rng->work.timer);
	kshim_advance_ns(5000 * MS);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(1, used_idx(&d.vr));
	drv_destroy(&d);
}

TEST(destroy_with_work_pending)
{
	struct kestrel_virtio_rng_params p = {
		.rate_bytes = 100, .period_ms = 1000,
	};
	struct drv d;

	drv_create(&d, &p, 0);
	drv_start(&d);
	give(&d, BUF_GPA, 200);
	give(&d, BUF_GPA, 200);
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, kshim_nr_timers);
	kick(&d);
	drv_destroy(&d);
	EXPECT_EQ(0, kshim_nr_timers);
	EXPECT_EQ(0, kshim_nr_work);
}

TEST_F(rng, broken_ring_needs_reset)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 5, BUF_GPA, 16, F_WRITE | F_NEXT, 5);	/* loop */
	avail_add(&d->vr, 5);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, interrupts[0]);
	EXPECT_EQ(0, used_idx(&d->vr));
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_EQ(KESTREL_VQ_ERR_LOOP, kestrel_vq_error(&d->rng->vq));
	/* stopped: more kicks do nothing, and say nothing more */
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(1, kshim_warnings);
	EXPECT_EQ(0, used_idx(&d->vr));

	/* reset, start again: served again */
	d->vdev->ops->reset(d->vdev);
	memset(d->mem.ram, 0, 0x20000);
	d->vr.avail_idx = 0;
	drv_start(d);
	give(d, BUF_GPA, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, used_idx(&d->vr));
	EXPECT_EQ(1, resets_asked);
}

TEST_F(rng, readable_buffer_refused)
{
	struct drv *d = &self->d;

	set_desc(&d->mem, DESC_GPA, 0, BUF_GPA, 16, 0, 0);
	avail_add(&d->vr, 0);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(&d->vr));
	EXPECT_EQ(KESTREL_VQ_ERR_DEVICE, kestrel_vq_error(&d->rng->vq));
	EXPECT_NE(NULL, strstr(kshim_last_warning, "test rng"));
}

TEST_F(rng, buffer_not_ram)
{
	struct drv *d = &self->d;

	give(d, HOLE_START - 8, 16);
	kick(d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(0, used_idx(&d->vr));
	EXPECT_EQ(KESTREL_VQ_ERR_BUF_FAULT, kestrel_vq_error(&d->rng->vq));
}

TEST(bad_ring_at_start)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };
	struct drv d;

	drv_create(&d, &unlimited, 0);
	d.vdev->queues[0].device = HOLE_START;
	drv_start(&d);
	EXPECT_EQ(0, resets_asked);	/* not from start itself */
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	EXPECT_EQ(KESTREL_VQ_ERR_RING_RAM, kestrel_vq_error(&d.rng->vq));
	kick(&d);
	kshim_run_work();
	EXPECT_EQ(1, resets_asked);
	drv_destroy(&d);
}

TEST(queue_not_enabled)
{
	struct kestrel_virtio_rng_params unlimited = { 0 };
	struct drv d;

	drv_create(&d, &unlimited, 0);
	d.vdev->queues[0].enabled = false;
	drv_start(&d);
	EXPECT_EQ(0, kshim_run_work());
	give(&d, BUF_GPA, 16);
	kick(&d);
	EXPECT_EQ(1, kshim_run_work());
	EXPECT_EQ(0, used_idx(&d.vr));
	EXPECT_EQ(0, resets_asked);
	drv_destroy(&d);
}

TEST_F(rng, other_queue_ignored)
{
	give(&self->d, BUF_GPA, 16);
	self->d.vdev->ops->notify(self->d.vdev, 1);
	EXPECT_EQ(0, kshim_run_work());
	EXPECT_EQ(0, used_idx(&self->d.vr));
}

TEST_HARNESS_MAIN
