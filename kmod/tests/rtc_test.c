// SPDX-License-Identifier: GPL-2.0
/*
 * The CMOS RTC's state machine (kmod/dev/rtc.c), built natively and driven
 * with a fake host clock.  Expected dates were checked with GNU date -u.
 */
#include "kshim.h"
#include "../dev/rtc.c"

#include "kselftest_harness.h"

/* 2024-02-29 13:45:07 UTC, a Thursday (day of week 5) */
#define T_LEAP		1709214307LL

static struct rtc_now at(s64 sec, u32 nsec)
{
	struct rtc_now now = { .sec = sec, .nsec = nsec };

	return now;
}

static u8 rd(struct rtc_state *s, unsigned int index, struct rtc_now now)
{
	rtc_state_write(s, KESTREL_RTC_PORT_INDEX, index, &now);
	return rtc_state_read(s, KESTREL_RTC_PORT_DATA, &now);
}

static void wr(struct rtc_state *s, unsigned int index, u8 val,
	       struct rtc_now now)
{
	rtc_state_write(s, KESTREL_RTC_PORT_INDEX, index, &now);
	rtc_state_write(s, KESTREL_RTC_PORT_DATA, val, &now);
}

TEST(power_on_registers)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 0);

	rtc_state_init(&s, 0);
	EXPECT_EQ(0x26, rd(&s, RTC_REG_A, now));
	EXPECT_EQ(0x02, rd(&s, RTC_REG_B, now));
	EXPECT_EQ(0x00, rd(&s, RTC_REG_C, now));
	EXPECT_EQ(0x80, rd(&s, RTC_REG_D, now));
	/* the index port reads as open bus */
	EXPECT_EQ(0xff, rtc_state_read(&s, KESTREL_RTC_PORT_INDEX, &now));
	EXPECT_EQ(0xff, rtc_state_read(&s, 0x72, &now));
}

TEST(bcd_24h)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 500000000);

	rtc_state_init(&s, 0);
	EXPECT_EQ(0x07, rd(&s, RTC_SECONDS, now));
	EXPECT_EQ(0x45, rd(&s, RTC_MINUTES, now));
	EXPECT_EQ(0x13, rd(&s, RTC_HOURS, now));
	EXPECT_EQ(0x05, rd(&s, RTC_DAY_OF_WEEK, now));
	EXPECT_EQ(0x29, rd(&s, RTC_DAY_OF_MONTH, now));
	EXPECT_EQ(0x02, rd(&s, RTC_MONTH, now));
	EXPECT_EQ(0x24, rd(&s, RTC_YEAR, now));
	EXPECT_EQ(0x20, rd(&s, KESTREL_RTC_CENTURY, now));
}

TEST(binary_24h)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 0);

	rtc_state_init(&s, 0);
	wr(&s, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY, now);
	EXPECT_EQ(0x06, rd(&s, RTC_REG_B, now));
	EXPECT_EQ(7, rd(&s, RTC_SECONDS, now));
	EXPECT_EQ(45, rd(&s, RTC_MINUTES, now));
	EXPECT_EQ(13, rd(&s, RTC_HOURS, now));
	EXPECT_EQ(5, rd(&s, RTC_DAY_OF_WEEK, now));
	EXPECT_EQ(29, rd(&s, RTC_DAY_OF_MONTH, now));
	EXPECT_EQ(2, rd(&s, RTC_MONTH, now));
	EXPECT_EQ(24, rd(&s, RTC_YEAR, now));
	EXPECT_EQ(20, rd(&s, KESTREL_RTC_CENTURY, now));
}

TEST(twelve_hour)
{
	struct rtc_state s;
	s64 midnight = T_LEAP - (13 * 3600 + 45 * 60 + 7);

	rtc_state_init(&s, 0);
	wr(&s, RTC_REG_B, 0, at(T_LEAP, 0));		/* 12h BCD */
	EXPECT_EQ(0x81, rd(&s, RTC_HOURS, at(T_LEAP, 0)));	/* 1 PM */
	EXPECT_EQ(0x12, rd(&s, RTC_HOURS, at(midnight, 0)));	/* 12 AM */
	EXPECT_EQ(0x01, rd(&s, RTC_HOURS, at(midnight + 3600, 0)));
	EXPECT_EQ(0x11, rd(&s, RTC_HOURS, at(midnight + 11 * 3600, 0)));
	EXPECT_EQ(0x92, rd(&s, RTC_HOURS, at(midnight + 12 * 3600, 0)));
	EXPECT_EQ(0x91, rd(&s, RTC_HOURS, at(midnight + 23 * 3600, 0)));

	wr(&s, RTC_REG_B, RTC_B_DM_BINARY, at(T_LEAP, 0));	/* 12h binary */
	EXPECT_EQ(0x80 | 1, rd(&s, RTC_HOURS, at(T_LEAP, 0)));
	EXPECT_EQ(12, rd(&s, RTC_HOURS, at(midnight, 0)));
	EXPECT_EQ(0x80 | 11, rd(&s, RTC_HOURS, at(midnight + 23 * 3600, 0)));
}

TEST(create_offset_and_rollover)
{
	struct rtc_state s;
	struct rtc_now now = at(4102444799LL - 3600, 999999999);

	/* 'localtime' one hour ahead: 2099-12-31 23:59:59, then 2100 */
	rtc_state_init(&s, 3600);
	EXPECT_EQ(0x59, rd(&s, RTC_SECONDS, now));
	EXPECT_EQ(0x23, rd(&s, RTC_HOURS, now));
	EXPECT_EQ(0x31, rd(&s, RTC_DAY_OF_MONTH, now));
	EXPECT_EQ(0x12, rd(&s, RTC_MONTH, now));
	EXPECT_EQ(0x99, rd(&s, RTC_YEAR, now));
	EXPECT_EQ(0x20, rd(&s, KESTREL_RTC_CENTURY, now));
	now = at(4102444800LL - 3600, 0);
	EXPECT_EQ(0x00, rd(&s, RTC_SECONDS, now));
	EXPECT_EQ(0x00, rd(&s, RTC_HOURS, now));
	EXPECT_EQ(0x01, rd(&s, RTC_DAY_OF_MONTH, now));
	EXPECT_EQ(0x01, rd(&s, RTC_MONTH, now));
	EXPECT_EQ(0x00, rd(&s, RTC_YEAR, now));
	EXPECT_EQ(0x21, rd(&s, KESTREL_RTC_CENTURY, now));
	EXPECT_EQ(0x06, rd(&s, RTC_DAY_OF_WEEK, now));	/* a Friday */
}

/* What Linux's mc146818_set_time() does: SET, the fields, SET off. */
TEST(set_time_persists_as_offset)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 300000000);

	rtc_state_init(&s, 0);
	wr(&s, RTC_REG_B, RTC_B_24H | RTC_B_SET | RTC_B_UIE, now);
	EXPECT_EQ(RTC_B_24H | RTC_B_SET, rd(&s, RTC_REG_B, now));
	/* frozen: an hour later it still reads the time SET was set */
	now = at(T_LEAP + 3600, 0);
	EXPECT_EQ(0x07, rd(&s, RTC_SECONDS, now));
	EXPECT_EQ(0x13, rd(&s, RTC_HOURS, now));
	/* and UIP never shows while SET is on */
	EXPECT_EQ(0x26, rd(&s, RTC_REG_A, at(T_LEAP + 3600, 999900000)));

	/* 2001-09-09 01:46:40 */
	wr(&s, RTC_SECONDS, 0x40, now);
	wr(&s, RTC_MINUTES, 0x46, now);
	wr(&s, RTC_HOURS, 0x01, now);
	wr(&s, RTC_DAY_OF_MONTH, 0x09, now);
	wr(&s, RTC_MONTH, 0x09, now);
	wr(&s, RTC_YEAR, 0x01, now);
	wr(&s, KESTREL_RTC_CENTURY, 0x20, now);
	EXPECT_EQ(0x40, rd(&s, RTC_SECONDS, at(T_LEAP + 3700, 0)));
	now = at(T_LEAP + 3600, 250000000);
	wr(&s, RTC_REG_B, RTC_B_24H, now);
	EXPECT_EQ(1000000000LL - (T_LEAP + 3600) - 1, s.off_sec);
	EXPECT_EQ(750000000U, s.off_nsec);	/* the next second in 1 s */

	/* it runs with the host clock from there */
	EXPECT_EQ(0x40, rd(&s, RTC_SECONDS, at(T_LEAP + 3601, 249999999)));
	EXPECT_EQ(0x41, rd(&s, RTC_SECONDS, at(T_LEAP + 3601, 250000000)));
	now = at(T_LEAP + 3600 + 86400 + 3 * 3600 + 20, 250000000);
	EXPECT_EQ(0x00, rd(&s, RTC_SECONDS, now));
	EXPECT_EQ(0x47, rd(&s, RTC_MINUTES, now));
	EXPECT_EQ(0x04, rd(&s, RTC_HOURS, now));
	EXPECT_EQ(0x10, rd(&s, RTC_DAY_OF_MONTH, now));
	EXPECT_EQ(0x09, rd(&s, RTC_MONTH, now));
	EXPECT_EQ(0x01, rd(&s, RTC_YEAR, now));
	EXPECT_EQ(0x20, rd(&s, KESTREL_RTC_CENTURY, now));
	EXPECT_EQ(0x02, rd(&s, RTC_DAY_OF_WEEK, now));	/* a Monday */
}

TEST(set_time_binary_12h)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 0);

	rtc_state_init(&s, 0);
	wr(&s, RTC_REG_B, RTC_B_SET | RTC_B_DM_BINARY, now);
	EXPECT_EQ(0x80 | 1, rd(&s, RTC_HOURS, now));	/* frozen, new format */
	wr(&s, RTC_HOURS, 0x80 | 12, now);		/* 12 PM */
	wr(&s, RTC_MINUTES, 0, now);
	wr(&s, RTC_SECONDS, 0, now);
	wr(&s, RTC_REG_B, RTC_B_DM_BINARY, now);
	/* 2024-02-29 12:00:00 */
	EXPECT_EQ(T_LEAP - (3600 + 45 * 60 + 7) - T_LEAP, s.off_sec);
	wr(&s, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY, now);
	EXPECT_EQ(12, rd(&s, RTC_HOURS, now));
}

TEST(running_write_keeps_phase)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 600000000);

	rtc_state_init(&s, 0);
	wr(&s, RTC_MINUTES, 0x50, now);			/* +5 minutes */
	EXPECT_EQ(300, s.off_sec);
	EXPECT_EQ(0U, s.off_nsec);
	EXPECT_EQ(0x50, rd(&s, RTC_MINUTES, now));
	EXPECT_EQ(0x13, rd(&s, RTC_HOURS, now));
	EXPECT_EQ(0x07, rd(&s, RTC_SECONDS, at(T_LEAP, 999999999)));
	EXPECT_EQ(0x08, rd(&s, RTC_SECONDS, at(T_LEAP + 1, 0)));
}

TEST(uip_window)
{
	struct rtc_state s;

	rtc_state_init(&s, 0);
	EXPECT_EQ(0x26, rd(&s, RTC_REG_A, at(T_LEAP, 0)));
	EXPECT_EQ(0x26, rd(&s, RTC_REG_A, at(T_LEAP, 999755858)));
	EXPECT_EQ(0xa6, rd(&s, RTC_REG_A, at(T_LEAP, 999755859)));
	EXPECT_EQ(0xa6, rd(&s, RTC_REG_A, at(T_LEAP, 999999999)));
	EXPECT_EQ(0x26, rd(&s, RTC_REG_A, at(T_LEAP + 1, 0)));
	/* during UIP the old second still reads; it changes as UIP falls */
	EXPECT_EQ(0x07, rd(&s, RTC_SECONDS, at(T_LEAP, 999999999)));
	EXPECT_EQ(0x08, rd(&s, RTC_SECONDS, at(T_LEAP + 1, 0)));

	/* count the UIP time over one second sampled every microsecond */
	{
		unsigned int n = 0, ns;

		for (ns = 0; ns < 1000000000; ns += 1000)
			n += !!(rd(&s, RTC_REG_A, at(T_LEAP, ns)) & 0x80);
		EXPECT_EQ(244U, n);
	}

	/* the UIP window follows the guest's second, not the host's */
	s.off_nsec = 500000000;
	EXPECT_EQ(0xa6, rd(&s, RTC_REG_A, at(T_LEAP, 499900000)));
	EXPECT_EQ(0x26, rd(&s, RTC_REG_A, at(T_LEAP, 999900000)));

	/* UIP is read-only; the divider and rate bits are kept */
	wr(&s, RTC_REG_A, 0xff, at(T_LEAP, 0));
	EXPECT_EQ(0x7f, rd(&s, RTC_REG_A, at(T_LEAP, 0)));
}

TEST(registers_c_d_read_only)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 0);

	rtc_state_init(&s, 0);
	wr(&s, RTC_REG_B, 0x72, now);	/* PIE | AIE | UIE | 24h */
	wr(&s, RTC_REG_C, 0xff, now);
	wr(&s, RTC_REG_D, 0x00, now);
	EXPECT_EQ(0x00, rd(&s, RTC_REG_C, at(T_LEAP + 5, 0)));
	EXPECT_EQ(0x00, rd(&s, RTC_REG_C, at(T_LEAP + 5, 0)));
	EXPECT_EQ(0x80, rd(&s, RTC_REG_D, now));
	EXPECT_EQ(0x72, rd(&s, RTC_REG_B, now));
}

TEST(cmos_ram_and_alarm)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 0);
	unsigned int i;

	rtc_state_init(&s, 0);
	for (i = 0x0e; i < 0x80; i++) {
		if (i != KESTREL_RTC_CENTURY)
			EXPECT_EQ(0, rd(&s, i, now));
	}
	for (i = 0x0e; i < 0x80; i++) {
		if (i != KESTREL_RTC_CENTURY)
			wr(&s, i, i ^ 0x5a, now);
	}
	for (i = 0x0e; i < 0x80; i++) {
		if (i != KESTREL_RTC_CENTURY)
			EXPECT_EQ(i ^ 0x5a, rd(&s, i, now));
	}
	wr(&s, RTC_SECONDS_ALARM, 0x30, now);
	wr(&s, RTC_MINUTES_ALARM, 0xc0, now);		/* don't care */
	wr(&s, RTC_HOURS_ALARM, 0x23, now);
	EXPECT_EQ(0x30, rd(&s, RTC_SECONDS_ALARM, now));
	EXPECT_EQ(0xc0, rd(&s, RTC_MINUTES_ALARM, now));
	EXPECT_EQ(0x23, rd(&s, RTC_HOURS_ALARM, now));
	EXPECT_EQ(0x07, rd(&s, RTC_SECONDS, now));	/* the clock untouched */
	EXPECT_EQ(0, s.off_sec);
}

TEST(index_nmi_bit)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 0);

	rtc_state_init(&s, 0);
	wr(&s, 0x40, 0x99, now);
	EXPECT_EQ(0x99, rd(&s, 0x80 | 0x40, now));	/* NMI masked: same byte */
	EXPECT_TRUE(s.nmi_masked);
	EXPECT_EQ(0x40, s.index);
	EXPECT_EQ(0x45, rd(&s, 0x80 | RTC_MINUTES, now));
	EXPECT_EQ(0x99, rd(&s, 0x40, now));
	EXPECT_FALSE(s.nmi_masked);
}

TEST(century_writes)
{
	struct rtc_state s;
	struct rtc_now now = at(T_LEAP, 0);

	/* a running write of the century moves the clock a hundred years */
	rtc_state_init(&s, 0);
	wr(&s, KESTREL_RTC_CENTURY, 0x19, now);
	EXPECT_EQ(0x19, rd(&s, KESTREL_RTC_CENTURY, now));
	EXPECT_EQ(0x24, rd(&s, RTC_YEAR, now));
	EXPECT_EQ(0x29, rd(&s, RTC_DAY_OF_MONTH, now));
	EXPECT_EQ(0x02, rd(&s, RTC_MONTH, now));
	EXPECT_EQ(0x06, rd(&s, RTC_DAY_OF_WEEK, now));	/* 1924: a Friday */
	/* binary century */
	wr(&s, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY, now);
	EXPECT_EQ(19, rd(&s, KESTREL_RTC_CENTURY, now));
	/* a guest that does not know the century keeps it while setting */
	wr(&s, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY | RTC_B_SET, now);
	wr(&s, RTC_YEAR, 30, now);
	wr(&s, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY, now);
	EXPECT_EQ(30, rd(&s, RTC_YEAR, now));
	EXPECT_EQ(19, rd(&s, KESTREL_RTC_CENTURY, now));
}

TEST(days_round_trip)
{
	struct rtc_tm tm;
	s64 d;

	for (d = -800000; d < 3000000; d += 13) {
		rtc_time_to_tm(d * RTC_SEC_PER_DAY, &tm);
		ASSERT_EQ(d, rtc_days_from_civil(tm.year, tm.mon, tm.mday));
		ASSERT_GE(tm.mday, 1U);
		ASSERT_LE(tm.mday, 31U);
	}
	rtc_time_to_tm(0, &tm);
	EXPECT_EQ(1970, tm.year);
	EXPECT_EQ(4U, tm.wday);
	rtc_time_to_tm(-1, &tm);
	EXPECT_EQ(1969, tm.year);
	EXPECT_EQ(12U, tm.mon);
	EXPECT_EQ(31U, tm.mday);
	EXPECT_EQ(23U, tm.hour);
	EXPECT_EQ(3U, tm.wday);
}

TEST_HARNESS_MAIN
