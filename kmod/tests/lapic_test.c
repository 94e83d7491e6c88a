// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC state machine (kmod/dev/lapic.c without its kernel part),
 * built natively.  xAPIC registers are reached through the MMIO handlers,
 * x2APIC ones through the MSR handlers; time is passed in.
 */
#include "kshim.h"
#include "../dev/lapic.c"

#include <string.h>

#include "kselftest_harness.h"

#define NOW	1000000000ULL	/* an arbitrary "now": 1 s */

static struct lapic_effects fx;

static void init(struct lapic_core *s, u32 id)
{
	memset(s, 0xa5, sizeof(*s));
	lapic_core_init(s, id, 1000000);	/* 1 GHz TSC */
	lapic_effects_init(&fx);
}

static u32 rd(struct lapic_core *s, u32 off)
{
	return lapic_mmio_read(s, off, 4, NOW);
}

static void wr(struct lapic_core *s, u32 off, u32 val)
{
	lapic_effects_init(&fx);
	lapic_mmio_write(s, off, 4, val, NOW, &fx);
}

static int msr_wr(struct lapic_core *s, u32 msr, u64 val)
{
	lapic_effects_init(&fx);
	return lapic_msr_write(s, msr, val, NOW, 0, false, &fx);
}

static u64 msr_rd(struct lapic_core *s, u32 msr)
{
	u64 v = 0xdeadbeef;

	if (lapic_msr_read(s, msr, NOW, &v))
		return ~0ULL;
	return v;
}

static void to_x2apic(struct lapic_core *s)
{
	msr_wr(s, 0x1b, 0xfee00000 | 3ULL << 10);
}

static struct kestrel_irq_msg fixed(u8 vector, bool level)
{
	struct kestrel_irq_msg m = {
		.vector = vector, .delivery_mode = KESTREL_IRQ_DM_FIXED,
		.level_triggered = level, .assert = true,
	};

	return m;
}

static void deliver(struct lapic_core *s, u8 vector, bool level)
{
	struct kestrel_irq_msg m = fixed(vector, level);

	lapic_accept(s, &m);
}

TEST(reset_values)
{
	struct lapic_core s;
	u32 off;

	init(&s, 0);
	EXPECT_EQ(0xfee00900ULL, msr_rd(&s, 0x1b));
	EXPECT_EQ(0, rd(&s, 0x20));
	EXPECT_EQ(0x50014, rd(&s, 0x30));
	EXPECT_EQ(0, rd(&s, 0x80));
	EXPECT_EQ(0, rd(&s, 0xd0));
	EXPECT_EQ(0xffffffff, rd(&s, 0xe0));
	EXPECT_EQ(0xff, rd(&s, 0xf0));
	for (off = 0x320; off <= 0x370; off += 0x10)
		EXPECT_EQ(0x10000, rd(&s, off));
	EXPECT_EQ(0x10000, rd(&s, 0x2f0));
	for (off = 0x100; off < 0x280; off += 0x10)
		EXPECT_EQ(0, rd(&s, off));
	EXPECT_FALSE(s.wait_for_sipi);

	init(&s, 3);
	EXPECT_EQ(0xfee00800ULL, msr_rd(&s, 0x1b));
	EXPECT_EQ(3U << 24, rd(&s, 0x20));
	EXPECT_TRUE(s.wait_for_sipi);
}

TEST(register_masks)
{
	struct lapic_core s;

	init(&s, 1);
	wr(&s, 0x80, 0xffffffff);
	EXPECT_EQ(0xff, rd(&s, 0x80));
	wr(&s, 0xd0, 0xffffffff);
	EXPECT_EQ(0xff000000, rd(&s, 0xd0));
	wr(&s, 0xe0, 0);
	EXPECT_EQ(0x0fffffff, rd(&s, 0xe0));
	wr(&s, 0xf0, 0xffffffff);
	EXPECT_EQ(0x3ff, rd(&s, 0xf0));
	wr(&s, 0x320, 0xffffffff);
	EXPECT_EQ(0x000700ff, rd(&s, 0x320));
	wr(&s, 0x350, 0xffffffff);
	EXPECT_EQ(0x1a7ff, rd(&s, 0x350));
	wr(&s, 0x370, 0xffffffff);
	EXPECT_EQ(0x100ff, rd(&s, 0x370));
	wr(&s, 0x3e0, 0xffffffff);
	EXPECT_EQ(0xb, rd(&s, 0x3e0));
	wr(&s, 0x310, 0xffffffff);
	EXPECT_EQ(0xff000000, rd(&s, 0x310));
	wr(&s, 0x20, 0x05000000);
	EXPECT_EQ(0x05000000, rd(&s, 0x20));
	/* read-only registers; reserved ones flag an illegal address */
	wr(&s, 0x30, 0);
	EXPECT_EQ(0x50014, rd(&s, 0x30));
	EXPECT_EQ(0, rd(&s, 0x90));
	wr(&s, 0x280, 0);
	EXPECT_EQ(0, rd(&s, 0x280));
	wr(&s, 0x40, 0);
	EXPECT_EQ(0, rd(&s, 0x40));
	wr(&s, 0x3f0, 0x40);		/* self IPI: x2APIC only */
	EXPECT_FALSE(fx.ipi);
	wr(&s, 0x280, 0);
	EXPECT_EQ(0x80, rd(&s, 0x280));
	/* narrow reads: the bytes of the containing register */
	EXPECT_EQ(0x14, lapic_mmio_read(&s, 0x30, 1, NOW));
	EXPECT_EQ(0x05, lapic_mmio_read(&s, 0x23, 1, NOW));
	EXPECT_EQ(0x0500, lapic_mmio_read(&s, 0x22, 2, NOW));
	EXPECT_EQ(0x05000000, lapic_mmio_read(&s, 0x20, 8, NOW));
	/* narrow writes ignored */
	lapic_mmio_write(&s, 0x80, 1, 0x20, NOW, &fx);
	EXPECT_EQ(0xff, rd(&s, 0x80));
	/* software disable masks every LVT and keeps it masked */
	wr(&s, 0xf0, 0xff);
	EXPECT_EQ(0x100ff, rd(&s, 0x370));
	wr(&s, 0x370, 0x40);
	EXPECT_EQ(0x10040, rd(&s, 0x370));
}

TEST(esr_write_then_read)
{
	struct lapic_core s;

	init(&s, 0);
	wr(&s, 0xf0, 0x1ff);
	wr(&s, 0x300, 0x4005);		/* fixed, illegal vector 5 */
	EXPECT_FALSE(fx.ipi);
	EXPECT_EQ(0, rd(&s, 0x280));
	wr(&s, 0x280, 0);
	EXPECT_EQ(0x20, rd(&s, 0x280));
	wr(&s, 0x280, 0);
	EXPECT_EQ(0, rd(&s, 0x280));
	/* an unmasked LVT error delivers */
	wr(&s, 0x370, 0xfe);
	deliver(&s, 3, false);
	EXPECT_EQ(0xfe, lapic_pending_vector(&s));
	wr(&s, 0x280, 0);
	EXPECT_EQ(0x40, rd(&s, 0x280));
}

TEST(ppr)
{
	struct lapic_core s;

	init(&s, 0);
	wr(&s, 0xf0, 0x1ff);
	wr(&s, 0x80, 0x35);
	EXPECT_EQ(0x35, rd(&s, 0xa0));
	deliver(&s, 0x51, false);
	lapic_ack(&s, 0x51);
	EXPECT_EQ(0x50, rd(&s, 0xa0));
	wr(&s, 0x80, 0x5f);
	EXPECT_EQ(0x5f, rd(&s, 0xa0));
	wr(&s, 0x80, 0x4f);
	EXPECT_EQ(0x50, rd(&s, 0xa0));
	wr(&s, 0xb0, 0);
	EXPECT_EQ(0x4f, rd(&s, 0xa0));
}

TEST(priority_ordering)
{
	struct lapic_core s;

	init(&s, 0);
	deliver(&s, 0x40, false);	/* software disabled: dropped */
	EXPECT_EQ(0, rd(&s, 0x200 + 0x40 / 32 * 0x10));
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	wr(&s, 0xf0, 0x1ff);
	deliver(&s, 0x40, false);
	deliver(&s, 0x61, false);
	deliver(&s, 0x65, false);
	EXPECT_EQ(1U << 1 | 1U << 5, rd(&s, 0x230));
	EXPECT_EQ(1U, rd(&s, 0x220));
	EXPECT_EQ(0x65, lapic_pending_vector(&s));
	lapic_ack(&s, 0x65);
	EXPECT_EQ(1U << 5, rd(&s, 0x130));
	/* 0x61 is in the same class as the in-service 0x65 */
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	deliver(&s, 0x70, false);
	EXPECT_EQ(0x70, lapic_pending_vector(&s));
	lapic_ack(&s, 0x70);
	wr(&s, 0xb0, 0);		/* EOI 0x70 */
	EXPECT_EQ(0, rd(&s, 0x130) & 1);
	EXPECT_EQ(1U << 5, rd(&s, 0x130));
	EXPECT_EQ(-1, fx.level_eoi);
	wr(&s, 0xb0, 0);		/* EOI 0x65 */
	EXPECT_EQ(0x61, lapic_pending_vector(&s));
	/* TPR blocks its class and below */
	wr(&s, 0x80, 0x60);
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	wr(&s, 0x80, 0x5f);
	EXPECT_EQ(0x61, lapic_pending_vector(&s));
	/* EOI with nothing in service does nothing */
	lapic_ack(&s, 0x61);
	lapic_ack(&s, 0x40);
	wr(&s, 0xb0, 0);
	wr(&s, 0xb0, 0);
	wr(&s, 0xb0, 0);
	EXPECT_EQ(-1, fx.level_eoi);
	EXPECT_EQ(-1, vec_highest(s.isr));
}

TEST(level_eoi)
{
	struct lapic_core s;

	init(&s, 0);
	wr(&s, 0xf0, 0x1ff);
	deliver(&s, 0x31, true);
	EXPECT_EQ(1U << 17, rd(&s, 0x190));
	lapic_ack(&s, 0x31);
	wr(&s, 0xb0, 0);
	EXPECT_EQ(0x31, fx.level_eoi);
	/* the same vector edge-triggered clears TMR */
	deliver(&s, 0x31, false);
	EXPECT_EQ(0, rd(&s, 0x190));
	lapic_ack(&s, 0x31);
	wr(&s, 0xb0, 0);
	EXPECT_EQ(-1, fx.level_eoi);
}

TEST(dest_physical_and_broadcast)
{
	struct lapic_core s;

	init(&s, 2);
	EXPECT_TRUE(lapic_match_dest(&s, 2, false, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 3, false, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0xff, false, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0x102, false, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0xffffffff, false, 0, false));
	wr(&s, 0x20, 0x07000000);
	EXPECT_TRUE(lapic_match_dest(&s, 7, false, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 2, false, 0, false));
	/* shorthands */
	EXPECT_TRUE(lapic_match_dest(&s, 9, false, 1, true));
	EXPECT_FALSE(lapic_match_dest(&s, 7, false, 1, false));
	EXPECT_TRUE(lapic_match_dest(&s, 9, false, 2, true));
	EXPECT_TRUE(lapic_match_dest(&s, 9, false, 2, false));
	EXPECT_FALSE(lapic_match_dest(&s, 7, false, 3, true));
	EXPECT_TRUE(lapic_match_dest(&s, 9, false, 3, false));
	/* hardware disabled: nothing */
	msr_wr(&s, 0x1b, 0xfee00000);
	EXPECT_FALSE(lapic_match_dest(&s, 0xff, false, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0, false, 2, true));
}

TEST(dest_logical)
{
	struct lapic_core s;

	init(&s, 2);
	/* LDR 0 matches nothing but broadcast */
	EXPECT_FALSE(lapic_match_dest(&s, 0x04, true, 0, false));
	wr(&s, 0xd0, 0x04000000);	/* flat, bit 2 */
	EXPECT_TRUE(lapic_match_dest(&s, 0x04, true, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0x0c, true, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0x03, true, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0xff, true, 0, false));
	/* cluster: cluster 3, member bit 1 */
	wr(&s, 0xe0, 0x0fffffff);
	wr(&s, 0xd0, 0x32000000);
	EXPECT_TRUE(lapic_match_dest(&s, 0x32, true, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0x3f, true, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0x31, true, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0x22, true, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0xff, true, 0, false));
}

TEST(dest_x2apic)
{
	struct lapic_core s;

	init(&s, 0x23);
	to_x2apic(&s);
	EXPECT_EQ(0x23, msr_rd(&s, 0x802));
	EXPECT_EQ(0x20008, msr_rd(&s, 0x80d));
	EXPECT_TRUE(lapic_match_dest(&s, 0x23, false, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0x24, false, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0xffffffff, false, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0xff, false, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0x20008, true, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0x2ffff, true, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0x20004, true, 0, false));
	EXPECT_FALSE(lapic_match_dest(&s, 0x10008, true, 0, false));
	EXPECT_TRUE(lapic_match_dest(&s, 0xffffffff, true, 0, false));
}

TEST(icr_ipis)
{
	struct lapic_core s;

	init(&s, 1);
	wr(&s, 0x310, 0x03000000);
	EXPECT_FALSE(fx.ipi);
	wr(&s, 0x300, 0x00000831);	/* fixed, logical, vector 0x31 */
	ASSERT_TRUE(fx.ipi);
	EXPECT_EQ(0, fx.ipi_shorthand);
	EXPECT_EQ(3, fx.ipi_msg.dest);
	EXPECT_EQ(0x31, fx.ipi_msg.vector);
	EXPECT_EQ(KESTREL_IRQ_DM_FIXED, fx.ipi_msg.delivery_mode);
	EXPECT_TRUE(fx.ipi_msg.dest_logical);
	EXPECT_FALSE(fx.ipi_msg.level_triggered);
	EXPECT_TRUE(fx.ipi_msg.assert);
	EXPECT_EQ(0x831, rd(&s, 0x300));	/* delivery status idle */
	/* self */
	wr(&s, 0x300, 0x00044041);
	ASSERT_TRUE(fx.ipi);
	EXPECT_EQ(KESTREL_LAPIC_SH_SELF, fx.ipi_shorthand);
	EXPECT_EQ(0x41, fx.ipi_msg.vector);
	/* all excluding self, NMI */
	wr(&s, 0x300, 0x000c0400);
	ASSERT_TRUE(fx.ipi);
	EXPECT_EQ(KESTREL_LAPIC_SH_OTHERS, fx.ipi_shorthand);
	EXPECT_EQ(KESTREL_IRQ_DM_NMI, fx.ipi_msg.delivery_mode);
	/* INIT assert (level), INIT de-assert (no-op), SIPI */
	wr(&s, 0x300, 0x0000c500);
	ASSERT_TRUE(fx.ipi);
	EXPECT_EQ(KESTREL_IRQ_DM_INIT, fx.ipi_msg.delivery_mode);
	EXPECT_TRUE(fx.ipi_msg.assert);
	wr(&s, 0x300, 0x00008500);
	EXPECT_FALSE(fx.ipi);
	wr(&s, 0x300, 0x00000699);
	ASSERT_TRUE(fx.ipi);
	EXPECT_EQ(KESTREL_IRQ_DM_STARTUP, fx.ipi_msg.delivery_mode);
	EXPECT_EQ(0x99, fx.ipi_msg.vector);
	/* remote read: not sent */
	wr(&s, 0x300, 0x00000300);
	EXPECT_FALSE(fx.ipi);
}

TEST(init_sipi)
{
	struct lapic_core s;
	struct kestrel_irq_msg init_msg = {
		.delivery_mode = KESTREL_IRQ_DM_INIT, .level_triggered = true,
		.assert = true,
	};
	struct kestrel_irq_msg sipi = {
		.delivery_mode = KESTREL_IRQ_DM_STARTUP, .vector = 0x9a,
		.assert = true,
	};
	struct kestrel_irq_msg deassert = init_msg;
	u8 v = 0;

	deassert.assert = false;
	init(&s, 1);
	/* AP at power-on waits for SIPI */
	EXPECT_TRUE(lapic_accept(&s, &sipi));
	sipi.vector = 0x9b;
	EXPECT_FALSE(lapic_accept(&s, &sipi));	/* the first one wins */
	EXPECT_EQ(KESTREL_LAPIC_EV_SIPI, lapic_take_events(&s, &v));
	EXPECT_EQ(0x9a, v);
	EXPECT_FALSE(s.wait_for_sipi);
	/* running: SIPI ignored */
	EXPECT_FALSE(lapic_accept(&s, &sipi));
	EXPECT_EQ(0, lapic_take_events(&s, &v));
	/* INIT resets registers but not the ID */
	wr(&s, 0x20, 0x09000000);
	wr(&s, 0xf0, 0x1ff);
	wr(&s, 0x80, 0x20);
	deliver(&s, 0x50, false);
	EXPECT_FALSE(lapic_accept(&s, &deassert));
	EXPECT_TRUE(lapic_accept(&s, &init_msg));
	/* INIT and SIPI both before the vCPU looks */
	EXPECT_TRUE(lapic_accept(&s, &sipi));
	EXPECT_EQ(KESTREL_LAPIC_EV_INIT | KESTREL_LAPIC_EV_SIPI,
		  lapic_take_events(&s, &v));
	EXPECT_EQ(0x9b, v);
	EXPECT_EQ(0x09000000, rd(&s, 0x20));
	EXPECT_EQ(0xff, rd(&s, 0xf0));
	EXPECT_EQ(0, rd(&s, 0x80));
	EXPECT_EQ(0, rd(&s, 0x220));
	EXPECT_EQ(0xfee00800ULL, msr_rd(&s, 0x1b));
	/* INIT alone: wait for SIPI */
	lapic_accept(&s, &init_msg);
	EXPECT_EQ(KESTREL_LAPIC_EV_INIT, lapic_take_events(&s, &v));
	EXPECT_TRUE(s.wait_for_sipi);
	/* the BSP never waits for SIPI */
	init(&s, 0);
	lapic_accept(&s, &init_msg);
	EXPECT_FALSE(lapic_accept(&s, &sipi));
	EXPECT_EQ(KESTREL_LAPIC_EV_INIT, lapic_take_events(&s, &v));
	EXPECT_FALSE(s.wait_for_sipi);
}

TEST(nmi_extint_lint)
{
	struct lapic_core s;
	struct kestrel_irq_msg m = { .delivery_mode = KESTREL_IRQ_DM_NMI };
	u8 v;

	init(&s, 0);		/* software-disabled: still takes NMI */
	EXPECT_TRUE(lapic_accept(&s, &m));
	m.delivery_mode = KESTREL_IRQ_DM_EXTINT;
	EXPECT_TRUE(lapic_accept(&s, &m));
	m.delivery_mode = KESTREL_IRQ_DM_SMI;
	EXPECT_FALSE(lapic_accept(&s, &m));
	EXPECT_EQ(KESTREL_LAPIC_EV_NMI | KESTREL_LAPIC_EV_EXTINT,
		  lapic_take_events(&s, &v));
	wr(&s, 0xf0, 0x1ff);
	wr(&s, 0x350, 0x700);	/* LINT0 ExtINT */
	wr(&s, 0x360, 0x400);	/* LINT1 NMI */
	EXPECT_TRUE(lapic_set_lint(&s, 0, true));
	EXPECT_FALSE(lapic_set_lint(&s, 0, true));
	EXPECT_TRUE(lapic_set_lint(&s, 1, true));
	EXPECT_EQ(KESTREL_LAPIC_EV_NMI | KESTREL_LAPIC_EV_EXTINT,
		  lapic_take_events(&s, &v));
	wr(&s, 0x360, 0x10400);
	lapic_set_lint(&s, 1, false);
	EXPECT_FALSE(lapic_set_lint(&s, 1, true));
}

TEST(timer_oneshot)
{
	struct lapic_core s;

	init(&s, 0);
	wr(&s, 0xf0, 0x1ff);
	wr(&s, 0x320, 0xec);
	wr(&s, 0x3e0, 0x3);		/* divide by 16 */
	wr(&s, 0x380, 1000);		/* 16 us */
	EXPECT_EQ(NOW + 16000, lapic_timer_next_deadline_ns(&s));
	EXPECT_EQ(1000, lapic_current_count(&s, NOW));
	EXPECT_EQ(500, lapic_current_count(&s, NOW + 8000));
	EXPECT_FALSE(lapic_timer_expired(&s, NOW + 15999));
	EXPECT_TRUE(lapic_timer_expired(&s, NOW + 16000));
	EXPECT_EQ(0xec, lapic_pending_vector(&s));
	EXPECT_EQ(0, lapic_timer_next_deadline_ns(&s));
	EXPECT_EQ(0, lapic_current_count(&s, NOW + 17000));
	EXPECT_FALSE(lapic_timer_expired(&s, NOW + 20000));
	/* divide by 1 */
	wr(&s, 0x3e0, 0xb);
	wr(&s, 0x380, 100);
	EXPECT_EQ(NOW + 100, lapic_timer_next_deadline_ns(&s));
	/* writing 0 stops it */
	wr(&s, 0x380, 0);
	EXPECT_EQ(0, lapic_timer_next_deadline_ns(&s));
	/* masked: counts, does not fire */
	wr(&s, 0x320, 0x100ec);
	lapic_ack(&s, 0xec);
	wr(&s, 0xb0, 0);
	wr(&s, 0x380, 100);
	EXPECT_EQ(NOW + 100, lapic_timer_next_deadline_ns(&s));
	EXPECT_FALSE(lapic_timer_expired(&s, NOW + 100));
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	EXPECT_EQ(0, lapic_timer_next_deadline_ns(&s));
}

TEST(timer_divide)
{
	struct lapic_core s;
	static const u32 tdcr[8] = { 0, 1, 2, 3, 8, 9, 0xa, 0xb };
	static const u64 div[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };
	unsigned int i;

	init(&s, 0);
	for (i = 0; i < 8; i++) {
		wr(&s, 0x3e0, tdcr[i]);
		wr(&s, 0x380, 1000);
		EXPECT_EQ(NOW + 1000 * div[i],
			  lapic_timer_next_deadline_ns(&s));
		EXPECT_EQ(1000, rd(&s, 0x390));
	}
	/* a divide change rescales what is left */
	wr(&s, 0x3e0, 0);		/* by 2: 2000 ns */
	wr(&s, 0x380, 1000);
	lapic_write_tdcr(&s, 1, NOW + 1000);	/* by 4, 500 counts left */
	EXPECT_EQ(NOW + 1000 + 2000, lapic_timer_next_deadline_ns(&s));
	EXPECT_EQ(500, lapic_current_count(&s, NOW + 1000));
}

TEST(timer_periodic)
{
	struct lapic_core s;

	init(&s, 0);
	wr(&s, 0xf0, 0x1ff);
	wr(&s, 0x320, 0x200ed);
	wr(&s, 0x3e0, 0xb);
	wr(&s, 0x380, 100000);		/* 100 us */
	EXPECT_EQ(NOW + 100000, lapic_timer_next_deadline_ns(&s));
	/* late by 7 us: re-armed from the deadline, not from now */
	EXPECT_TRUE(lapic_timer_expired(&s, NOW + 107000));
	EXPECT_EQ(NOW + 200000, lapic_timer_next_deadline_ns(&s));
	EXPECT_EQ(93000, lapic_current_count(&s, NOW + 107000));
	/* late by 2.5 periods: coalesced */
	EXPECT_TRUE(lapic_timer_expired(&s, NOW + 450000));
	EXPECT_EQ(NOW + 500000, lapic_timer_next_deadline_ns(&s));
	/* periods under 10 us are raised to it */
	wr(&s, 0x380, 10);
	EXPECT_EQ(NOW + 10000, lapic_timer_next_deadline_ns(&s));
	lapic_timer_expired(&s, NOW + 10000);
	EXPECT_EQ(NOW + 20000, lapic_timer_next_deadline_ns(&s));
	/* masked periodic keeps ticking without IRR */
	lapic_ack(&s, 0xed);
	wr(&s, 0xb0, 0);
	wr(&s, 0x320, 0x300ed);
	EXPECT_FALSE(lapic_timer_expired(&s, NOW + 20000));
	EXPECT_EQ(NOW + 30000, lapic_timer_next_deadline_ns(&s));
	EXPECT_EQ(-1, lapic_pending_vector(&s));
}

TEST(timer_tsc_deadline)
{
	struct lapic_core s;

	init(&s, 0);
	s.tsc_khz = 2000000;		/* 2 GHz */
	wr(&s, 0xf0, 0x1ff);
	wr(&s, 0x3e0, 0xb);
	wr(&s, 0x380, 1000);
	/* ignored outside TSC-deadline mode */
	lapic_effects_init(&fx);
	EXPECT_EQ(0, lapic_msr_write(&s, 0x6e0, 5000, NOW, 1000, false, &fx));
	EXPECT_EQ(0, msr_rd(&s, 0x6e0));
	/* switching to TSC-deadline stops the count */
	wr(&s, 0x320, 0x400ee);
	EXPECT_EQ(0, lapic_timer_next_deadline_ns(&s));
	EXPECT_EQ(0, rd(&s, 0x380));
	wr(&s, 0x380, 1000);		/* ignored */
	EXPECT_EQ(0, rd(&s, 0x380));
	lapic_msr_write(&s, 0x6e0, 7000, NOW, 1000, false, &fx);
	EXPECT_EQ(7000, msr_rd(&s, 0x6e0));
	EXPECT_EQ(NOW + 3000, lapic_timer_next_deadline_ns(&s));
	EXPECT_EQ(0, rd(&s, 0x390));
	EXPECT_TRUE(lapic_timer_expired(&s, NOW + 3000));
	EXPECT_EQ(0xee, lapic_pending_vector(&s));
	EXPECT_EQ(0, msr_rd(&s, 0x6e0));
	EXPECT_EQ(0, lapic_timer_next_deadline_ns(&s));
	/* a deadline in the past fires at once */
	lapic_msr_write(&s, 0x6e0, 500, NOW, 1000, false, &fx);
	EXPECT_EQ(NOW, lapic_timer_next_deadline_ns(&s));
	/* 0 disarms */
	lapic_msr_write(&s, 0x6e0, 0, NOW, 1000, false, &fx);
	EXPECT_EQ(0, lapic_timer_next_deadline_ns(&s));
	/* 2^64 ticks at 2 GHz */
	lapic_msr_write(&s, 0x6e0, ~0ULL, NOW, 0, false, &fx);
	EXPECT_EQ(NOW + 9223372036854775ULL * 1000 + 807,
		  lapic_timer_next_deadline_ns(&s));
	/* huge deadlines saturate */
	s.tsc_khz = 1;
	lapic_msr_write(&s, 0x6e0, ~0ULL, NOW, 0, false, &fx);
	EXPECT_EQ(~0ULL, lapic_timer_next_deadline_ns(&s));
}

TEST(x2apic_msrs)
{
	struct lapic_core s;

	init(&s, 5);
	/* x2APIC MSRs fault outside x2APIC mode */
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x802));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x808, 0));
	to_x2apic(&s);
	EXPECT_EQ(0, lapic_mmio_read(&s, 0x30, 4, NOW));	/* no MMIO */
	EXPECT_EQ(0x50014, msr_rd(&s, 0x803));
	/* ICR as one 64-bit write */
	EXPECT_EQ(0, msr_wr(&s, 0x830, 0x0000123400000051ULL));
	ASSERT_TRUE(fx.ipi);
	EXPECT_EQ(0x1234, fx.ipi_msg.dest);
	EXPECT_EQ(0x51, fx.ipi_msg.vector);
	EXPECT_EQ(0x0000123400000051ULL, msr_rd(&s, 0x830));
	/* self IPI */
	EXPECT_EQ(0, msr_wr(&s, 0x83f, 0x66));
	ASSERT_TRUE(fx.ipi);
	EXPECT_EQ(KESTREL_LAPIC_SH_SELF, fx.ipi_shorthand);
	EXPECT_EQ(0x66, fx.ipi_msg.vector);
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x83f, 0x166));
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x83f));
	/* xAPIC-only registers */
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x809));	/* APR */
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x80c));	/* RRD */
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x80e));	/* DFR */
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x831));	/* ICR high */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80e, 0));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x831, 0));
	/* read-only */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x802, 0));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80d, 0));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80a, 0));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x839, 0));
	/* reserved */
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x804));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x804, 0));
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x8ff));
	/* EOI: write-only, only 0; ESR: only 0; upper bits reserved */
	EXPECT_EQ(~0ULL, msr_rd(&s, 0x80b));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80b, 1));
	EXPECT_EQ(0, msr_wr(&s, 0x80b, 0));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x828, 1));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x808, 1ULL << 32));
	EXPECT_EQ(0, msr_wr(&s, 0x808, 0x20));
	EXPECT_EQ(0x20, msr_rd(&s, 0x808));
}

TEST(apic_base_transitions)
{
	struct lapic_core s;

	init(&s, 4);
	wr(&s, 0x80, 0x30);
	/* reserved bits, invalid EXTD without EN */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x1b, 0xfee00800 | 1));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x1b, 0xfee00800 | 1ULL << 60));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x1b, 0xfee00400));
	/* relocation ignored, BSP bit read-only for the guest */
	EXPECT_EQ(0, msr_wr(&s, 0x1b, 0xfed00900));
	EXPECT_EQ(0xfee00800ULL, msr_rd(&s, 0x1b));
	EXPECT_EQ(0x30, rd(&s, 0x80));
	/* xAPIC -> x2APIC keeps the registers */
	EXPECT_EQ(0, msr_wr(&s, 0x1b, 0xfee00c00));
	EXPECT_EQ(0x30, msr_rd(&s, 0x808));
	/* x2APIC -> xAPIC: #GP */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x1b, 0xfee00800));
	/* x2APIC -> disabled resets */
	EXPECT_EQ(0, msr_wr(&s, 0x1b, 0xfee00000));
	EXPECT_EQ(0, rd(&s, 0x80));
	/* disabled -> x2APIC: #GP; -> xAPIC fine */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x1b, 0xfee00c00));
	EXPECT_EQ(0, msr_wr(&s, 0x1b, 0xfee00800));
	EXPECT_EQ(4U << 24, rd(&s, 0x20));
	EXPECT_EQ(0, rd(&s, 0x80));
	/* the host may go x2APIC -> xAPIC */
	to_x2apic(&s);
	lapic_effects_init(&fx);
	EXPECT_EQ(0, lapic_msr_write(&s, 0x1b, 0xfee00900, NOW, 0, true,
				     &fx));
	EXPECT_EQ(0xfee00900ULL, msr_rd(&s, 0x1b));
	/* disabled: MMIO reads 0, accepts nothing */
	msr_wr(&s, 0x1b, 0xfee00000);
	EXPECT_EQ(0, rd(&s, 0x30));
	EXPECT_FALSE(lapic_accept(&s, &(struct kestrel_irq_msg){
		.delivery_mode = KESTREL_IRQ_DM_NMI }));
}

TEST_HARNESS_MAIN
