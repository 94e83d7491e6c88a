// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI PM block's state machine (kmod/dev/acpi_pm.c), built natively.
 * The helpers below do what the kernel wrappers at the end of acpi_pm.c do
 * around each call: report SCI changes, then carry out poweroff and reset.
 */
#include "kshim.h"
#include "../dev/acpi_pm.c"

#include "kselftest_harness.h"

#define EVT	KESTREL_ACPI_PM_EVT_PORT
#define STS	(EVT + PM_OFF_STS)
#define EN	(EVT + PM_OFF_EN)
#define CNT	KESTREL_ACPI_PM_CNT_PORT
#define TMR	KESTREL_ACPI_PM_TMR_PORT
#define RESET	KESTREL_ACPI_PM_RESET_PORT

#define S5_WRITE	0x3400	/* (5 << 10) | SLP_EN, as Linux writes */

struct fake {
	struct pm_state s;
	u64 now;
	bool sci;		/* the level last reported */
	unsigned int sci_calls;
	unsigned int poweroffs;
	unsigned int resets;
};

static void fake_sci(struct fake *f, bool was)
{
	if (f->s.sci_level != was) {
		f->sci = f->s.sci_level;
		f->sci_calls++;
	}
}

static void fake_init(struct fake *f, bool tmr_24bit, u64 now)
{
	*f = (struct fake){ .now = now };
	pm_state_init(&f->s, tmr_24bit, now);
}

static u32 rd(struct fake *f, u16 port, unsigned int len)
{
	bool was = f->s.sci_level;
	u32 val = pm_state_read(&f->s, port, len, f->now);

	fake_sci(f, was);
	return val;
}

static void wr(struct fake *f, u16 port, unsigned int len, u32 val)
{
	bool was = f->s.sci_level;
	unsigned int act = pm_state_write(&f->s, port, len, val, f->now);

	fake_sci(f, was);
	if (act & PM_ACT_POWEROFF)
		f->poweroffs++;
	if (act & PM_ACT_RESET)
		f->resets++;
}

static void button(struct fake *f)
{
	bool was = f->s.sci_level;

	pm_state_power_button(&f->s, f->now);
	fake_sci(f, was);
}

TEST(power_on_state)
{
	struct fake f;

	fake_init(&f, false, 12345);
	EXPECT_EQ(0x0000, rd(&f, STS, 2));
	EXPECT_EQ(0x0000, rd(&f, EN, 2));
	EXPECT_EQ(0x0001, rd(&f, CNT, 2));
	EXPECT_EQ(0x00000000, rd(&f, EVT, 4));
	EXPECT_EQ(0U, rd(&f, TMR, 4));
	/* no register at 0x606..0x607 */
	EXPECT_EQ(0xffff, rd(&f, CNT + 2, 2));
	EXPECT_EQ(0xffff0001, rd(&f, CNT, 4));
	EXPECT_EQ(0U, f.sci_calls);
}

TEST(sci_en_reads_one)
{
	struct fake f;

	fake_init(&f, false, 0);
	wr(&f, CNT, 2, 0);
	EXPECT_EQ(0x0001, rd(&f, CNT, 2));
	EXPECT_EQ(0x01, rd(&f, CNT, 1));
	wr(&f, CNT, 2, 0x0003);			/* BM_RLD kept */
	EXPECT_EQ(0x0003, rd(&f, CNT, 2));
	wr(&f, CNT, 2, 0xffff & ~PM1_CNT_SLP_EN);	/* reserved bits dropped */
	EXPECT_EQ(0x1c03, rd(&f, CNT, 2));
	EXPECT_EQ(0U, f.poweroffs);
}

TEST(s5_powers_off_once)
{
	struct fake f;

	fake_init(&f, false, 0);
	/* ACPICA: SLP_TYP first, then SLP_EN with it */
	wr(&f, CNT, 2, 0x1400);
	EXPECT_EQ(0U, f.poweroffs);
	EXPECT_EQ(0x1401, rd(&f, CNT, 2));
	wr(&f, CNT, 2, S5_WRITE);
	EXPECT_EQ(1U, f.poweroffs);
	EXPECT_EQ(0U, f.resets);
	/* SLP_EN is write-only */
	EXPECT_EQ(0x1401, rd(&f, CNT, 2));
	/* a second write is a second request */
	wr(&f, CNT, 2, S5_WRITE);
	EXPECT_EQ(2U, f.poweroffs);
}

TEST(s5_by_bytes)
{
	struct fake f;

	fake_init(&f, false, 0);
	wr(&f, CNT, 1, 0x00);
	EXPECT_EQ(0U, f.poweroffs);
	wr(&f, CNT + 1, 1, S5_WRITE >> 8);
	EXPECT_EQ(1U, f.poweroffs);
	/* a 32-bit write at PM1a_CNT reaches it too */
	wr(&f, CNT, 4, 0xffff0000 | S5_WRITE);
	EXPECT_EQ(2U, f.poweroffs);
	/* a 32-bit write at PM1a_EVT doesn't reach PM1_CNT */
	wr(&f, EVT, 4, (u32)S5_WRITE << 16);
	EXPECT_EQ(2U, f.poweroffs);
}

TEST(other_sleep_types_ignored)
{
	struct fake f;
	unsigned int typ;

	fake_init(&f, false, 0);
	for (typ = 0; typ < 8; typ++) {
		if (typ == PM_SLP_TYP_S5)
			continue;
		wr(&f, CNT, 2, typ << 10 | PM1_CNT_SLP_EN);
		EXPECT_EQ((typ << 10) | 1, rd(&f, CNT, 2));
	}
	EXPECT_EQ(0U, f.poweroffs);
	EXPECT_EQ(0U, f.resets);
	/* S5 without SLP_EN */
	wr(&f, CNT, 2, 5 << 10);
	EXPECT_EQ(0U, f.poweroffs);
}

TEST(power_button_enabled)
{
	struct fake f;

	fake_init(&f, false, 0);
	wr(&f, EN, 2, PM1_PWRBTN);
	EXPECT_EQ(PM1_PWRBTN, rd(&f, EN, 2));
	EXPECT_EQ(0U, f.sci_calls);
	button(&f);
	EXPECT_EQ(1U, f.sci_calls);
	EXPECT_TRUE(f.sci);
	EXPECT_EQ(PM1_PWRBTN, rd(&f, STS, 2));
	EXPECT_EQ(PM1_PWRBTN << 16 | PM1_PWRBTN, rd(&f, EVT, 4));
	/* pressed again while pending: no new edge */
	button(&f);
	EXPECT_EQ(1U, f.sci_calls);
	/* writing 0 or another bit clears nothing */
	wr(&f, STS, 2, 0);
	wr(&f, STS, 2, PM1_TMR | PM1_STS_WAK);
	EXPECT_EQ(PM1_PWRBTN, rd(&f, STS, 2) & PM1_PWRBTN);
	EXPECT_TRUE(f.sci);
	/* write 1 to clear lowers the SCI */
	wr(&f, STS, 2, PM1_PWRBTN);
	EXPECT_EQ(0x0000, rd(&f, STS, 2));
	EXPECT_EQ(2U, f.sci_calls);
	EXPECT_FALSE(f.sci);
}

TEST(power_button_disabled_then_enabled)
{
	struct fake f;

	fake_init(&f, false, 0);
	button(&f);
	EXPECT_EQ(PM1_PWRBTN, rd(&f, STS, 2));
	EXPECT_EQ(0U, f.sci_calls);
	EXPECT_FALSE(f.sci);
	/* enabling with the status pending raises the SCI */
	wr(&f, EN + 1, 1, PM1_PWRBTN >> 8);
	EXPECT_EQ(1U, f.sci_calls);
	EXPECT_TRUE(f.sci);
	/* disabling lowers it, the status stays */
	wr(&f, EN, 2, 0);
	EXPECT_EQ(2U, f.sci_calls);
	EXPECT_FALSE(f.sci);
	EXPECT_EQ(PM1_PWRBTN, rd(&f, STS, 2));
	/* clearing status by a byte write to the high half */
	wr(&f, STS + 1, 1, PM1_PWRBTN >> 8);
	EXPECT_EQ(0x0000, rd(&f, STS, 2));
	EXPECT_EQ(2U, f.sci_calls);
}

TEST(enable_bits_stick)
{
	struct fake f;

	fake_init(&f, false, 0);
	wr(&f, EN, 2, 0xffff);
	EXPECT_EQ(PM1_EN_MASK, rd(&f, EN, 2));
	EXPECT_EQ(0x4721, rd(&f, EN, 2));
	/* nothing pending but the timer's status, which starts clear */
	EXPECT_EQ(0U, f.sci_calls);
	/* ACPICA's acpi_hw_clear_acpi_status writes all status bits */
	button(&f);
	EXPECT_EQ(1U, f.sci_calls);
	wr(&f, STS, 2, 0xffff);
	EXPECT_EQ(0x0000, rd(&f, STS, 2));
	EXPECT_FALSE(f.sci);
	/* a 32-bit write to the event block sets both halves */
	wr(&f, EVT, 4, 0x00000000);
	EXPECT_EQ(0x0000, rd(&f, EN, 2));
}

TEST(timer_frequency)
{
	struct fake f;
	u64 t0 = 5000000000ULL;
	u32 a, b;

	fake_init(&f, false, t0);
	EXPECT_EQ(0U, rd(&f, TMR, 4));
	f.now = t0 + 1000000000ULL;
	EXPECT_EQ(3579545U, rd(&f, TMR, 4));
	f.now = t0 + 1000;			/* 1 us: 3.58 ticks */
	EXPECT_EQ(3U, rd(&f, TMR, 4));
	f.now = t0 + 279;			/* one tick is 279.37 ns */
	EXPECT_EQ(0U, rd(&f, TMR, 4));
	f.now = t0 + 280;
	EXPECT_EQ(1U, rd(&f, TMR, 4));

	/* across a simulated second, read every 10 us, never backwards */
	f.now = t0 + 123456789;
	a = rd(&f, TMR, 4);
	for (b = 0; b < 100000; b++) {
		u32 v;

		f.now += 10000;
		v = rd(&f, TMR, 4);
		ASSERT_GE(v, a);
		a = v;
	}
	EXPECT_EQ(pm_tmr_ticks(&f.s, t0 + 1123456789), a);
	EXPECT_EQ(3579545U + 441919U, a);

	/* narrower reads see the same counter */
	f.now = t0 + 3600ULL * 1000000000ULL;	/* an hour: 12886362000 */
	a = rd(&f, TMR, 4);
	EXPECT_EQ((u32)12886362000ULL, a);
	EXPECT_EQ(a & 0xffff, rd(&f, TMR, 2));
	EXPECT_EQ(a >> 16, rd(&f, TMR + 2, 2));
	EXPECT_EQ((a >> 24) & 0xff, rd(&f, TMR + 3, 1));

	/* read-only */
	wr(&f, TMR, 4, 0);
	EXPECT_EQ(a, rd(&f, TMR, 4));

	/* no overflow after a year of uptime */
	f.now = t0 + 365ULL * 86400 * 1000000000ULL;
	EXPECT_EQ((u32)(365ULL * 86400 * 3579545ULL), rd(&f, TMR, 4));
}

TEST(timer_24bit)
{
	struct fake f;

	fake_init(&f, true, 0);
	f.now = 5ULL * 1000000000ULL;		/* 17897725 ticks */
	EXPECT_EQ(17897725U & 0xffffff, rd(&f, TMR, 4));
	EXPECT_EQ(0U, rd(&f, TMR + 3, 1));
}

TEST(timer_status)
{
	struct fake f;
	u64 half32 = (1ULL << 31) * PM_NSEC_PER_SEC / PM_TMR_HZ; /* ~600 s */

	fake_init(&f, false, 0);
	wr(&f, EN, 2, PM1_TMR);
	f.now = half32 - 1000;
	EXPECT_EQ(0, rd(&f, STS, 2));
	EXPECT_FALSE(f.sci);
	f.now = half32 + 1000;
	EXPECT_EQ(PM1_TMR, rd(&f, STS, 2));
	EXPECT_TRUE(f.sci);
	wr(&f, STS, 2, PM1_TMR);
	EXPECT_FALSE(f.sci);
	EXPECT_EQ(0, rd(&f, STS, 2));
	f.now = 2 * half32 + 1000;		/* the counter wraps */
	EXPECT_EQ(PM1_TMR, rd(&f, STS, 2));
	EXPECT_EQ(3U, f.sci_calls);

	/* 24 bits: every 2^23 ticks, ~2.34 s */
	fake_init(&f, true, 0);
	f.now = 2340000000ULL;
	EXPECT_EQ(0, rd(&f, STS, 2));
	f.now = 2345000000ULL;
	EXPECT_EQ(PM1_TMR, rd(&f, STS, 2));
	EXPECT_FALSE(f.sci);			/* TMR_EN is clear */
}

TEST(reset_register)
{
	struct fake f;

	fake_init(&f, false, 0);
	EXPECT_EQ(0x00, rd(&f, RESET, 1));
	wr(&f, RESET, 1, 0x02);			/* reboot=pci: SYS_RST first */
	EXPECT_EQ(0U, f.resets);
	EXPECT_EQ(0x02, rd(&f, RESET, 1));
	wr(&f, RESET, 1, 0x06);			/* the FADT's RESET_VALUE */
	EXPECT_EQ(1U, f.resets);
	EXPECT_EQ(0x02, rd(&f, RESET, 1));
	wr(&f, RESET, 1, 0x0e);			/* full reset */
	EXPECT_EQ(2U, f.resets);
	EXPECT_EQ(0x0a, rd(&f, RESET, 1));
	wr(&f, RESET, 1, 0x04);			/* RST_CPU alone */
	EXPECT_EQ(3U, f.resets);
	wr(&f, RESET, 1, 0x0a);
	EXPECT_EQ(3U, f.resets);
	EXPECT_EQ(0U, f.poweroffs);
}

TEST(system_reset_state)
{
	struct fake f;
	u32 tmr;

	fake_init(&f, false, 0);
	wr(&f, EN, 2, PM1_PWRBTN);
	wr(&f, CNT, 2, 0x1402);
	wr(&f, RESET, 1, 0x02);
	button(&f);
	EXPECT_TRUE(f.sci);
	f.now = 1000000000ULL;
	tmr = rd(&f, TMR, 4);
	pm_state_reset(&f.s, f.now);
	fake_sci(&f, true);
	EXPECT_FALSE(f.sci);
	EXPECT_EQ(0, rd(&f, STS, 2));
	EXPECT_EQ(0, rd(&f, EN, 2));
	EXPECT_EQ(1, rd(&f, CNT, 2));
	EXPECT_EQ(0, rd(&f, RESET, 1));
	EXPECT_EQ(tmr, rd(&f, TMR, 4));		/* the timer runs on */
}

TEST(open_bus)
{
	struct fake f;

	fake_init(&f, false, 0);
	EXPECT_EQ(0xffU, rd(&f, 0x60c, 1));
	EXPECT_EQ(0xffffffffU, rd(&f, 0x5fc, 4));
	EXPECT_EQ(0x00ffffffU, rd(&f, 0x5fd, 4));	/* PM1_STS low byte */
	wr(&f, 0x606, 2, 0xffff);
	wr(&f, 0x5ff, 2, 0xffff);		/* clears PM1_STS low: nothing */
	EXPECT_EQ(0U, f.resets + f.poweroffs + f.sci_calls);
}

TEST_HARNESS_MAIN
