// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI fixed hardware (ACPI 6.x, 4.8): the PM1a event and control blocks,
 * the PM timer and the SCI, plus the reset register, laid out as
 * lib/acpi.h's contract with this device says:
 *
 *   0x600  PM1_STS  16 bits, write 1 to clear.  TMR_STS (bit 0) is set each
 *                   time the timer's top bit changes, PWRBTN_STS (bit 8)
 *                   when the host presses the power button, WAK_STS (bit
 *                   15) never (the guest never sleeps); the other status
 *                   bits are never set either.
 *   0x602  PM1_EN   16 bits: TMR_EN (0), GBL_EN (5), PWRBTN_EN (8),
 *                   SLPBTN_EN (9), RTC_EN (10), PCIEXP_WAKE_DIS (14) are
 *                   kept (ACPICA reads back each enable bit it sets, and
 *                   gives up the global lock if GBL_EN does not stick);
 *                   only TMR_EN and PWRBTN_EN have a status behind them.
 *   0x604  PM1_CNT  16 bits: SCI_EN (0) always reads 1, as there is no
 *                   SMI_CMD to switch ACPI mode; BM_RLD (1) and SLP_TYP
 *                   (10-12) are kept; GBL_RLS (2) and SLP_EN (13) are
 *                   write-only.  Writing SLP_EN with SLP_TYP = 5 (\_S5 in
 *                   the DSDT) powers off; other sleep types are ignored
 *                   (the DSDT offers none of them).
 *   0x608  PM_TMR   a free-running 3.579545 MHz counter, 32 bits (or 24,
 *                   bits 31:24 then reading 0), read-only.
 *   0xcf9           PIIX4's reset control register: a byte with RST_CPU
 *                   (bit 2) set resets the system; SYS_RST (bit 1) and
 *                   FULL_RST (bit 3) are kept and read back.  The FADT's
 *                   RESET_REG writes 0x06; Linux's reboot=pci writes 0x02
 *                   then 0x06 (or 0x0e).
 *
 * Accesses of 1, 2 or 4 bytes may start at any port; each byte goes to the
 * register it falls in (Linux uses 16-bit accesses for PM1_STS, PM1_EN and
 * PM1_CNT and 32-bit ones for PM_TMR).  A write touching several registers
 * is applied register by register with the bytes it has for each; bytes of
 * no register (0x606, 0x607) read 0xff and ignore writes.
 *
 * The SCI is level-triggered: asserted while (PM1_STS & PM1_EN) has TMR or
 * PWRBTN set.  There is no timer behind TMR_STS: it is brought up to date
 * at each access and power-button press, so with TMR_EN set the SCI rises
 * at the first access after the timer's top bit changed, not at the
 * change.  Linux never enables the timer event.
 *
 * The state machine below depends on nothing but <linux/types.h> so that
 * kmod/tests/acpi_pm_test.c can build it natively; the kernel part at the
 * end adds the lock, the clock and the callbacks.
 */
#include <linux/types.h>

#include "acpi_pm.h"

#define PM_NSEC_PER_SEC		1000000000ULL
#define PM_TMR_HZ		3579545ULL

/* Offsets in the 0x600..0x60b block. */
#define PM_BLK_LEN		12
#define PM_OFF_STS		0
#define PM_OFF_EN		2
#define PM_OFF_CNT		4
#define PM_OFF_TMR		8

#define PM1_TMR			(1u << 0)	/* TMR_STS, TMR_EN */
#define PM1_GBL			(1u << 5)
#define PM1_PWRBTN		(1u << 8)	/* PWRBTN_STS, PWRBTN_EN */
#define PM1_SLPBTN		(1u << 9)
#define PM1_RTC			(1u << 10)
#define PM1_STS_WAK		(1u << 15)
#define PM1_STS_BM		(1u << 4)
#define PM1_STS_PCIEXP_WAKE	(1u << 14)
#define PM1_EN_PCIEXP_WAKE_DIS	(1u << 14)
#define PM1_STS_MASK		(PM1_TMR | PM1_STS_BM | PM1_GBL | PM1_PWRBTN | \
				 PM1_SLPBTN | PM1_RTC | PM1_STS_PCIEXP_WAKE | \
				 PM1_STS_WAK)
#define PM1_EN_MASK		(PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | \
				 PM1_RTC | PM1_EN_PCIEXP_WAKE_DIS)
#define PM1_SCI_SOURCES		(PM1_TMR | PM1_PWRBTN)

/* PM1_CNT, as KESTREL_ACPI_PM1_CNT_* in lib/acpi.h */
#define PM1_CNT_SCI_EN		(1u << 0)
#define PM1_CNT_BM_RLD		(1u << 1)
#define PM1_CNT_SLP_TYP_SHIFT	10
#define PM1_CNT_SLP_TYP		(7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN		(1u << 13)
#define PM1_CNT_MASK		(PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP)
#define PM_SLP_TYP_S5		5	/* KESTREL_ACPI_SLP_TYP_S5 */

/* PIIX4 reset control register */
#define PM_RCR_SYS_RST		(1u << 1)
#define PM_RCR_RST_CPU		(1u << 2)
#define PM_RCR_FULL_RST		(1u << 3)
#define PM_RCR_MASK		(PM_RCR_SYS_RST | PM_RCR_FULL_RST)

/* What a write asks of the caller, once the lock is dropped. */
#define PM_ACT_POWEROFF		(1u << 0)
#define PM_ACT_RESET		(1u << 1)

/* The whole state; serialised by the caller. */
struct pm_state {
	u64 tmr_base;		/* "now" (ns) at which the timer read 0 */
	u64 tmr_half;		/* timer ticks >> (bits - 1) when last seen */
	unsigned int tmr_bits;	/* 24 or 32 */
	u16 sts;
	u16 en;
	u16 cnt;		/* BM_RLD and SLP_TYP */
	u8 rcr;			/* SYS_RST and FULL_RST */
	bool sci_level;		/* the SCI's level, as last computed */
};

/* Timer ticks since the base, without overflowing for 5000 years. */
static u64 pm_tmr_ticks(const struct pm_state *s, u64 now)
{
	u64 d = now - s->tmr_base;

	return d / PM_NSEC_PER_SEC * PM_TMR_HZ +
	       d % PM_NSEC_PER_SEC * PM_TMR_HZ / PM_NSEC_PER_SEC;
}

static u32 pm_tmr_value(const struct pm_state *s, u64 ticks)
{
	if (s->tmr_bits == 24)
		return ticks & 0xffffff;
	return (u32)ticks;
}

/* Bring TMR_STS up to date, then the SCI's level. */
static void pm_update(struct pm_state *s, u64 now)
{
	u64 half = pm_tmr_ticks(s, now) >> (s->tmr_bits - 1);

	if (half != s->tmr_half) {
		s->tmr_half = half;
		s->sts |= PM1_TMR;
	}
	s->sci_level = s->sts & s->en & PM1_SCI_SOURCES;
}

static void pm_state_reset(struct pm_state *s, u64 now)
{
	s->sts = 0;
	s->en = 0;
	s->cnt = 0;
	s->rcr = 0;
	s->tmr_half = pm_tmr_ticks(s, now) >> (s->tmr_bits - 1);
	pm_update(s, now);
}

static void pm_state_init(struct pm_state *s, bool tmr_24bit, u64 now)
{
	s->tmr_base = now;
	s->tmr_bits = tmr_24bit ? 24 : 32;
	s->sci_level = false;
	pm_state_reset(s, now);
}

static void pm_state_power_button(struct pm_state *s, u64 now)
{
	s->sts |= PM1_PWRBTN;
	pm_update(s, now);
}

/* One byte of the 0x600 block at @off, the timer reading @tmr. */
static u8 pm_blk_byte(const struct pm_state *s, unsigned int off, u32 tmr)
{
	unsigned int shift = (off & 1) * 8;

	switch (off) {
	case PM_OFF_STS ... PM_OFF_STS + 1:
		return s->sts >> shift;
	case PM_OFF_EN ... PM_OFF_EN + 1:
		return s->en >> shift;
	case PM_OFF_CNT ... PM_OFF_CNT + 1:
		return (s->cnt | PM1_CNT_SCI_EN) >> shift;
	case PM_OFF_TMR ... PM_OFF_TMR + 3:
		return tmr >> (off - PM_OFF_TMR) * 8;
	default:
		return 0xff;
	}
}

static u32 pm_state_read(struct pm_state *s, u16 port, unsigned int len,
			 u64 now)
{
	u32 tmr, val = 0;
	unsigned int i;
	u16 p;

	pm_update(s, now);
	tmr = pm_tmr_value(s, pm_tmr_ticks(s, now));
	for (i = 0; i < len; i++) {
		p = port + i;
		if (p >= KESTREL_ACPI_PM_EVT_PORT &&
		    p < KESTREL_ACPI_PM_EVT_PORT + PM_BLK_LEN)
			val |= (u32)pm_blk_byte(s, p - KESTREL_ACPI_PM_EVT_PORT,
						tmr) << (8 * i);
		else if (p == KESTREL_ACPI_PM_RESET_PORT)
			val |= (u32)s->rcr << (8 * i);
		else
			val |= 0xffu << (8 * i);
	}
	return val;
}

/* A 16-bit register's share of a write: its bits and which were written. */
struct pm_reg_write {
	u16 val;
	u16 mask;
};

static unsigned int pm_write_cnt(struct pm_state *s, u16 val, u16 mask)
{
	s->cnt = (s->cnt & ~mask) | (val & mask & PM1_CNT_MASK);
	if (!(val & mask & PM1_CNT_SLP_EN))
		return 0;
	if ((s->cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT ==
	    PM_SLP_TYP_S5)
		return PM_ACT_POWEROFF;
	return 0;	/* no other sleep state is offered */
}

/* Returns PM_ACT_* for the caller to carry out. */
static unsigned int pm_state_write(struct pm_state *s, u16 port,
				   unsigned int len, u32 val, u64 now)
{
	struct pm_reg_write sts = { 0 }, en = { 0 }, cnt = { 0 };
	struct pm_reg_write *reg;
	unsigned int i, off, act = 0;
	u8 b;
	u16 p;

	pm_update(s, now);
	for (i = 0; i < len; i++) {
		p = port + i;
		b = val >> (8 * i);
		if (p == KESTREL_ACPI_PM_RESET_PORT) {
			s->rcr = b & PM_RCR_MASK;
			if (b & PM_RCR_RST_CPU)
				act |= PM_ACT_RESET;
			continue;
		}
		if (p < KESTREL_ACPI_PM_EVT_PORT ||
		    p >= KESTREL_ACPI_PM_EVT_PORT + PM_BLK_LEN)
			continue;
		off = p - KESTREL_ACPI_PM_EVT_PORT;
		switch (off) {
		case PM_OFF_STS ... PM_OFF_STS + 1:
			reg = &sts;
			break;
		case PM_OFF_EN ... PM_OFF_EN + 1:
			reg = &en;
			break;
		case PM_OFF_CNT ... PM_OFF_CNT + 1:
			reg = &cnt;
			break;
		default:
			continue;	/* PM_TMR is read-only */
		}
		reg->val |= (u16)b << ((off & 1) * 8);
		reg->mask |= (u16)0xff << ((off & 1) * 8);
	}
	s->sts &= ~(sts.val & sts.mask & PM1_STS_MASK);
	s->en = (s->en & ~en.mask) | (en.val & en.mask & PM1_EN_MASK);
	if (cnt.mask)
		act |= pm_write_cnt(s, cnt.val, cnt.mask);
	pm_update(s, now);
	return act;
}

#ifdef __KERNEL__

#include <linux/bug.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>

/*
 * @ops and @opaque are fixed at creation.  @lock, taken with interrupts
 * disabled, protects @s and is held while calling @ops.sci, so the levels
 * reported are always in order; @ops.poweroff and @ops.reset are called
 * after it is dropped.  The owner destroys the device once no vCPU can
 * reach it and the host can no longer press the power button.
 */
struct kestrel_acpi_pm {
	struct kestrel_acpi_pm_ops ops;
	void *opaque;

	spinlock_t lock;	/* protects @s */
	struct pm_state s;
};

/* Under the lock: tell @ops.sci if the level moved from @was. */
static void acpi_pm_sci(struct kestrel_acpi_pm *pm, bool was)
{
	if (pm->s.sci_level != was && pm->ops.sci)
		pm->ops.sci(pm->opaque, pm->s.sci_level);
}

static bool acpi_pm_len_ok(unsigned int len)
{
	return !WARN_ON_ONCE(len != 1 && len != 2 && len != 4);
}

u32 kestrel_acpi_pm_read(struct kestrel_acpi_pm *pm, u16 port,
			 unsigned int len)
{
	unsigned long flags;
	bool was;
	u32 val;

	if (!acpi_pm_len_ok(len))
		return ~0u;
	spin_lock_irqsave(&pm->lock, flags);
	was = pm->s.sci_level;
	val = pm_state_read(&pm->s, port, len, ktime_get_ns());
	acpi_pm_sci(pm, was);
	spin_unlock_irqrestore(&pm->lock, flags);
	return val;
}

void kestrel_acpi_pm_write(struct kestrel_acpi_pm *pm, u16 port,
			   unsigned int len, u32 val)
{
	unsigned long flags;
	unsigned int act;
	bool was;

	if (!acpi_pm_len_ok(len))
		return;
	spin_lock_irqsave(&pm->lock, flags);
	was = pm->s.sci_level;
	act = pm_state_write(&pm->s, port, len, val, ktime_get_ns());
	acpi_pm_sci(pm, was);
	spin_unlock_irqrestore(&pm->lock, flags);

	if (act & PM_ACT_POWEROFF && pm->ops.poweroff)
		pm->ops.poweroff(pm->opaque);
	if (act & PM_ACT_RESET && pm->ops.reset)
		pm->ops.reset(pm->opaque);
}

void kestrel_acpi_pm_power_button(struct kestrel_acpi_pm *pm)
{
	unsigned long flags;
	bool was;

	spin_lock_irqsave(&pm->lock, flags);
	was = pm->s.sci_level;
	pm_state_power_button(&pm->s, ktime_get_ns());
	acpi_pm_sci(pm, was);
	spin_unlock_irqrestore(&pm->lock, flags);
}

void kestrel_acpi_pm_reset(struct kestrel_acpi_pm *pm)
{
	unsigned long flags;
	bool was;

	spin_lock_irqsave(&pm->lock, flags);
	was = pm->s.sci_level;
	pm_state_reset(&pm->s, ktime_get_ns());
	acpi_pm_sci(pm, was);
	spin_unlock_irqrestore(&pm->lock, flags);
}

struct kestrel_acpi_pm *
kestrel_acpi_pm_create(const struct kestrel_acpi_pm_ops *ops, void *opaque)
{
	struct kestrel_acpi_pm *pm;

	pm = kzalloc(sizeof(*pm), GFP_KERNEL_ACCOUNT);
	if (!pm)
		return NULL;
	if (ops)
		pm->ops = *ops;
	pm->opaque = opaque;
	spin_lock_init(&pm->lock);
	pm_state_init(&pm->s, pm->ops.tmr_24bit, ktime_get_ns());
	return pm;
}

void kestrel_acpi_pm_destroy(struct kestrel_acpi_pm *pm)
{
	kfree(pm);
}

#endif /* __KERNEL__ */
