// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair (kmod/dev/pic.c), its state machine built natively and
 * driven with the port sequences Linux's arch/x86/kernel/i8259.c uses.
 */
#include "kshim.h"
#include "../dev/pic.c"

#include "kselftest_harness.h"

#define VEC0	0x30	/* Linux 6.1: ISA_IRQ_VECTOR(0) */
#define VEC8	0x38

static struct pic_state pic;
static int intr_calls;
static bool intr_level;

static void intr(void *opaque, bool level)
{
	(void)opaque;
	intr_calls++;
	intr_level = level;
}

static void wr(u16 port, u8 val)
{
	pic_state_write(&pic, port, val);
}

static u8 rd(u16 port)
{
	return pic_state_read(&pic, port);
}

static void irq(unsigned int n, bool level)
{
	pic_state_set_irq(&pic, n, level);
}

static u8 isr(u16 cmd)
{
	u8 v;

	wr(cmd, 0x0b);
	v = rd(cmd);
	wr(cmd, 0x0a);
	return v;
}

/* init_8259A(), then Linux's masks with @master and @slave unmasked. */
static void setup(bool auto_eoi, u8 master_imr, u8 slave_imr)
{
	pic_state_init(&pic, intr, NULL);
	intr_calls = 0;
	intr_level = false;
	wr(0x21, 0xff);
	wr(0xa1, 0xff);
	wr(0x20, 0x11);			/* ICW1: edge, cascade, ICW4 */
	wr(0x21, VEC0);			/* ICW2 */
	wr(0x21, 1U << 2);		/* ICW3: slave on IR2 */
	wr(0x21, auto_eoi ? 0x03 : 0x01);	/* ICW4: 8086, (AEOI) */
	wr(0xa0, 0x11);
	wr(0xa1, VEC8);
	wr(0xa1, 2);			/* ICW3: slave ID 2 */
	wr(0xa1, 0x01);
	wr(0x21, master_imr);
	wr(0xa1, slave_imr);
}

TEST(probe_and_power_on)
{
	pic_state_init(&pic, intr, NULL);
	/* probe_8259A() */
	wr(0xa1, 0xff);
	wr(0x21, 0xa5);
	EXPECT_EQ(0xa5, rd(0x21));
	EXPECT_EQ(0xff, rd(0xa1));
	EXPECT_EQ(0, rd(0x20));
	EXPECT_EQ(0, rd(0x4d0));
	EXPECT_EQ(0xff, rd(0x22));
	EXPECT_EQ(-1, pic_state_ack(&pic));
}

TEST(icw1_clears_imr_and_vectors)
{
	setup(false, 0xfe, 0xff);
	EXPECT_EQ(0xfe, rd(0x21));
	EXPECT_EQ(0xff, rd(0xa1));
	wr(0x20, 0x11);
	EXPECT_EQ(0, rd(0x21));		/* ICW1 clears IMR */
	wr(0x21, 0x08);
	wr(0x21, 0x04);
	wr(0x21, 0x01);
	EXPECT_EQ(0, rd(0x21));		/* back to OCW1 */
	wr(0x21, 0xfe);
	EXPECT_EQ(0xfe, rd(0x21));
	irq(0, true);
	EXPECT_EQ(0x08, pic_state_ack(&pic));
}

TEST(deliver_ack_eoi)
{
	setup(false, 0xfe, 0xff);
	EXPECT_EQ(0, intr_calls);
	irq(0, true);
	EXPECT_EQ(1, intr_calls);
	EXPECT_TRUE(intr_level);
	EXPECT_EQ(0x01, rd(0x20));	/* IRR */
	EXPECT_EQ(VEC0, pic_state_ack(&pic));
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(2, intr_calls);
	EXPECT_EQ(0, rd(0x20));		/* edge request consumed */
	EXPECT_EQ(0x01, isr(0x20));
	irq(0, false);
	irq(0, true);			/* in service: held off */
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(0x01, rd(0x20));
	wr(0x20, 0x60);			/* specific EOI, IR0 */
	EXPECT_EQ(0, isr(0x20));
	EXPECT_TRUE(intr_level);
	EXPECT_EQ(VEC0, pic_state_ack(&pic));
	wr(0x20, 0x20);			/* non-specific EOI */
	EXPECT_EQ(0, isr(0x20));
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(-1, pic_state_ack(&pic));
	EXPECT_EQ(4, intr_calls);
}

TEST(mask_unmask)
{
	setup(false, 0xff, 0xff);
	irq(1, true);
	EXPECT_EQ(0x02, rd(0x20));	/* requested even while masked */
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(-1, pic_state_ack(&pic));
	wr(0x21, 0xfd);
	EXPECT_TRUE(intr_level);
	wr(0x21, 0xff);
	EXPECT_FALSE(intr_level);
	wr(0x21, 0xfd);
	EXPECT_EQ(VEC0 + 1, pic_state_ack(&pic));
	wr(0x20, 0x61);
	EXPECT_EQ(0, isr(0x20));
}

TEST(edge_needs_rising_edge)
{
	setup(false, 0x00, 0xff);
	irq(3, true);
	EXPECT_EQ(VEC0 + 3, pic_state_ack(&pic));
	wr(0x20, 0x20);
	irq(3, true);			/* still high: no new edge */
	EXPECT_EQ(0, rd(0x20));
	EXPECT_FALSE(intr_level);
	irq(3, false);
	irq(3, true);
	EXPECT_TRUE(intr_level);
	/* a pulse while masked is remembered */
	irq(3, false);
	EXPECT_EQ(VEC0 + 3, pic_state_ack(&pic));
	wr(0x21, 0x10);
	irq(4, true);
	irq(4, false);
	EXPECT_EQ(0x10, rd(0x20));
	wr(0x20, 0x20);
	wr(0x21, 0x00);
	EXPECT_EQ(VEC0 + 4, pic_state_ack(&pic));
}

TEST(level_follows_line)
{
	setup(false, 0x00, 0x00);
	wr(0x4d0, 0x20);		/* IRQ5 level */
	EXPECT_EQ(0x20, rd(0x4d0));
	irq(5, true);
	EXPECT_TRUE(intr_level);
	irq(5, false);			/* gone before the ack */
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(0, rd(0x20));
	irq(5, true);
	EXPECT_EQ(VEC0 + 5, pic_state_ack(&pic));
	EXPECT_EQ(0x20, rd(0x20));	/* ack does not clear a level */
	EXPECT_FALSE(intr_level);	/* but ISR holds it off */
	wr(0x20, 0x65);
	EXPECT_TRUE(intr_level);	/* line still high: again */
	EXPECT_EQ(VEC0 + 5, pic_state_ack(&pic));
	irq(5, false);
	wr(0x20, 0x65);
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(-1, pic_state_ack(&pic));
	/* repeated high with no low in between is still one request */
	irq(5, true);
	irq(5, true);
	EXPECT_EQ(VEC0 + 5, pic_state_ack(&pic));
	irq(5, false);
	wr(0x20, 0x20);
	EXPECT_EQ(-1, pic_state_ack(&pic));
}

TEST(elcr)
{
	setup(false, 0x00, 0x00);
	/* init_ISA_irqs()-style: Linux masks with 0xf8 and 0xde */
	wr(0x4d0, 0xff);
	wr(0x4d1, 0xff);
	EXPECT_EQ(0xf8, rd(0x4d0));
	EXPECT_EQ(0xde, rd(0x4d1));
	/* IRQ8 and IRQ13 stay edge-triggered */
	irq(8, true);
	EXPECT_EQ(VEC8, pic_state_ack(&pic));
	EXPECT_EQ(0, rd(0xa0));
	wr(0xa0, 0x20);
	wr(0x20, 0x20);
	/* an already-high line becomes a request when switched to level */
	wr(0x4d1, 0x00);
	irq(9, true);
	EXPECT_EQ(VEC8 + 1, pic_state_ack(&pic));
	wr(0xa0, 0x20);
	wr(0x20, 0x20);
	EXPECT_EQ(-1, pic_state_ack(&pic));
	wr(0x4d1, 0x02);
	EXPECT_EQ(0x02, rd(0xa0));
	EXPECT_EQ(VEC8 + 1, pic_state_ack(&pic));
}

TEST(priorities_and_nesting)
{
	setup(false, 0x00, 0xff);
	irq(3, true);
	irq(1, true);
	EXPECT_EQ(0x0a, rd(0x20));
	EXPECT_EQ(VEC0 + 1, pic_state_ack(&pic));
	EXPECT_FALSE(intr_level);	/* IR3 is below IR1 in service */
	irq(0, true);			/* IR0 is above: nests */
	EXPECT_TRUE(intr_level);
	EXPECT_EQ(VEC0 + 0, pic_state_ack(&pic));
	EXPECT_EQ(0x03, isr(0x20));
	wr(0x20, 0x20);			/* ends IR0, the highest */
	EXPECT_EQ(0x02, isr(0x20));
	EXPECT_FALSE(intr_level);
	wr(0x20, 0x20);
	EXPECT_EQ(VEC0 + 3, pic_state_ack(&pic));
	wr(0x20, 0x20);
	/* set priority: IR4 lowest, so IR5 highest */
	wr(0x20, 0xc4);
	irq(0, false);
	irq(0, true);
	irq(5, true);
	EXPECT_EQ(VEC0 + 5, pic_state_ack(&pic));
	EXPECT_FALSE(intr_level);	/* IR0 now ranks below IR5 */
	EXPECT_EQ(-1, pic_state_ack(&pic));
	EXPECT_EQ(0x20, isr(0x20));
	wr(0x20, 0x20);
	EXPECT_EQ(VEC0 + 0, pic_state_ack(&pic));
}

TEST(cascade)
{
	setup(false, 0xfb, 0xef);	/* IRQ2 and IRQ12 unmasked */
	irq(12, true);
	EXPECT_TRUE(intr_level);
	EXPECT_EQ(0x10, rd(0xa0));
	EXPECT_EQ(0x04, rd(0x20));	/* the cascade request */
	EXPECT_EQ(VEC8 + 4, pic_state_ack(&pic));
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(0x04, isr(0x20));
	EXPECT_EQ(0x10, isr(0xa0));
	/* mask_and_ack_8259A(): slave then master specific EOI */
	rd(0xa1);
	wr(0xa1, 0xef);
	wr(0xa0, 0x60 + 4);
	wr(0x20, 0x60 + 2);
	EXPECT_EQ(0, isr(0x20));
	EXPECT_EQ(0, isr(0xa0));
	EXPECT_EQ(-1, pic_state_ack(&pic));
	/* masked at the master: the slave's request waits */
	wr(0x21, 0xff);
	irq(12, false);
	irq(12, true);
	EXPECT_FALSE(intr_level);
	wr(0x21, 0xfb);
	EXPECT_TRUE(intr_level);
	EXPECT_EQ(VEC8 + 4, pic_state_ack(&pic));
	wr(0xa0, 0x20);
	wr(0x20, 0x20);
}

TEST(cascade_priority)
{
	setup(false, 0x00, 0x00);
	irq(3, true);
	irq(14, true);
	irq(8, true);
	/* the slave sits at IR2: above IR3 */
	EXPECT_EQ(VEC8, pic_state_ack(&pic));
	/* slave IR8 in service: IR14 waits; the master's IR2 is busy too */
	EXPECT_FALSE(intr_level);
	wr(0xa0, 0x20);
	wr(0x20, 0x20);
	EXPECT_EQ(VEC8 + 6, pic_state_ack(&pic));
	wr(0xa0, 0x20);
	wr(0x20, 0x20);
	EXPECT_EQ(VEC0 + 3, pic_state_ack(&pic));
	wr(0x20, 0x20);
	EXPECT_EQ(-1, pic_state_ack(&pic));
	/* IR1 nests over the whole slave */
	irq(13, true);
	EXPECT_EQ(VEC8 + 5, pic_state_ack(&pic));
	irq(1, true);
	EXPECT_EQ(VEC0 + 1, pic_state_ack(&pic));
}

TEST(slave_spurious)
{
	setup(false, 0xfb, 0x00);
	wr(0x4d1, 0x04);		/* IRQ10 level */
	irq(10, true);
	EXPECT_TRUE(intr_level);
	irq(10, false);			/* gone, the master latched IR2 */
	EXPECT_EQ(VEC8 + 7, pic_state_ack(&pic));
	EXPECT_EQ(0, isr(0xa0));
	EXPECT_EQ(0x04, isr(0x20));	/* Linux EOIs the master */
	wr(0x20, 0x62);
	EXPECT_EQ(-1, pic_state_ack(&pic));
}

TEST(auto_eoi)
{
	setup(true, 0x00, 0x00);
	irq(4, true);
	irq(6, true);
	EXPECT_EQ(VEC0 + 4, pic_state_ack(&pic));
	EXPECT_EQ(0, isr(0x20));
	EXPECT_TRUE(intr_level);	/* IR6 at once: nothing in service */
	EXPECT_EQ(VEC0 + 6, pic_state_ack(&pic));
	EXPECT_FALSE(intr_level);
	irq(11, true);
	EXPECT_EQ(VEC8 + 3, pic_state_ack(&pic));
	/* Linux programs only the master for AEOI */
	EXPECT_EQ(0, isr(0x20));
	EXPECT_EQ(0x08, isr(0xa0));
}

TEST(ocw3_read_select)
{
	setup(false, 0x00, 0x00);
	irq(1, true);
	irq(7, true);
	EXPECT_EQ(VEC0 + 1, pic_state_ack(&pic));
	wr(0x20, 0x0b);
	EXPECT_EQ(0x02, rd(0x20));
	EXPECT_EQ(0x02, rd(0x20));	/* the selection sticks */
	EXPECT_EQ(0x00, rd(0x21));	/* the data port is still IMR */
	wr(0x20, 0x0a);
	EXPECT_EQ(0x80, rd(0x20));
	wr(0x20, 0x08);			/* RR clear: no change */
	EXPECT_EQ(0x80, rd(0x20));
}

TEST(poll)
{
	setup(false, 0x00, 0x00);
	wr(0x20, 0x0c);
	EXPECT_EQ(0x00, rd(0x20));	/* nothing pending */
	irq(6, true);
	wr(0x20, 0x0c);
	EXPECT_EQ(0x86, rd(0x20));
	EXPECT_EQ(0x40, isr(0x20));
	EXPECT_EQ(0x00, rd(0x20));	/* poll is one read only: IRR */
	EXPECT_FALSE(intr_level);
	wr(0x20, 0x20);
	irq(9, true);
	wr(0xa0, 0x0c);
	EXPECT_EQ(0x81, rd(0xa0));
	EXPECT_EQ(0, isr(0x20));
	EXPECT_EQ(0, rd(0x20));
	EXPECT_FALSE(intr_level);
}

TEST(reinit_clears)
{
	setup(false, 0x00, 0x00);
	irq(1, true);
	irq(3, true);
	EXPECT_EQ(VEC0 + 1, pic_state_ack(&pic));
	wr(0x20, 0x11);
	EXPECT_EQ(0, rd(0x20));
	EXPECT_EQ(0, isr(0x20));
	EXPECT_FALSE(intr_level);
	wr(0x21, VEC0);
	wr(0x21, 0x04);
	wr(0x21, 0x01);
	irq(3, true);			/* still high: edge sense was reset */
	EXPECT_EQ(-1, pic_state_ack(&pic));
	irq(3, false);
	irq(3, true);
	EXPECT_EQ(VEC0 + 3, pic_state_ack(&pic));
}

TEST(rotation)
{
	setup(false, 0x00, 0x00);
	irq(1, true);
	EXPECT_EQ(VEC0 + 1, pic_state_ack(&pic));
	wr(0x20, 0xa0);			/* rotate on non-specific EOI */
	EXPECT_EQ(0, isr(0x20));
	irq(0, true);
	irq(1, false);
	irq(1, true);
	irq(3, true);
	/* IR1 is now the lowest: 3 first, then 0, then 1 */
	EXPECT_EQ(VEC0 + 3, pic_state_ack(&pic));
	wr(0x20, 0xe3);			/* rotate on specific EOI, IR3 */
	EXPECT_EQ(VEC0 + 0, pic_state_ack(&pic));
	wr(0x20, 0x20);
	EXPECT_EQ(VEC0 + 1, pic_state_ack(&pic));
	wr(0x20, 0x20);
	EXPECT_EQ(0, isr(0x20));
	/* rotate in auto-EOI mode */
	setup(true, 0x00, 0x00);
	wr(0x20, 0x80);
	irq(5, true);
	EXPECT_EQ(VEC0 + 5, pic_state_ack(&pic));
	irq(4, true);
	irq(6, true);
	EXPECT_EQ(VEC0 + 6, pic_state_ack(&pic));
	wr(0x20, 0x00);			/* rotation off again */
	EXPECT_EQ(VEC0 + 4, pic_state_ack(&pic));
	irq(7, true);
	irq(3, true);
	EXPECT_EQ(VEC0 + 7, pic_state_ack(&pic));
}

TEST(cascade_input_ignored)
{
	setup(false, 0x00, 0x00);
	irq(2, true);
	irq(16, true);
	EXPECT_FALSE(intr_level);
	EXPECT_EQ(-1, pic_state_ack(&pic));
}

TEST_HARNESS_MAIN
