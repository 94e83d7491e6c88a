// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC state machine (kmod/dev/ioapic.c without its kernel part),
 * built natively.  Registers are reached the way a guest reaches them:
 * IOREGSEL and IOWIN through the MMIO handlers.  Delivered interrupt
 * messages are recorded.
 */
#include "kshim.h"
#include "../dev/ioapic.c"

#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#define MAX_MSGS	64

/* Redirection entry bits, as Linux's struct IO_APIC_route_entry has them */
#define E_DM_LOWEST	(1ULL << 8)
#define E_DM_NMI	(4ULL << 8)
#define E_DM_RESERVED3	(3ULL << 8)
#define E_LOGICAL	(1ULL << 11)
#define E_DELIVS	(1ULL << 12)
#define E_ACTIVE_LOW	(1ULL << 13)
#define E_REMOTE_IRR	(1ULL << 14)
#define E_LEVEL		(1ULL << 15)
#define E_MASKED	(1ULL << 16)
#define E_DEST(d)	((u64)(d) << 56)

#define IOAPIC_ID	4

static struct kestrel_irq_msg msgs[MAX_MSGS];
static unsigned int nr_msgs;
static int deliver_cookie;

static void record(void *opaque, const struct kestrel_irq_msg *msg)
{
	if (opaque != &deliver_cookie)
		abort();
	if (nr_msgs < MAX_MSGS)
		msgs[nr_msgs] = *msg;
	nr_msgs++;
}

static void init(struct ioapic_core *s)
{
	memset(msgs, 0, sizeof(msgs));
	nr_msgs = 0;
	memset(s, 0xa5, sizeof(*s));
	ioapic_core_init(s, IOAPIC_ID, record, &deliver_cookie);
}

static u32 reg_read(struct ioapic_core *s, u32 idx)
{
	ioapic_core_mmio_write(s, 0x00, 4, idx);
	return ioapic_core_mmio_read(s, 0x10, 4);
}

static void reg_write(struct ioapic_core *s, u32 idx, u32 val)
{
	ioapic_core_mmio_write(s, 0x00, 4, idx);
	ioapic_core_mmio_write(s, 0x10, 4, val);
}

static u64 rte_read(struct ioapic_core *s, unsigned int pin)
{
	u64 lo = reg_read(s, 0x10 + 2 * pin);

	return (u64)reg_read(s, 0x11 + 2 * pin) << 32 | lo;
}

/* As Linux's __ioapic_write_entry(): the high half first. */
static void rte_write(struct ioapic_core *s, unsigned int pin, u64 e)
{
	reg_write(s, 0x11 + 2 * pin, e >> 32);
	reg_write(s, 0x10 + 2 * pin, (u32)e);
}

/* Unmask or mask through the low half only, as Linux's io_apic_modify(). */
static void rte_set_mask(struct ioapic_core *s, unsigned int pin, bool mask)
{
	u32 lo = reg_read(s, 0x10 + 2 * pin);

	if (mask)
		lo |= E_MASKED;
	else
		lo &= ~E_MASKED;
	reg_write(s, 0x10 + 2 * pin, lo);
}

TEST(power_on_state)
{
	struct ioapic_core s;
	unsigned int pin;

	init(&s);
	EXPECT_EQ(0, ioapic_core_mmio_read(&s, 0x00, 4));
	EXPECT_EQ(IOAPIC_ID << 24, reg_read(&s, 0));
	EXPECT_EQ(0x00170020, reg_read(&s, 1));	/* 24 entries, v0x20 */
	EXPECT_EQ(IOAPIC_ID << 24, reg_read(&s, 2));
	for (pin = 0; pin < 24; pin++)
		EXPECT_EQ(E_MASKED, rte_read(&s, pin));
	EXPECT_EQ(0, s.lines);
	EXPECT_EQ(0, nr_msgs);
}

TEST(ioregsel)
{
	struct ioapic_core s;

	init(&s);
	ioapic_core_mmio_write(&s, 0x00, 4, 0xffffff12);
	EXPECT_EQ(0x12, ioapic_core_mmio_read(&s, 0x00, 4));
	ioapic_core_mmio_write(&s, 0x00, 4, 0x01);
	EXPECT_EQ(0x01, ioapic_core_mmio_read(&s, 0x00, 4));
	EXPECT_EQ(0x00170020, ioapic_core_mmio_read(&s, 0x10, 4));
	/* reading IOWIN does not move IOREGSEL */
	EXPECT_EQ(0x01, ioapic_core_mmio_read(&s, 0x00, 4));
}

TEST(id_version_arbitration)
{
	struct ioapic_core s;

	init(&s);
	reg_write(&s, 0, 0xffffffff);
	EXPECT_EQ(0x0f000000, reg_read(&s, 0));
	EXPECT_EQ(0x0f000000, reg_read(&s, 2));	/* loaded from the ID */
	reg_write(&s, 0, 0x09000000);
	EXPECT_EQ(0x09000000, reg_read(&s, 0));
	EXPECT_EQ(0x09000000, reg_read(&s, 2));
	/* version and arbitration are read-only */
	reg_write(&s, 1, 0);
	reg_write(&s, 2, 0x03000000);
	EXPECT_EQ(0x00170020, reg_read(&s, 1));
	EXPECT_EQ(0x09000000, reg_read(&s, 2));
	/* an ID above 15 keeps its low four bits */
	ioapic_core_init(&s, 0x13, record, &deliver_cookie);
	EXPECT_EQ(0x03000000, reg_read(&s, 0));
}

TEST(reserved_registers_and_accesses)
{
	struct ioapic_core s;
	static const u32 idx[] = { 3, 0x0f, 0x40, 0x41, 0x80, 0xff };
	unsigned int i;

	init(&s);
	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		reg_write(&s, idx[i], 0xffffffff);
		EXPECT_EQ(0, reg_read(&s, idx[i]));
	}
	for (i = 0; i < 24; i++)
		EXPECT_EQ(E_MASKED, rte_read(&s, i));

	/* other widths: all ones, writes dropped */
	ioapic_core_mmio_write(&s, 0x00, 4, 1);
	EXPECT_EQ(0xff, ioapic_core_mmio_read(&s, 0x00, 1));
	EXPECT_EQ(0xffff, ioapic_core_mmio_read(&s, 0x10, 2));
	EXPECT_EQ(~0ULL, ioapic_core_mmio_read(&s, 0x10, 8));
	ioapic_core_mmio_write(&s, 0x00, 1, 0);
	ioapic_core_mmio_write(&s, 0x00, 8, 0);
	EXPECT_EQ(1, ioapic_core_mmio_read(&s, 0x00, 4));
	reg_write(&s, 0x10, 0x30);
	ioapic_core_mmio_write(&s, 0x10, 2, 0x31);
	ioapic_core_mmio_write(&s, 0x10, 8, 0x31);
	EXPECT_EQ(0x30, reg_read(&s, 0x10));

	/* other offsets, and the write-only EOI register */
	EXPECT_EQ(0xffffffff, ioapic_core_mmio_read(&s, 0x04, 4));
	EXPECT_EQ(0xffffffff, ioapic_core_mmio_read(&s, 0x20, 4));
	EXPECT_EQ(0xffffffff, ioapic_core_mmio_read(&s, 0x40, 4));
	EXPECT_EQ(0xffffffff, ioapic_core_mmio_read(&s, 0xffc, 4));
	ioapic_core_mmio_write(&s, 0x14, 4, 0x55);
	ioapic_core_mmio_write(&s, 0x20, 4, 0x55);
	EXPECT_EQ(0x10, ioapic_core_mmio_read(&s, 0x00, 4));
	EXPECT_EQ(0x30, ioapic_core_mmio_read(&s, 0x10, 4));
	EXPECT_EQ(0, nr_msgs);
}

TEST(redirection_entry_bits)
{
	struct ioapic_core s;

	init(&s);
	/* everything writable: 0-11, 13, 15, 16, 56-63 */
	rte_write(&s, 5, ~0ULL);
	EXPECT_EQ(0xff0000000001afffULL, rte_read(&s, 5));
	EXPECT_EQ(0x0001afff, reg_read(&s, 0x10 + 2 * 5));
	EXPECT_EQ(0xff000000, reg_read(&s, 0x11 + 2 * 5));
	/* halves are independent */
	reg_write(&s, 0x11 + 2 * 5, 0x12345678);
	EXPECT_EQ(0x120000000001afffULL, rte_read(&s, 5));
	reg_write(&s, 0x10 + 2 * 5, 0x10042);
	EXPECT_EQ(0x1200000000010042ULL, rte_read(&s, 5));
	/* neighbours untouched */
	EXPECT_EQ(E_MASKED, rte_read(&s, 4));
	EXPECT_EQ(E_MASKED, rte_read(&s, 6));
	/* pin 23 is the last entry, index 0x3e/0x3f */
	rte_write(&s, 23, E_DEST(7) | E_MASKED | 0x77);
	EXPECT_EQ(E_DEST(7) | E_MASKED | 0x77, rte_read(&s, 23));
	EXPECT_EQ(0x77 | E_MASKED, reg_read(&s, 0x3e));
	EXPECT_EQ(0x07000000, reg_read(&s, 0x3f));
}

TEST(read_only_bits_preserved)
{
	struct ioapic_core s;

	init(&s);
	rte_write(&s, 3, E_LEVEL | 0x50);
	ioapic_core_set_irq(&s, 3, true);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(E_LEVEL | E_REMOTE_IRR | 0x50, rte_read(&s, 3));
	/* writing remote IRR clear and delivery status set changes neither */
	reg_write(&s, 0x10 + 2 * 3, E_LEVEL | E_DELIVS | 0x51);
	EXPECT_EQ(E_LEVEL | E_REMOTE_IRR | 0x51, rte_read(&s, 3));
	reg_write(&s, 0x10 + 2 * 3, E_LEVEL | E_REMOTE_IRR | 0x52);
	EXPECT_EQ(E_LEVEL | E_REMOTE_IRR | 0x52, rte_read(&s, 3));
	/* nor does a high-half write */
	reg_write(&s, 0x11 + 2 * 3, 0x01000000);
	EXPECT_EQ(E_DEST(1) | E_LEVEL | E_REMOTE_IRR | 0x52,
		  rte_read(&s, 3));
	/* a pin not yet delivered cannot get remote IRR written */
	rte_write(&s, 4, E_LEVEL | E_REMOTE_IRR | E_MASKED);
	EXPECT_EQ(E_LEVEL | E_MASKED, rte_read(&s, 4));
	EXPECT_EQ(1, nr_msgs);
}

TEST(edge_rising_only)
{
	struct ioapic_core s;

	init(&s);
	rte_write(&s, 1, E_DEST(2) | 0x31);
	ioapic_core_set_irq(&s, 1, false);
	EXPECT_EQ(0, nr_msgs);
	ioapic_core_set_irq(&s, 1, true);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(0x31, msgs[0].vector);
	EXPECT_EQ(2, msgs[0].dest);
	EXPECT_EQ(KESTREL_IRQ_DM_FIXED, msgs[0].delivery_mode);
	EXPECT_FALSE(msgs[0].dest_logical);
	EXPECT_FALSE(msgs[0].level_triggered);
	EXPECT_TRUE(msgs[0].assert);
	EXPECT_FALSE(msgs[0].redir_hint);
	/* staying high, or falling, does nothing */
	ioapic_core_set_irq(&s, 1, true);
	ioapic_core_set_irq(&s, 1, false);
	ioapic_core_set_irq(&s, 1, false);
	EXPECT_EQ(1, nr_msgs);
	ioapic_core_set_irq(&s, 1, true);
	EXPECT_EQ(2, nr_msgs);
	/* edge pins never get remote IRR, and EOI does not re-deliver */
	EXPECT_EQ(E_DEST(2) | 0x31, rte_read(&s, 1));
	ioapic_core_eoi(&s, 0x31);
	EXPECT_EQ(2, nr_msgs);
	/* only that pin */
	ioapic_core_set_irq(&s, 0, true);
	ioapic_core_set_irq(&s, 2, true);
	EXPECT_EQ(2, nr_msgs);
}

TEST(masked_pins_do_not_deliver)
{
	struct ioapic_core s;

	init(&s);
	rte_write(&s, 1, E_MASKED | 0x31);
	rte_write(&s, 9, E_MASKED | E_LEVEL | 0x39);
	ioapic_core_set_irq(&s, 1, true);
	ioapic_core_set_irq(&s, 9, true);
	EXPECT_EQ(0, nr_msgs);
	EXPECT_EQ(E_MASKED | E_LEVEL | 0x39, rte_read(&s, 9));
	/* an edge that came while masked is lost */
	rte_set_mask(&s, 1, false);
	EXPECT_EQ(0, nr_msgs);
	ioapic_core_set_irq(&s, 1, false);
	ioapic_core_set_irq(&s, 1, true);
	EXPECT_EQ(1, nr_msgs);
	/* masking again stops it */
	rte_set_mask(&s, 1, true);
	ioapic_core_set_irq(&s, 1, false);
	ioapic_core_set_irq(&s, 1, true);
	EXPECT_EQ(1, nr_msgs);
	/* a masked level pin stays quiet through EOIs */
	ioapic_core_eoi(&s, 0x39);
	EXPECT_EQ(1, nr_msgs);
}

TEST(level_remote_irr_and_redelivery)
{
	struct ioapic_core s;

	init(&s);
	rte_write(&s, 10, E_DEST(1) | E_LEVEL | 0x4a);
	EXPECT_EQ(0, nr_msgs);
	ioapic_core_set_irq(&s, 10, true);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(0x4a, msgs[0].vector);
	EXPECT_TRUE(msgs[0].level_triggered);
	EXPECT_TRUE(msgs[0].assert);
	EXPECT_EQ(1, msgs[0].dest);
	EXPECT_TRUE(rte_read(&s, 10) & E_REMOTE_IRR);
	/* no more while remote IRR is set, however the line moves */
	ioapic_core_set_irq(&s, 10, true);
	ioapic_core_set_irq(&s, 10, false);
	ioapic_core_set_irq(&s, 10, true);
	EXPECT_EQ(1, nr_msgs);
	/* EOI of another vector does nothing */
	ioapic_core_eoi(&s, 0x4b);
	EXPECT_EQ(1, nr_msgs);
	EXPECT_TRUE(rte_read(&s, 10) & E_REMOTE_IRR);
	/* EOI with the line still high: delivered again */
	ioapic_core_eoi(&s, 0x4a);
	ASSERT_EQ(2, nr_msgs);
	EXPECT_EQ(0x4a, msgs[1].vector);
	EXPECT_TRUE(rte_read(&s, 10) & E_REMOTE_IRR);
	/* the device deasserts, then the EOI: quiet, remote IRR clear */
	ioapic_core_set_irq(&s, 10, false);
	ioapic_core_eoi(&s, 0x4a);
	EXPECT_EQ(2, nr_msgs);
	EXPECT_FALSE(rte_read(&s, 10) & E_REMOTE_IRR);
	/* and the next assertion delivers */
	ioapic_core_set_irq(&s, 10, true);
	EXPECT_EQ(3, nr_msgs);
}

TEST(active_low)
{
	struct ioapic_core s;

	init(&s);
	/* level, active low: the line is low, so the pin is asserted */
	ioapic_core_set_irq(&s, 11, true);
	rte_write(&s, 11, E_LEVEL | E_ACTIVE_LOW | 0x5b);
	EXPECT_EQ(0, nr_msgs);
	ioapic_core_set_irq(&s, 11, false);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(0x5b, msgs[0].vector);
	EXPECT_TRUE(msgs[0].level_triggered);
	EXPECT_TRUE(msgs[0].assert);	/* polarity is not in the message */
	ioapic_core_set_irq(&s, 11, true);	/* deasserted */
	ioapic_core_eoi(&s, 0x5b);
	EXPECT_EQ(1, nr_msgs);
	ioapic_core_set_irq(&s, 11, false);	/* asserted again */
	EXPECT_EQ(2, nr_msgs);
	ioapic_core_eoi(&s, 0x5b);		/* still low */
	EXPECT_EQ(3, nr_msgs);

	/* edge, active low: a falling line is the edge */
	ioapic_core_set_irq(&s, 12, true);
	rte_write(&s, 12, E_ACTIVE_LOW | 0x5c);
	ioapic_core_set_irq(&s, 12, true);
	EXPECT_EQ(3, nr_msgs);
	ioapic_core_set_irq(&s, 12, false);
	ASSERT_EQ(4, nr_msgs);
	EXPECT_EQ(0x5c, msgs[3].vector);
	ioapic_core_set_irq(&s, 12, true);
	EXPECT_EQ(4, nr_msgs);

	/* flipping the polarity of an edge pin is not an edge */
	reg_write(&s, 0x10 + 2 * 12, 0x5c);
	EXPECT_EQ(4, nr_msgs);
	ioapic_core_set_irq(&s, 12, false);
	ioapic_core_set_irq(&s, 12, true);
	EXPECT_EQ(5, nr_msgs);
}

TEST(unmask_delivers_pending_level)
{
	struct ioapic_core s;

	init(&s);
	rte_write(&s, 9, E_MASKED | E_LEVEL | 0x39);
	ioapic_core_set_irq(&s, 9, true);
	EXPECT_EQ(0, nr_msgs);
	rte_set_mask(&s, 9, false);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(0x39, msgs[0].vector);
	EXPECT_EQ(E_LEVEL | E_REMOTE_IRR | 0x39, rte_read(&s, 9));
	/* mask and unmask again: remote IRR still holds it back */
	rte_set_mask(&s, 9, true);
	rte_set_mask(&s, 9, false);
	EXPECT_EQ(1, nr_msgs);
	/* EOI while masked clears remote IRR; unmasking delivers */
	rte_set_mask(&s, 9, true);
	ioapic_core_eoi(&s, 0x39);
	EXPECT_EQ(1, nr_msgs);
	EXPECT_EQ(E_MASKED | E_LEVEL | 0x39, rte_read(&s, 9));
	rte_set_mask(&s, 9, false);
	EXPECT_EQ(2, nr_msgs);

	/* an edge pin switched to level while asserted delivers too */
	rte_write(&s, 13, 0x3d);
	ioapic_core_set_irq(&s, 13, true);
	EXPECT_EQ(3, nr_msgs);
	reg_write(&s, 0x10 + 2 * 13, E_LEVEL | 0x3d);
	EXPECT_EQ(4, nr_msgs);
	EXPECT_TRUE(msgs[3].level_triggered);
}

TEST(eoi_by_vector)
{
	struct ioapic_core s;
	unsigned int i;

	init(&s);
	rte_write(&s, 16, E_LEVEL | 0x60);
	rte_write(&s, 17, E_LEVEL | 0x60);
	rte_write(&s, 18, E_LEVEL | 0x61);
	ioapic_core_set_irq(&s, 16, true);
	ioapic_core_set_irq(&s, 17, true);
	ioapic_core_set_irq(&s, 18, true);
	ASSERT_EQ(3, nr_msgs);
	ioapic_core_eoi(&s, 0x60);
	ASSERT_EQ(5, nr_msgs);
	EXPECT_EQ(0x60, msgs[3].vector);
	EXPECT_EQ(0x60, msgs[4].vector);
	for (i = 16; i <= 18; i++)
		EXPECT_TRUE(rte_read(&s, i) & E_REMOTE_IRR);
	/* one of the two is deasserted: only the other comes back */
	ioapic_core_set_irq(&s, 16, false);
	ioapic_core_eoi(&s, 0x60);
	EXPECT_EQ(6, nr_msgs);
	EXPECT_FALSE(rte_read(&s, 16) & E_REMOTE_IRR);
	EXPECT_TRUE(rte_read(&s, 17) & E_REMOTE_IRR);
	/* the version 0x20 EOI register does the same; bits 31:8 ignored */
	ioapic_core_mmio_write(&s, 0x40, 4, 0xffffff61);
	ASSERT_EQ(7, nr_msgs);
	EXPECT_EQ(0x61, msgs[6].vector);
	ioapic_core_set_irq(&s, 18, false);
	ioapic_core_mmio_write(&s, 0x40, 4, 0x61);
	EXPECT_EQ(7, nr_msgs);
	EXPECT_FALSE(rte_read(&s, 18) & E_REMOTE_IRR);
	/* a byte write to the EOI register is dropped */
	ioapic_core_mmio_write(&s, 0x40, 1, 0x60);
	EXPECT_TRUE(rte_read(&s, 17) & E_REMOTE_IRR);
	EXPECT_EQ(7, nr_msgs);
}

TEST(switch_to_edge_clears_remote_irr)
{
	struct ioapic_core s;

	init(&s);
	/* Linux's EOI for I/O APICs older than 0x20: level -> edge -> level */
	rte_write(&s, 20, E_LEVEL | 0x70);
	ioapic_core_set_irq(&s, 20, true);
	ASSERT_EQ(1, nr_msgs);
	ioapic_core_set_irq(&s, 20, false);
	reg_write(&s, 0x10 + 2 * 20, E_MASKED | 0x70);
	EXPECT_EQ(E_MASKED | 0x70, rte_read(&s, 20));
	reg_write(&s, 0x10 + 2 * 20, E_LEVEL | 0x70);
	EXPECT_EQ(E_LEVEL | 0x70, rte_read(&s, 20));
	EXPECT_EQ(1, nr_msgs);
}

TEST(message_fields)
{
	struct ioapic_core s;

	init(&s);
	rte_write(&s, 6, E_DEST(0x0f) | E_LOGICAL | E_DM_LOWEST | 0x86);
	ioapic_core_set_irq(&s, 6, true);
	ASSERT_EQ(1, nr_msgs);
	EXPECT_EQ(0x0f, msgs[0].dest);
	EXPECT_TRUE(msgs[0].dest_logical);
	EXPECT_EQ(KESTREL_IRQ_DM_LOWEST, msgs[0].delivery_mode);
	EXPECT_EQ(0x86, msgs[0].vector);

	rte_write(&s, 7, E_DEST(0xff) | E_DM_NMI);
	ioapic_core_set_irq(&s, 7, true);
	ASSERT_EQ(2, nr_msgs);
	EXPECT_EQ(KESTREL_IRQ_DEST_BROADCAST, msgs[1].dest);
	EXPECT_EQ(KESTREL_IRQ_DM_NMI, msgs[1].delivery_mode);
	EXPECT_FALSE(msgs[1].dest_logical);

	/* ExtINT, as the 8259 on pin 0 would be routed */
	rte_write(&s, 0, 7ULL << 8);
	ioapic_core_set_irq(&s, 0, true);
	ASSERT_EQ(3, nr_msgs);
	EXPECT_EQ(KESTREL_IRQ_DM_EXTINT, msgs[2].delivery_mode);

	/* reserved delivery modes never deliver, nor set remote IRR */
	rte_write(&s, 8, E_LEVEL | E_DM_RESERVED3 | 0x88);
	ioapic_core_set_irq(&s, 8, true);
	rte_write(&s, 14, (6ULL << 8) | 0x8e);
	ioapic_core_set_irq(&s, 14, true);
	EXPECT_EQ(3, nr_msgs);
	EXPECT_FALSE(rte_read(&s, 8) & E_REMOTE_IRR);
}

TEST(pins_out_of_range)
{
	struct ioapic_core s;

	init(&s);
	ioapic_core_set_irq(&s, 24, true);
	ioapic_core_set_irq(&s, 31, true);
	ioapic_core_set_irq(&s, 32, true);
	ioapic_core_set_irq(&s, ~0U, true);
	EXPECT_EQ(0, s.lines);
	EXPECT_EQ(0, nr_msgs);
}

TEST(reset)
{
	struct ioapic_core s;
	unsigned int pin;

	init(&s);
	reg_write(&s, 0, 0x0c000000);
	rte_write(&s, 9, E_LEVEL | 0x39);
	rte_write(&s, 1, 0x31);
	ioapic_core_set_irq(&s, 9, true);
	ioapic_core_set_irq(&s, 1, true);
	ASSERT_EQ(2, nr_msgs);
	ioapic_core_mmio_write(&s, 0x00, 4, 0x13);
	ioapic_core_reset(&s);
	EXPECT_EQ(0, ioapic_core_mmio_read(&s, 0x00, 4));
	EXPECT_EQ(IOAPIC_ID << 24, reg_read(&s, 0));
	for (pin = 0; pin < 24; pin++)
		EXPECT_EQ(E_MASKED, rte_read(&s, pin));
	/* the lines keep their levels */
	EXPECT_EQ((1U << 9) | (1U << 1), s.lines);
	rte_write(&s, 9, E_LEVEL | 0x39);
	EXPECT_EQ(3, nr_msgs);
	rte_write(&s, 1, 0x31);
	EXPECT_EQ(3, nr_msgs);
}

TEST(no_deliver_callback)
{
	struct ioapic_core s;

	ioapic_core_init(&s, 0, NULL, NULL);
	rte_write(&s, 9, E_LEVEL | 0x39);
	ioapic_core_set_irq(&s, 9, true);
	EXPECT_EQ(E_LEVEL | E_REMOTE_IRR | 0x39, rte_read(&s, 9));
}

/*
 * What Linux 6.1 does at boot with the MADT of lib/acpi.h: read the version
 * (setup_ioapic -> io_apic_get_version / io_apic_get_redir_entries), mask
 * every pin (clear_IO_APIC: read the entry, mask it with the low half, then
 * the high half), program the legacy IRQs masked (ISA: edge, active high,
 * IRQ0 on pin 2 by the override, the SCI level active high by its override;
 * fixed delivery, physical destination 0), then unmask each as its driver
 * requests it (low half only) and take interrupts; the level SCI is
 * acknowledged with an EOI broadcast, or with the EOI register.
 */
TEST(linux_boot)
{
	static const struct { unsigned int pin; u8 vector; bool level; } isa[] = {
		{ 2, 0x30, false },	/* IRQ0 (timer) -> GSI 2 */
		{ 1, 0x31, false },	/* IRQ1 keyboard */
		{ 4, 0x34, false },	/* IRQ4 COM1 */
		{ 8, 0x38, false },	/* IRQ8 RTC */
		{ 9, 0x39, true },	/* IRQ9 SCI, level, active high */
	};
	struct ioapic_core s;
	unsigned int i, pin;
	u32 ver;

	init(&s);
	ver = reg_read(&s, 1);
	EXPECT_EQ(0x20, ver & 0xff);
	EXPECT_EQ(23, (ver >> 16) & 0xff);	/* maximum redirection entry */
	EXPECT_EQ(IOAPIC_ID, (reg_read(&s, 0) >> 24) & 0x0f);

	for (pin = 0; pin < 24; pin++) {
		u64 e = rte_read(&s, pin);

		if (!(e & E_MASKED)) {
			reg_write(&s, 0x10 + 2 * pin, E_MASKED);
			reg_write(&s, 0x11 + 2 * pin, 0);
		}
		/* all masked already: Linux writes nothing */
		EXPECT_TRUE(rte_read(&s, pin) & E_MASKED);
	}
	/* the lines move while everything is masked: nothing delivered */
	ioapic_core_set_irq(&s, 2, true);
	ioapic_core_set_irq(&s, 2, false);
	ioapic_core_set_irq(&s, 4, true);
	EXPECT_EQ(0, nr_msgs);

	for (i = 0; i < ARRAY_SIZE(isa); i++)
		rte_write(&s, isa[i].pin, E_DEST(0) | E_MASKED |
			  (isa[i].level ? E_LEVEL : 0) | isa[i].vector);
	for (i = 0; i < ARRAY_SIZE(isa); i++) {
		EXPECT_EQ(E_MASKED | (isa[i].level ? E_LEVEL : 0) |
			  isa[i].vector, rte_read(&s, isa[i].pin));
		rte_set_mask(&s, isa[i].pin, false);
	}
	/* COM1's line was already high: an edge before the unmask is lost */
	EXPECT_EQ(0, nr_msgs);

	/* timer ticks: one message per rising edge */
	for (i = 0; i < 3; i++) {
		ioapic_core_set_irq(&s, 2, true);
		ioapic_core_set_irq(&s, 2, false);
	}
	ASSERT_EQ(3, nr_msgs);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0x30, msgs[i].vector);
		EXPECT_EQ(0, msgs[i].dest);
		EXPECT_FALSE(msgs[i].level_triggered);
	}
	ioapic_core_set_irq(&s, 1, true);
	ioapic_core_set_irq(&s, 4, false);
	ioapic_core_set_irq(&s, 4, true);
	ioapic_core_set_irq(&s, 8, true);
	ASSERT_EQ(6, nr_msgs);
	EXPECT_EQ(0x31, msgs[3].vector);
	EXPECT_EQ(0x34, msgs[4].vector);
	EXPECT_EQ(0x38, msgs[5].vector);

	/* the SCI: level, held until the handler clears PM1_STS */
	ioapic_core_set_irq(&s, 9, true);
	ASSERT_EQ(7, nr_msgs);
	EXPECT_EQ(0x39, msgs[6].vector);
	EXPECT_TRUE(msgs[6].level_triggered);
	ioapic_core_eoi(&s, 0x39);	/* not cleared yet: again */
	EXPECT_EQ(8, nr_msgs);
	ioapic_core_mmio_write(&s, 0x40, 4, 0x39);	/* EOI register */
	EXPECT_EQ(9, nr_msgs);
	ioapic_core_set_irq(&s, 9, false);
	ioapic_core_eoi(&s, 0x39);
	EXPECT_EQ(9, nr_msgs);
	EXPECT_EQ(E_LEVEL | 0x39, rte_read(&s, 9));

	/* unprogrammed pins stay masked */
	ioapic_core_set_irq(&s, 3, true);
	ioapic_core_set_irq(&s, 23, true);
	EXPECT_EQ(9, nr_msgs);
}

TEST(msi_message)
{
	struct kestrel_irq_msg msg;

	/* Linux's MSI: fixed, edge, assert, physical destination 3 */
	kestrel_irq_msg_from_msi(&msg, 0xfee03000ULL, 0x4041);
	EXPECT_EQ(3, msg.dest);
	EXPECT_EQ(0x41, msg.vector);
	EXPECT_EQ(KESTREL_IRQ_DM_FIXED, msg.delivery_mode);
	EXPECT_FALSE(msg.dest_logical);
	EXPECT_FALSE(msg.level_triggered);
	EXPECT_TRUE(msg.assert);
	EXPECT_FALSE(msg.redir_hint);
	/* logical, lowest priority, redirection hint; edge without the level
	 * bit is still an assertion
	 */
	kestrel_irq_msg_from_msi(&msg, 0xfeeff00cULL, 0x0122);
	EXPECT_EQ(0xff, msg.dest);
	EXPECT_EQ(0x22, msg.vector);
	EXPECT_EQ(KESTREL_IRQ_DM_LOWEST, msg.delivery_mode);
	EXPECT_TRUE(msg.dest_logical);
	EXPECT_TRUE(msg.redir_hint);
	EXPECT_TRUE(msg.assert);
	/* level de-assert */
	kestrel_irq_msg_from_msi(&msg, 0xfee00000ULL, 0x8023);
	EXPECT_TRUE(msg.level_triggered);
	EXPECT_FALSE(msg.assert);
}

TEST_HARNESS_MAIN
