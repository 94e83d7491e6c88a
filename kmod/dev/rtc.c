// SPDX-License-Identifier: GPL-2.0
/*
 * The CMOS real-time clock: an MC146818 as Linux's rtc-cmos driver and
 * arch/x86/kernel/rtc.c use it (drivers/rtc/rtc-mc146818-lib.c).
 *
 * Port 0x70 selects a CMOS index (bit 7 masks the NMI on a PC: it is kept
 * and has no effect; the port reads as 0xff), port 0x71 reads and writes
 * the selected byte.  Indexes 0x00-0x09 are the clock (seconds, alarm
 * seconds, minutes, alarm minutes, hours, alarm hours, day of week, day of
 * month, month, year), 0x0a-0x0d registers A to D, 0x32 the century (which
 * the FADT may announce; Kestrel's default FADT announces none, and the
 * byte is kept up to date all the same), and every other byte is plain
 * CMOS RAM, zero at creation.
 *
 * The clock is not a counter of its own: the guest's time is the host's
 * UTC wall clock plus an offset (seconds and nanoseconds), computed at
 * each read in the format register B selects (BCD or binary, 24 or 12
 * hours with bit 7 as PM).  The day of week is derived from the date
 * (1 = Sunday); what the guest writes there is not kept.  Setting the time
 * changes the offset only, so the guest's time goes on following the host
 * clock, steps included.
 *
 * Register A: UIP reads as 1 during the last 244 us before each of the
 * guest's seconds ends (the MC146818's setup time before an update, with a
 * 32.768 kHz time base), never while SET is on.  The divider and rate bits
 * are kept and have no effect.
 * Register B: SET freezes the clock registers at the time it is set, lets
 * the guest write them, and clearing it starts the clock from the written
 * time with a whole second to the next update (the offset is the written
 * time minus the host's at that moment).  Setting SET clears UIE, as on the
 * MC146818.  A time byte written while SET is off changes the time at
 * once, keeping the sub-second phase.  PIE, AIE, UIE, SQWE and DSE are
 * kept and have no effect: there is no daylight saving adjustment.
 * Register C reads as 0 and register D as 0x80 (VRT: the battery is good).
 * The alarm bytes are plain storage.
 *
 * No interrupt is raised: the periodic, alarm and update-ended interrupts
 * need a timer this device does not have, so IRQ 8 stays low and register
 * C never reports a flag.  Linux reads the time at boot and sets it
 * without them (mc146818_get_time() and _set_time() poll UIP); what waits
 * for an interrupt does not work: RTC alarms and wakealarm, and hwclock
 * through /dev/rtc0, whose wait for the (alarm-emulated) update interrupt
 * times out; hwclock --directisa polls the ports and works.
 *
 * The clock state machine below depends on nothing but <linux/types.h> so
 * that kmod/tests/rtc_test.c can build it natively; the kernel part at the
 * end adds the lock and the host's clock.
 */
#include <linux/types.h>

#include "rtc.h"

#define RTC_NSEC_PER_SEC	1000000000LL
#define RTC_SEC_PER_DAY		86400
/* 8 periods of the 32.768 kHz time base, in ns (rounded up). */
#define RTC_UIP_NSEC		244141

#define RTC_SECONDS		0x00
#define RTC_SECONDS_ALARM	0x01
#define RTC_MINUTES		0x02
#define RTC_MINUTES_ALARM	0x03
#define RTC_HOURS		0x04
#define RTC_HOURS_ALARM		0x05
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CMOS_SIZE		128

#define RTC_A_UIP		0x80
#define RTC_A_INIT		0x26	/* 32.768 kHz time base, 1024 Hz rate */
#define RTC_B_SET		0x80
#define RTC_B_UIE		0x10
#define RTC_B_DM_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_B_INIT		RTC_B_24H	/* 24 hours, BCD */
#define RTC_D_VRT		0x80
#define RTC_HOUR_PM		0x80
#define RTC_INDEX_NMI		0x80

/* A moment of the host's UTC wall clock. */
struct rtc_now {
	s64 sec;
	u32 nsec;		/* 0 .. RTC_NSEC_PER_SEC - 1 */
};

/*
 * The RTC's whole state.  The time bytes of @cmos (0x00, 0x02, 0x04, 0x06
 * to 0x09, 0x32) hold the frozen time while SET is on; otherwise they are
 * recomputed at each read.  Serialised by the caller.
 */
struct rtc_state {
	s64 off_sec;		/* guest time = host time + off_sec ... */
	u32 off_nsec;		/* ... + off_nsec (0 .. NSEC_PER_SEC - 1) */
	u8 index;		/* selected CMOS index, 0..127 */
	bool nmi_masked;	/* port 0x70 bit 7: kept, no effect */
	u8 cmos[RTC_CMOS_SIZE];
};

/* A broken-down time; @year is the full year (century included). */
struct rtc_tm {
	s64 year;
	unsigned int mon;	/* 1..12 */
	unsigned int mday;	/* 1..31 */
	unsigned int wday;	/* 0 = Sunday */
	unsigned int hour;
	unsigned int min;
	unsigned int sec;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static s64 rtc_days_from_civil(s64 y, unsigned int m, unsigned int d)
{
	s64 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void rtc_civil_from_days(s64 z, struct rtc_tm *tm)
{
	s64 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = doy - (153 * mp + 2) / 5 + 1;
	tm->mon = mp < 10 ? mp + 3 : mp - 9;
	tm->year = yoe + era * 400 + (tm->mon <= 2);
}

static void rtc_time_to_tm(s64 t, struct rtc_tm *tm)
{
	s64 days = t / RTC_SEC_PER_DAY;
	s64 rem = t % RTC_SEC_PER_DAY;

	if (rem < 0) {
		rem += RTC_SEC_PER_DAY;
		days--;
	}
	rtc_civil_from_days(days, tm);
	/* 1970-01-01 was a Thursday. */
	tm->wday = ((days + 4) % 7 + 7) % 7;
	tm->hour = rem / 3600;
	tm->min = rem / 60 % 60;
	tm->sec = rem % 60;
}

/* The guest's clock at host time @now. */
static void rtc_guest_time(const struct rtc_state *s, const struct rtc_now *now,
			   s64 *sec, u32 *nsec)
{
	u32 ns = now->nsec + s->off_nsec;
	s64 t = now->sec + s->off_sec;

	if (ns >= RTC_NSEC_PER_SEC) {
		ns -= RTC_NSEC_PER_SEC;
		t++;
	}
	*sec = t;
	*nsec = ns;
}

/* Make the guest's clock read @sec + @nsec at host time @now. */
static void rtc_set_guest_time(struct rtc_state *s, const struct rtc_now *now,
			       s64 sec, u32 nsec)
{
	s64 ns = (s64)nsec - now->nsec;

	s->off_sec = sec - now->sec;
	if (ns < 0) {
		ns += RTC_NSEC_PER_SEC;
		s->off_sec--;
	}
	s->off_nsec = ns;
}

static u8 rtc_to_reg(const struct rtc_state *s, unsigned int v)
{
	v %= 100;
	if (s->cmos[RTC_REG_B] & RTC_B_DM_BINARY)
		return v;
	return (v / 10) << 4 | v % 10;
}

static unsigned int rtc_from_reg(const struct rtc_state *s, u8 v)
{
	if (s->cmos[RTC_REG_B] & RTC_B_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static u8 rtc_hour_to_reg(const struct rtc_state *s, unsigned int hour)
{
	if (s->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_to_reg(s, hour);
	/* 12-hour: 12 AM, 1 AM .. 11 AM, 12 PM, 1 PM .. 11 PM */
	return rtc_to_reg(s, hour % 12 ? hour % 12 : 12) |
	       (hour >= 12 ? RTC_HOUR_PM : 0);
}

static unsigned int rtc_hour_from_reg(const struct rtc_state *s, u8 v)
{
	if (s->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_from_reg(s, v);
	return rtc_from_reg(s, v & ~RTC_HOUR_PM) % 12 +
	       (v & RTC_HOUR_PM ? 12 : 0);
}

/* Write the guest's time in seconds to the clock bytes of CMOS. */
static void rtc_fill(struct rtc_state *s, s64 t)
{
	struct rtc_tm tm;
	s64 century;

	rtc_time_to_tm(t, &tm);
	century = tm.year / 100;
	s->cmos[RTC_SECONDS] = rtc_to_reg(s, tm.sec);
	s->cmos[RTC_MINUTES] = rtc_to_reg(s, tm.min);
	s->cmos[RTC_HOURS] = rtc_hour_to_reg(s, tm.hour);
	s->cmos[RTC_DAY_OF_WEEK] = rtc_to_reg(s, tm.wday + 1);
	s->cmos[RTC_DAY_OF_MONTH] = rtc_to_reg(s, tm.mday);
	s->cmos[RTC_MONTH] = rtc_to_reg(s, tm.mon);
	s->cmos[RTC_YEAR] = rtc_to_reg(s, tm.year - century * 100);
	s->cmos[KESTREL_RTC_CENTURY] = rtc_to_reg(s, century);
}

/*
 * The clock bytes of CMOS as a time in seconds.  Out-of-range fields carry
 * over (61 seconds is a minute and a second); a month outside 1..12 or a
 * day of 0 reads as 1.
 */
static s64 rtc_parse(const struct rtc_state *s)
{
	unsigned int mon = rtc_from_reg(s, s->cmos[RTC_MONTH]);
	unsigned int mday = rtc_from_reg(s, s->cmos[RTC_DAY_OF_MONTH]);
	s64 year = rtc_from_reg(s, s->cmos[RTC_YEAR]) +
		   100 * (s64)rtc_from_reg(s, s->cmos[KESTREL_RTC_CENTURY]);
	s64 days;

	if (mon < 1 || mon > 12)
		mon = 1;
	if (!mday)
		mday = 1;
	days = rtc_days_from_civil(year, mon, mday);
	return days * RTC_SEC_PER_DAY +
	       rtc_hour_from_reg(s, s->cmos[RTC_HOURS]) * 3600LL +
	       rtc_from_reg(s, s->cmos[RTC_MINUTES]) * 60LL +
	       rtc_from_reg(s, s->cmos[RTC_SECONDS]);
}

static bool rtc_is_time_index(unsigned int index)
{
	switch (index) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case KESTREL_RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

static void rtc_state_init(struct rtc_state *s, s64 offset_seconds)
{
	unsigned int i;

	for (i = 0; i < RTC_CMOS_SIZE; i++)
		s->cmos[i] = 0;
	s->cmos[RTC_REG_A] = RTC_A_INIT;
	s->cmos[RTC_REG_B] = RTC_B_INIT;
	s->cmos[RTC_REG_D] = RTC_D_VRT;
	s->off_sec = offset_seconds;
	s->off_nsec = 0;
	s->index = 0;
	s->nmi_masked = false;
}

static u8 rtc_state_read(struct rtc_state *s, u16 port,
			 const struct rtc_now *now)
{
	bool set = s->cmos[RTC_REG_B] & RTC_B_SET;
	unsigned int index = s->index;
	s64 sec;
	u32 nsec;

	if (port != KESTREL_RTC_PORT_DATA)
		return 0xff;	/* the index port is write-only */

	rtc_guest_time(s, now, &sec, &nsec);
	switch (index) {
	case RTC_REG_A:
		if (!set && nsec >= RTC_NSEC_PER_SEC - RTC_UIP_NSEC)
			return s->cmos[RTC_REG_A] | RTC_A_UIP;
		return s->cmos[RTC_REG_A];
	case RTC_REG_C:
		/* No interrupt flag is ever set; reading clears them. */
		return 0;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		if (rtc_is_time_index(index) && !set)
			rtc_fill(s, sec);
		return s->cmos[index];
	}
}

static void rtc_write_b(struct rtc_state *s, u8 val, const struct rtc_now *now)
{
	u8 old = s->cmos[RTC_REG_B];
	s64 sec;
	u32 nsec;

	if (val & RTC_B_SET)
		val &= ~RTC_B_UIE;
	s->cmos[RTC_REG_B] = val;
	if (!(old & RTC_B_SET) && val & RTC_B_SET) {
		/* Freeze: the guest now reads and writes the bytes. */
		rtc_guest_time(s, now, &sec, &nsec);
		rtc_fill(s, sec);
	} else if (old & RTC_B_SET && !(val & RTC_B_SET)) {
		/* Run from the time written, the next update a second away. */
		rtc_set_guest_time(s, now, rtc_parse(s), 0);
	}
}

static void rtc_state_write(struct rtc_state *s, u16 port, u8 val,
			    const struct rtc_now *now)
{
	unsigned int index = s->index;
	s64 sec;
	u32 nsec;

	if (port == KESTREL_RTC_PORT_INDEX) {
		s->index = val & ~RTC_INDEX_NMI;
		s->nmi_masked = val & RTC_INDEX_NMI;
		return;
	}
	if (port != KESTREL_RTC_PORT_DATA)
		return;

	switch (index) {
	case RTC_REG_A:
		s->cmos[RTC_REG_A] = val & ~RTC_A_UIP;
		break;
	case RTC_REG_B:
		rtc_write_b(s, val, now);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;		/* read-only */
	default:
		if (!rtc_is_time_index(index) ||
		    s->cmos[RTC_REG_B] & RTC_B_SET) {
			s->cmos[index] = val;
			break;
		}
		/* The clock is running: change the time now, same phase. */
		rtc_guest_time(s, now, &sec, &nsec);
		rtc_fill(s, sec);
		s->cmos[index] = val;
		rtc_set_guest_time(s, now, rtc_parse(s), nsec);
		break;
	}
}

#ifdef __KERNEL__

#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>

/*
 * @irq and @opaque are fixed at creation (and unused: no interrupt is
 * raised).  @lock, taken with interrupts disabled, protects @s; nothing
 * else is called under it.  The owner destroys the RTC once no vCPU can
 * reach it any more.
 */
struct kestrel_rtc {
	void (*irq)(void *opaque, bool level);
	void *opaque;

	spinlock_t lock;	/* protects @s */
	struct rtc_state s;
};

/* The host's UTC wall clock, seconds and nanoseconds of the same moment. */
static void rtc_host_now(struct rtc_now *now)
{
	struct timespec64 ts;

	ktime_get_real_ts64(&ts);
	now->sec = ts.tv_sec;
	now->nsec = ts.tv_nsec;
}

u8 kestrel_rtc_read(struct kestrel_rtc *rtc, u16 port)
{
	struct rtc_now now;
	unsigned long flags;
	u8 val;

	rtc_host_now(&now);
	spin_lock_irqsave(&rtc->lock, flags);
	val = rtc_state_read(&rtc->s, port, &now);
	spin_unlock_irqrestore(&rtc->lock, flags);
	return val;
}

void kestrel_rtc_write(struct kestrel_rtc *rtc, u16 port, u8 val)
{
	struct rtc_now now;
	unsigned long flags;

	rtc_host_now(&now);
	spin_lock_irqsave(&rtc->lock, flags);
	rtc_state_write(&rtc->s, port, val, &now);
	spin_unlock_irqrestore(&rtc->lock, flags);
}

s64 kestrel_rtc_offset(struct kestrel_rtc *rtc)
{
	unsigned long flags;
	s64 off;

	spin_lock_irqsave(&rtc->lock, flags);
	off = rtc->s.off_sec;
	spin_unlock_irqrestore(&rtc->lock, flags);
	return off;
}

struct kestrel_rtc *kestrel_rtc_create(s64 offset_seconds,
				       void (*irq)(void *opaque, bool level),
				       void *opaque)
{
	struct kestrel_rtc *rtc;

	rtc = kzalloc(sizeof(*rtc), GFP_KERNEL_ACCOUNT);
	if (!rtc)
		return NULL;
	rtc->irq = irq;
	rtc->opaque = opaque;
	spin_lock_init(&rtc->lock);
	rtc_state_init(&rtc->s, offset_seconds);
	return rtc;
}

void kestrel_rtc_destroy(struct kestrel_rtc *rtc)
{
	kfree(rtc);
}

#endif /* __KERNEL__ */
