// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT (kmod/dev/pit.c), its state machine built natively with the
 * time passed in, driven with the port sequences Linux's i8253 clock event
 * device and arch/x86/kernel/tsc.c's PIT calibrations use.
 */
#include "kshim.h"
#include "../dev/pit.c"

#include "kselftest_harness.h"

#define T0	1000000007ULL	/* an arbitrary start time, ns */

static struct pit_state pit;
static u64 now;
static int pulses;
static int irq_calls;
static bool irq_level;

static void irq(void *opaque, bool level)
{
	(void)opaque;
	irq_calls++;
	if (level && !irq_level)
		pulses++;
	irq_level = level;
}

static void reset(void)
{
	pit_state_init(&pit, irq, NULL);
	now = T0;
	pulses = 0;
	irq_calls = 0;
	irq_level = false;
}

static void wr(u16 port, u8 val)
{
	pit_state_write(&pit, port, val, now);
}

static u8 rd(u16 port)
{
	return pit_state_read(&pit, port, now);
}

/* The time at which a counter loaded at T0 has counted @ticks clocks. */
static u64 at(u64 ticks)
{
	return T0 + pit_ticks_to_ns(ticks);
}

/* Latch and read a counter's count, LSB then MSB access. */
static unsigned int count(unsigned int ch)
{
	unsigned int lo;

	wr(0x43, ch << 6);
	lo = rd(0x40 + ch);
	return lo | rd(0x40 + ch) << 8;
}

/* OUT of counter @ch through the read-back status byte. */
static bool out(unsigned int ch)
{
	wr(0x43, 0xc0 | PIT_RB_NO_COUNT | 2U << ch);
	return rd(0x40 + ch) >> 7;
}

static void load(unsigned int ch, u8 mode, unsigned int cnt)
{
	wr(0x43, ch << 6 | 0x30 | mode << 1);
	wr(0x40 + ch, cnt & 0xff);
	wr(0x40 + ch, cnt >> 8);
}

static bool expire(void)
{
	return pit_state_expire(&pit, now);
}

TEST(tick_conversion)
{
	EXPECT_EQ(0, pit_ns_to_ticks(0));
	EXPECT_EQ(KESTREL_PIT_HZ, pit_ns_to_ticks(1000000000ULL));
	EXPECT_EQ(839, pit_ticks_to_ns(1));	/* rounded up */
	EXPECT_EQ(1, pit_ns_to_ticks(pit_ticks_to_ns(1)));
	EXPECT_EQ(0, pit_ns_to_ticks(pit_ticks_to_ns(1) - 1));
	EXPECT_EQ(3600ULL * KESTREL_PIT_HZ + 5,
		  pit_ns_to_ticks(pit_ticks_to_ns(3600ULL * KESTREL_PIT_HZ + 5)));
}

TEST(mode0_count_out_irq)
{
	reset();
	EXPECT_FALSE(out(0));		/* power-on: mode 0, no count */
	load(0, 0, 1000);
	EXPECT_EQ(1000, count(0));
	EXPECT_FALSE(out(0));
	EXPECT_EQ(at(1000), pit_state_next_irq(&pit));
	now = at(100);
	EXPECT_EQ(900, count(0));
	now = at(999);
	EXPECT_EQ(1, count(0));
	EXPECT_FALSE(out(0));
	EXPECT_FALSE(expire());
	EXPECT_EQ(0, pulses);
	now = at(1000);
	EXPECT_EQ(0, count(0));
	EXPECT_TRUE(out(0));
	EXPECT_TRUE(expire());
	EXPECT_EQ(1, pulses);
	EXPECT_EQ(2, irq_calls);
	EXPECT_FALSE(irq_level);
	EXPECT_EQ(0, pit_state_next_irq(&pit));	/* one-shot */
	now = at(1010);
	EXPECT_EQ(0xfff6, count(0));	/* keeps counting down, wraps */
	EXPECT_TRUE(out(0));
	EXPECT_FALSE(expire());
	EXPECT_EQ(1, pulses);
}

TEST(mode2_rate_generator)
{
	reset();
	load(0, 2, 11932);		/* 10 ms */
	EXPECT_TRUE(out(0));
	EXPECT_EQ(11932, count(0));
	now = at(11930);
	EXPECT_EQ(2, count(0));
	EXPECT_TRUE(out(0));
	now = at(11931);
	EXPECT_EQ(1, count(0));
	EXPECT_FALSE(out(0));		/* low while the count is 1 */
	now = at(11932);
	EXPECT_EQ(11932, count(0));	/* reloaded */
	EXPECT_TRUE(out(0));
	EXPECT_EQ(at(11932), pit_state_next_irq(&pit));
	EXPECT_TRUE(expire());
	EXPECT_EQ(at(2 * 11932), pit_state_next_irq(&pit));
	/* a late timer gets one pulse and the next edge still ahead */
	now = at(5 * 11932 + 7);
	EXPECT_EQ(11925, count(0));
	EXPECT_TRUE(expire());
	EXPECT_EQ(2, pulses);
	EXPECT_EQ(at(6 * 11932), pit_state_next_irq(&pit));
	EXPECT_FALSE(expire());
	/* Linux's pit_shutdown(): control word, counter stops */
	wr(0x43, 0x30);
	EXPECT_EQ(0, pit_state_next_irq(&pit));
	EXPECT_FALSE(out(0));
	wr(0x40, 0);
	wr(0x40, 0);			/* 65536: a one-shot again */
	EXPECT_EQ(now + pit_ticks_to_ns(0x10000),
		  pit_state_next_irq(&pit));
	EXPECT_EQ(0, count(0));
}

TEST(mode3_square_wave)
{
	reset();
	load(0, 3, 1000);
	EXPECT_TRUE(out(0));
	now = at(100);
	EXPECT_EQ(800, count(0));	/* decrements by two */
	EXPECT_TRUE(out(0));
	now = at(499);
	EXPECT_TRUE(out(0));
	now = at(500);
	EXPECT_FALSE(out(0));
	EXPECT_EQ(1000, count(0));
	now = at(999);
	EXPECT_FALSE(out(0));
	EXPECT_FALSE(expire());
	now = at(1000);
	EXPECT_TRUE(out(0));
	EXPECT_TRUE(expire());
	/* 1000 clocks is 838 us: not clamped */
	EXPECT_EQ(at(2000), pit_state_next_irq(&pit));
	/* mode 7 is mode 3 */
	load(0, 7, 1001);
	wr(0x43, 0xc0 | PIT_RB_NO_COUNT | 2);
	EXPECT_EQ(0x36, rd(0x40) & 0x3f);
}

TEST(min_period_clamped)
{
	reset();
	load(0, 2, 10);			/* 8.4 us */
	EXPECT_EQ(at(10), pit_state_next_irq(&pit));
	now = at(10);
	EXPECT_TRUE(expire());
	EXPECT_GE(pit_state_next_irq(&pit) - now,
		  (u64)KESTREL_PIT_MIN_PERIOD_NS);
	EXPECT_LT(pit_state_next_irq(&pit) - now,
		  (u64)KESTREL_PIT_MIN_PERIOD_NS + pit_ticks_to_ns(10) + 1);
	/* the guest still sees the count it programmed */
	now = at(23);
	EXPECT_EQ(7, count(0));
	now = pit_state_next_irq(&pit);
	EXPECT_TRUE(expire());
	EXPECT_EQ(2, pulses);
	/* 1 is illegal in mode 2 and counts as 2 */
	load(0, 2, 1);
	EXPECT_EQ(2, count(0));
}

TEST(latch_command)
{
	reset();
	load(0, 0, 0x1234);
	now = at(0x34);
	wr(0x43, 0x00);			/* latch counter 0 */
	now = at(0x200);
	wr(0x43, 0x00);			/* ignored: one is pending */
	EXPECT_EQ(0x00, rd(0x40));
	now = at(0x300);
	EXPECT_EQ(0x12, rd(0x40));	/* still the latched value */
	EXPECT_EQ(0x34, rd(0x40));	/* now live: 0x1234 - 0x300 */
	EXPECT_EQ(0x0f, rd(0x40));
	/* an unlatched word read toggles LSB, MSB */
	now = at(0x1000);
	EXPECT_EQ(0x34, rd(0x40));
	EXPECT_EQ(0x02, rd(0x40));
}

TEST(lsb_msb_access)
{
	reset();
	wr(0x43, 0x10);			/* counter 0, LSB only, mode 0 */
	wr(0x40, 0x80);
	EXPECT_EQ(at(0x80), pit_state_next_irq(&pit));
	now = at(0x10);
	EXPECT_EQ(0x70, rd(0x40));
	EXPECT_EQ(0x70, rd(0x40));
	wr(0x43, 0x00);
	EXPECT_EQ(0x70, rd(0x40));	/* one latched byte */
	now = at(0x11);
	EXPECT_EQ(0x6f, rd(0x40));
	wr(0x43, 0x20);			/* MSB only */
	now = T0;
	wr(0x40, 0x12);			/* 0x1200 */
	EXPECT_EQ(0x12, rd(0x40));
	now = at(0x201);
	EXPECT_EQ(0x0f, rd(0x40));
	wr(0x43, 0x00);
	EXPECT_EQ(0x0f, rd(0x40));
	EXPECT_EQ(at(0x1200), pit_state_next_irq(&pit));
}

TEST(word_write_mode0_first_byte_stops)
{
	reset();
	load(0, 0, 1000);
	now = at(100);
	wr(0x40, 0x10);			/* LSB of a new count */
	EXPECT_EQ(0, pit_state_next_irq(&pit));
	now = at(500);
	EXPECT_EQ(900, count(0));
	EXPECT_FALSE(out(0));
	wr(0x40, 0x00);			/* 0x0010 from now */
	EXPECT_EQ(16, count(0));
	EXPECT_EQ(at(500) + pit_ticks_to_ns(16), pit_state_next_irq(&pit));
}

TEST(read_back)
{
	reset();
	wr(0x43, 0xb0);			/* counter 2, word, mode 0 */
	wr(0x43, 0xc0 | PIT_RB_NO_COUNT | 8);
	EXPECT_EQ(0x40 | 0x30, rd(0x42));	/* null count, OUT low */
	wr(0x61, 1);
	wr(0x42, 0x00);
	wr(0x42, 0x01);
	now = at(0x40);
	wr(0x43, 0xc0 | 8);		/* status and count */
	now = at(0x80);
	EXPECT_EQ(0x30, rd(0x42));
	EXPECT_EQ(0xc0, rd(0x42));
	EXPECT_EQ(0x00, rd(0x42));
	EXPECT_EQ(0x80, rd(0x42));	/* live again */
	now = at(0x100);
	EXPECT_EQ(0xb0, out(2) << 7 | 0x30);
	/* several counters at once; counter 1 at power-on */
	wr(0x43, 0xc0 | PIT_RB_NO_STATUS | 2 | 4 | 8);
	EXPECT_EQ(0x00, rd(0x40));
	EXPECT_EQ(0x00, rd(0x40));
	EXPECT_EQ(0x00, rd(0x41));
	EXPECT_EQ(0x00, rd(0x41));
	EXPECT_EQ(0x00, rd(0x42));
	EXPECT_EQ(0x00, rd(0x42));
	EXPECT_EQ(0xff, rd(0x43));
}

TEST(port_b)
{
	reset();
	EXPECT_EQ(0, rd(0x61) & 0xef);	/* gate 2 off, OUT2 low */
	wr(0x61, 0xff);
	/* stored bits 3:0; OUT2 low: mode 0 with no count written */
	EXPECT_EQ(0x0f, rd(0x61) & 0xef);
	wr(0x61, 0x0d);
	EXPECT_EQ(0x0d, rd(0x61) & 0xef);
	/* the refresh bit toggles every 15.085 us */
	now = 0;
	EXPECT_EQ(0x00, rd(0x61) & 0x10);
	now = 15085;
	EXPECT_EQ(0x10, rd(0x61) & 0x10);
	now = 2 * 15085;
	EXPECT_EQ(0x00, rd(0x61) & 0x10);
}

TEST(channel2_gate)
{
	reset();
	wr(0x61, 0x00);
	load(2, 0, 1000);
	EXPECT_EQ(0, pit_state_next_irq(&pit));	/* no IRQ from counter 2 */
	now = at(500);
	EXPECT_EQ(1000, count(2));	/* gate low: not counting */
	wr(0x61, 0x01);			/* counting from at(500) */
	now = at(800);
	EXPECT_EQ(700, count(2));
	wr(0x61, 0x00);			/* pause */
	now = at(5000);
	EXPECT_EQ(700, count(2));
	EXPECT_EQ(0, rd(0x61) & 0x20);
	wr(0x61, 0x01);
	now = at(5000 + 699);
	EXPECT_EQ(0, rd(0x61) & 0x20);
	now = at(5000 + 700);
	EXPECT_EQ(0x21, rd(0x61) & 0x2f);
	EXPECT_EQ(0, count(2));
}

TEST(channel2_gate_modes_2_and_3)
{
	reset();
	wr(0x61, 0x01);
	load(2, 3, 100);
	now = at(60);
	EXPECT_EQ(0, rd(0x61) & 0x20);	/* second half */
	wr(0x61, 0x00);			/* gate low: OUT high, stopped */
	EXPECT_EQ(0x20, rd(0x61) & 0x20);
	now = at(90);
	EXPECT_EQ(80, count(2));
	wr(0x61, 0x01);			/* rising edge restarts */
	EXPECT_EQ(100, count(2));
	now = at(90 + 55);
	EXPECT_EQ(0, rd(0x61) & 0x20);
	load(2, 2, 50);
	now = at(90 + 55 + 49);
	EXPECT_EQ(0, rd(0x61) & 0x20);
	now = at(90 + 55 + 50);
	EXPECT_EQ(0x20, rd(0x61) & 0x20);
}

TEST(modes_1_4_5)
{
	u64 trigger;

	reset();
	wr(0x61, 0x00);
	load(2, 1, 100);		/* hardware one-shot */
	now = at(10);
	EXPECT_TRUE(out(2));
	EXPECT_EQ(100, count(2));
	wr(0x61, 0x01);			/* trigger */
	EXPECT_FALSE(out(2));
	now = at(109);
	EXPECT_EQ(1, count(2));
	now = at(110);
	EXPECT_TRUE(out(2));
	load(2, 5, 20);			/* hardware strobe */
	now = at(200);
	EXPECT_TRUE(out(2));		/* waits for a gate edge */
	EXPECT_EQ(20, count(2));
	wr(0x61, 0x00);
	wr(0x61, 0x01);
	trigger = now;
	now = trigger + pit_ticks_to_ns(19);
	EXPECT_TRUE(out(2));
	now = trigger + pit_ticks_to_ns(20);
	EXPECT_FALSE(out(2));
	now = trigger + pit_ticks_to_ns(21);
	EXPECT_TRUE(out(2));
	reset();
	load(0, 4, 30);			/* software strobe */
	EXPECT_TRUE(out(0));
	now = at(30);
	EXPECT_FALSE(out(0));
	EXPECT_TRUE(expire());
	now = at(31);
	EXPECT_TRUE(out(0));
	EXPECT_EQ(0, pit_state_next_irq(&pit));
}

/* arch/x86/kernel/tsc.c: pit_calibrate_tsc(), a 50 ms mode 0 one-shot. */
TEST(linux_pit_calibrate_tsc)
{
	unsigned int latch = KESTREL_PIT_HZ / (1000 / 50);
	u64 start, polls = 0;

	reset();
	now = 5 * T0;
	wr(0x61, (rd(0x61) & ~0x02) | 0x01);
	wr(0x43, 0xb0);
	wr(0x42, latch & 0xff);
	wr(0x42, latch >> 8);
	start = now;
	while ((rd(0x61) & 0x20) == 0) {
		now += 1000;		/* one poll per microsecond */
		polls++;
		ASSERT_LT(polls, 100000);
	}
	EXPECT_GE(now - start, 50000000ULL - 1000);
	EXPECT_LE(now - start, 50000000ULL + 1000);
	EXPECT_EQ(0x21, rd(0x61) & 0x23);
}

/*
 * quick_pit_calibrate(): counter 2 from 0xffff in mode 0, reading LSB, MSB
 * pairs and timing the MSB's steps (one every 256 clocks).
 */
static bool expect_msb(u8 val, u64 *when)
{
	unsigned int i;

	for (i = 0; i < 50000; i++) {
		rd(0x42);
		now += 700;
		if (rd(0x42) != val)
			break;
		now += 700;
	}
	*when = now;
	return i > 5;
}

TEST(linux_quick_pit_calibrate)
{
	u64 t_first, t_last, khz;
	unsigned int i;

	reset();
	wr(0x61, (rd(0x61) & ~0x02) | 0x01);
	wr(0x43, 0xb0);
	wr(0x42, 0xff);
	wr(0x42, 0xff);
	/* pit_verify_msb(0) */
	rd(0x42);
	EXPECT_EQ(0xff, rd(0x42));
	now += 700;
	ASSERT_TRUE(expect_msb(0xff, &t_first));
	for (i = 1; i < 200; i++)
		if (!expect_msb(0xff - i, &t_last))
			break;
	ASSERT_EQ(200, i);
	/* a 1 GHz "TSC": the ns clock */
	khz = (t_last - t_first) * KESTREL_PIT_HZ / (199 * 256) / 1000;
	EXPECT_GE(khz, 999000);
	EXPECT_LE(khz, 1001000);
	/* the count itself agrees with the elapsed time */
	EXPECT_EQ(0xffff - pit_ns_to_ticks(now - T0), count(2));
}

TEST(other_ports)
{
	reset();
	wr(0x44, 0x12);
	EXPECT_EQ(0xff, rd(0x44));
	EXPECT_EQ(0xff, rd(0x60));
}

TEST_HARNESS_MAIN
