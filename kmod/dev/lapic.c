// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of one vCPU.  Facts from the Intel SDM volume 3, chapter
 * 11, as KVM's arch/x86/kvm/lapic.c implements them:
 *
 *   - Registers at 16-byte-aligned offsets of the xAPIC page; in x2APIC mode
 *     at MSR 0x800 + offset / 16, where ICR is one 64-bit MSR (0x830) with
 *     a 32-bit destination, there is a self-IPI MSR (0x83f), and APR, RRD,
 *     DFR and ICR high (0x831) do not exist: accessing them, reading EOI or
 *     self-IPI, writing a read-only register, writing bits 63:32 (but for
 *     ICR) or a non-zero value to EOI or ESR, or touching an x2APIC MSR
 *     outside x2APIC mode raises #GP (an error return here).  In x2APIC
 *     mode the ID is the vCPU index (read-only) and LDR is derived from it:
 *     cluster id >> 4 in bits 31:16, 1 << (id & 15) in bits 15:0.
 *   - Version 0x50014: version 0x14, "max LVT entry" 5.  LVT CMCI (0x2f0)
 *     is nevertheless implemented as a plain register (vector, delivery
 *     mode, mask) so that a guest touching it does not fault; it never
 *     delivers.
 *   - PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV & 0xf0 (ISRV: highest
 *     in-service vector).  A fixed interrupt is deliverable when its
 *     priority class is above PPR's.  APR reads 0 (arbitration is the
 *     caller's: lowest priority goes to any one matching APIC).
 *   - The APIC is software-disabled while SVR bit 8 is clear: every LVT is
 *     masked and stays so, fixed and lowest-priority messages are dropped,
 *     NMI, INIT, SIPI and ExtINT are still accepted.  It is hardware-
 *     disabled while IA32_APIC_BASE bit 11 is clear: it matches no message
 *     and its MMIO page reads 0.
 *   - IA32_APIC_BASE: base address fixed at 0xfee00000 (a write of another
 *     address keeps 0xfee00000: relocation is ignored, Linux never
 *     relocates), bit 8 BSP (set for vCPU 0; only a host write changes
 *     it), bit 10 x2APIC, bit 11 enable.  Bits 7:0, 9 and 63:52 are
 *     reserved (#GP).  EXTD without EN is invalid (#GP); the guest may not
 *     go from x2APIC to xAPIC, nor from disabled to x2APIC (#GP), only
 *     through disabled, which resets every register to its power-on value.
 *   - Timer: a 1 GHz bus clock (one count is one ns before the divider).
 *     One-shot (mode 0, and the reserved mode 3), periodic (1) and
 *     TSC-deadline (2).  A masked LVT timer counts but does not fire.  A
 *     periodic period under LAPIC_MIN_PERIOD_NS is raised to it, and a
 *     periodic timer is re-armed from its previous deadline (expiries the
 *     caller was late for are coalesced into one interrupt).  Switching to
 *     or from TSC-deadline mode stops the timer and clears the initial
 *     count and the deadline.  A divide configuration change rescales what
 *     is left of the current period.  The TSC deadline is a guest TSC
 *     value; the caller passes the guest TSC that goes with "now", and
 *     the frequency is given at creation.
 *   - ESR: errors accumulate internally and a write of ESR makes them
 *     readable (and clears them); an unmasked LVT error delivers its
 *     vector.  Illegal vectors (0-15) are refused on send and receive.
 *
 * The state machine below takes no lock and knows nothing of the kernel:
 * time ("now", in ns of the caller's monotonic clock) is an argument and
 * side effects are returned in struct lapic_effects or as return values.
 * The kernel part at the end adds the lock, the hrtimer and the callbacks.
 */
#include <linux/types.h>
#include <linux/errno.h>

#ifdef __KERNEL__
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#endif

#include "lapic.h"

/* xAPIC register offsets */
#define LAPIC_ID		0x020
#define LAPIC_VER		0x030
#define LAPIC_TPR		0x080
#define LAPIC_APR		0x090
#define LAPIC_PPR		0x0a0
#define LAPIC_EOI		0x0b0
#define LAPIC_RRD		0x0c0
#define LAPIC_LDR		0x0d0
#define LAPIC_DFR		0x0e0
#define LAPIC_SVR		0x0f0
#define LAPIC_ISR		0x100
#define LAPIC_TMR		0x180
#define LAPIC_IRR		0x200
#define LAPIC_ESR		0x280
#define LAPIC_LVT_CMCI		0x2f0
#define LAPIC_ICR		0x300
#define LAPIC_ICR_HI		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TMICT		0x380
#define LAPIC_TMCCT		0x390
#define LAPIC_TDCR		0x3e0
#define LAPIC_SELF_IPI		0x3f0

#define SVR_ENABLE		(1U << 8)
#define SVR_MASK		0x3ffU		/* vector, enable, focus */
#define LDR_XAPIC_MASK		0xff000000U
#define DFR_FLAT		0xfU
#define DFR_CLUSTER		0x0U

#define LVT_VECTOR		0xffU
#define LVT_DM_SHIFT		8
#define LVT_DM			(7U << LVT_DM_SHIFT)
#define LVT_ACTIVE_LOW		(1U << 13)
#define LVT_REMOTE_IRR		(1U << 14)
#define LVT_LEVEL		(1U << 15)
#define LVT_MASKED		(1U << 16)
#define LVT_TIMER_SHIFT		17
#define LVT_TIMER_MODE		(3U << LVT_TIMER_SHIFT)
#define TIMER_ONESHOT		0
#define TIMER_PERIODIC		1
#define TIMER_TSC_DEADLINE	2

#define ICR_VECTOR		0xffU
#define ICR_DM_SHIFT		8
#define ICR_LOGICAL		(1U << 11)
#define ICR_ASSERT		(1U << 14)
#define ICR_LEVEL		(1U << 15)
#define ICR_SH_SHIFT		18
#define ICR_LO_MASK		0x000ccfffU	/* delivery status reads 0 */

#define ESR_SEND_ILLEGAL	(1U << 5)
#define ESR_RECV_ILLEGAL	(1U << 6)
#define ESR_ILLEGAL_REG		(1U << 7)

#define TDCR_MASK		0xbU

#define APIC_BASE_RESERVED	(0xffULL | 1ULL << 9 | 0xfffULL << 52)
#define APIC_BASE_ADDR		0x000ffffffffff000ULL

/* The shortest period of a periodic timer: 10 us. */
#define LAPIC_MIN_PERIOD_NS	10000ULL

#define NSEC_PER_MSEC_U		1000000ULL

/* Writable bits of each LVT, indexed like KESTREL_LAPIC_LVT_* */
static const u32 lvt_mask[KESTREL_LAPIC_NR_LVT] = {
	[KESTREL_LAPIC_LVT_CMCI] = LVT_VECTOR | LVT_DM | LVT_MASKED,
	[KESTREL_LAPIC_LVT_TIMER] = LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE,
	[KESTREL_LAPIC_LVT_THERMAL] = LVT_VECTOR | LVT_DM | LVT_MASKED,
	[KESTREL_LAPIC_LVT_PERF] = LVT_VECTOR | LVT_DM | LVT_MASKED,
	[KESTREL_LAPIC_LVT_LINT0] = LVT_VECTOR | LVT_DM | LVT_ACTIVE_LOW |
				    LVT_LEVEL | LVT_MASKED,
	[KESTREL_LAPIC_LVT_LINT1] = LVT_VECTOR | LVT_DM | LVT_ACTIVE_LOW |
				    LVT_LEVEL | LVT_MASKED,
	[KESTREL_LAPIC_LVT_ERROR] = LVT_VECTOR | LVT_MASKED,
};

/*
 * One local APIC.  @vcpu_id and @tsc_khz are fixed at initialisation; the
 * caller serialises every call (the kernel part holds the spinlock).
 */
struct lapic_core {
	u32 vcpu_id;
	u32 tsc_khz;

	u64 apic_base;
	u32 xapic_id;		/* xAPIC ID register (ID in bits 31:24) */
	u32 tpr;
	u32 ldr;		/* xAPIC LDR */
	u32 dfr;
	u32 svr;
	u32 esr;		/* readable ESR */
	u32 esr_pending;	/* errors since the last ESR write */
	u32 icr_lo;
	u32 icr_hi;		/* xAPIC: bits 31:24; x2APIC: all 32 */
	u32 lvt[KESTREL_LAPIC_NR_LVT];
	u32 irr[8];
	u32 isr[8];
	u32 tmr[8];
	u32 tmict;
	u32 tdcr;

	bool timer_armed;
	u64 timer_deadline;	/* ns, when armed */
	u64 timer_period;	/* ns: tmict * divisor (unclamped) */
	u64 tsc_deadline;

	bool wait_for_sipi;
	bool nmi_pending;
	bool init_pending;
	bool sipi_pending;
	bool extint_pending;
	u8 sipi_vector;
	bool lint_level[2];
};

/* What a call asks the caller to do once it has dropped the lock. */
struct lapic_effects {
	bool ipi;			/* route @ipi_msg with @ipi_shorthand */
	unsigned int ipi_shorthand;	/* KESTREL_LAPIC_SH_* */
	struct kestrel_irq_msg ipi_msg;
	int level_eoi;			/* tell the I/O APIC; -1: nothing */
};

static void lapic_effects_init(struct lapic_effects *fx)
{
	fx->ipi = false;
	fx->ipi_shorthand = KESTREL_LAPIC_SH_NONE;
	fx->level_eoi = -1;
}

static bool lapic_hw_enabled(const struct lapic_core *s)
{
	return s->apic_base & KESTREL_APIC_BASE_EN;
}

static bool lapic_x2apic(const struct lapic_core *s)
{
	return s->apic_base & KESTREL_APIC_BASE_EXTD;
}

static bool lapic_sw_enabled(const struct lapic_core *s)
{
	return s->svr & SVR_ENABLE;
}

static bool lapic_is_bsp(const struct lapic_core *s)
{
	return s->apic_base & KESTREL_APIC_BASE_BSP;
}

static u32 lapic_x2apic_ldr(const struct lapic_core *s)
{
	return (s->vcpu_id >> 4) << 16 | 1U << (s->vcpu_id & 15);
}

static void vec_set(u32 *regs, u8 vector)
{
	regs[vector / 32] |= 1U << (vector % 32);
}

static void vec_clear(u32 *regs, u8 vector)
{
	regs[vector / 32] &= ~(1U << (vector % 32));
}

static bool vec_test(const u32 *regs, u8 vector)
{
	return regs[vector / 32] & (1U << (vector % 32));
}

/* The highest vector set in @regs, or -1. */
static int vec_highest(const u32 *regs)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (regs[i])
			return i * 32 + 31 - __builtin_clz(regs[i]);
	return -1;
}

static u32 lapic_ppr(const struct lapic_core *s)
{
	int isrv = vec_highest(s->isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

static unsigned int lapic_timer_mode(const struct lapic_core *s)
{
	return (s->lvt[KESTREL_LAPIC_LVT_TIMER] & LVT_TIMER_MODE) >>
	       LVT_TIMER_SHIFT;
}

static u64 lapic_divisor(const struct lapic_core *s)
{
	unsigned int v = (s->tdcr & 3) | (s->tdcr & 8) >> 1;

	return 1ULL << ((v + 1) & 7);
}

static u64 lapic_min_period(u64 period)
{
	return period < LAPIC_MIN_PERIOD_NS ? LAPIC_MIN_PERIOD_NS : period;
}

static u64 add_sat(u64 a, u64 b)
{
	return a + b < a ? ~0ULL : a + b;
}

/* Guest TSC ticks to ns at @khz, saturating. */
static u64 tsc_to_ns(u64 ticks, u32 khz)
{
	u64 q = ticks / khz, r = ticks % khz;

	if (q > ~0ULL / NSEC_PER_MSEC_U)
		return ~0ULL;
	return add_sat(q * NSEC_PER_MSEC_U, r * NSEC_PER_MSEC_U / khz);
}

/* Record an error; an unmasked LVT error delivers.  True: IRR changed. */
static bool lapic_error(struct lapic_core *s, u32 bit)
{
	u32 lvt = s->lvt[KESTREL_LAPIC_LVT_ERROR];

	s->esr_pending |= bit;
	if (lvt & LVT_MASKED || (lvt & LVT_VECTOR) < 16)
		return false;
	vec_set(s->irr, lvt & LVT_VECTOR);
	vec_clear(s->tmr, lvt & LVT_VECTOR);
	return true;
}

/* The register reset an INIT does: all but the ID and the base MSR. */
static void lapic_do_init(struct lapic_core *s)
{
	unsigned int i;

	s->tpr = 0;
	s->ldr = 0;
	s->dfr = 0xffffffff;
	s->svr = 0xff;
	s->esr = 0;
	s->esr_pending = 0;
	s->icr_lo = 0;
	s->icr_hi = 0;
	for (i = 0; i < KESTREL_LAPIC_NR_LVT; i++)
		s->lvt[i] = LVT_MASKED;
	for (i = 0; i < 8; i++) {
		s->irr[i] = 0;
		s->isr[i] = 0;
		s->tmr[i] = 0;
	}
	s->tmict = 0;
	s->tdcr = 0;
	s->timer_armed = false;
	s->timer_deadline = 0;
	s->timer_period = 0;
	s->tsc_deadline = 0;
}

/* Power-on (and vCPU reset) state. */
static void lapic_reset(struct lapic_core *s)
{
	lapic_do_init(s);
	s->xapic_id = s->vcpu_id << 24;
	s->apic_base = KESTREL_LAPIC_BASE | KESTREL_APIC_BASE_EN;
	if (s->vcpu_id == 0)
		s->apic_base |= KESTREL_APIC_BASE_BSP;
	s->wait_for_sipi = s->vcpu_id != 0;
	s->nmi_pending = false;
	s->init_pending = false;
	s->sipi_pending = false;
	s->extint_pending = false;
	s->sipi_vector = 0;
	s->lint_level[0] = false;
	s->lint_level[1] = false;
}

static void lapic_core_init(struct lapic_core *s, u32 vcpu_id, u32 tsc_khz)
{
	s->vcpu_id = vcpu_id;
	s->tsc_khz = tsc_khz;
	lapic_reset(s);
}

/* ---- Destination matching and acceptance ---- */

static bool lapic_match_dest(const struct lapic_core *s, u32 dest,
			     bool logical, unsigned int shorthand, bool is_self)
{
	u32 ldr;

	if (!lapic_hw_enabled(s))
		return false;
	switch (shorthand) {
	case KESTREL_LAPIC_SH_SELF:
		return is_self;
	case KESTREL_LAPIC_SH_ALL:
		return true;
	case KESTREL_LAPIC_SH_OTHERS:
		return !is_self;
	}
	/*
	 * 0xff is the broadcast of 8-bit (xAPIC, I/O APIC, MSI) messages and
	 * is honoured in x2APIC mode too (as KVM does): x2APIC ID 255 cannot
	 * be addressed on its own.
	 */
	if (dest == 0xffffffff || (!logical && dest == KESTREL_IRQ_DEST_BROADCAST))
		return true;
	if (lapic_x2apic(s)) {
		if (!logical)
			return dest == s->vcpu_id;
		ldr = lapic_x2apic_ldr(s);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	if (dest > 0xff)
		return false;
	if (!logical)
		return dest == s->xapic_id >> 24;
	if (dest == 0xff)
		return true;
	ldr = s->ldr >> 24;
	switch (s->dfr >> 28) {
	case DFR_FLAT:
		return ldr & dest;
	case DFR_CLUSTER:
		return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
	}
	return false;
}

static void lapic_set_irr(struct lapic_core *s, u8 vector, bool level)
{
	vec_set(s->irr, vector);
	if (level)
		vec_set(s->tmr, vector);
	else
		vec_clear(s->tmr, vector);
}

/* Take a message that matched.  True: the vCPU has something new. */
static bool lapic_accept(struct lapic_core *s,
			 const struct kestrel_irq_msg *msg)
{
	if (!lapic_hw_enabled(s))
		return false;
	switch (msg->delivery_mode) {
	case KESTREL_IRQ_DM_FIXED:
	case KESTREL_IRQ_DM_LOWEST:
		if (!lapic_sw_enabled(s) || !msg->assert)
			return false;
		if (msg->vector < 16)
			return lapic_error(s, ESR_RECV_ILLEGAL);
		lapic_set_irr(s, msg->vector, msg->level_triggered);
		return true;
	case KESTREL_IRQ_DM_NMI:
		s->nmi_pending = true;
		return true;
	case KESTREL_IRQ_DM_INIT:
		if (!msg->assert)
			return false;	/* level de-assert */
		s->init_pending = true;
		s->sipi_pending = false;
		return true;
	case KESTREL_IRQ_DM_STARTUP:
		if (s->sipi_pending)
			return false;	/* the first one wins */
		if (!s->wait_for_sipi && !(s->init_pending && !lapic_is_bsp(s)))
			return false;
		s->sipi_pending = true;
		s->sipi_vector = msg->vector;
		return true;
	case KESTREL_IRQ_DM_EXTINT:
		s->extint_pending = true;
		return true;
	}
	return false;		/* SMI, reserved */
}

/*
 * The LINT0/LINT1 input (@pin 0/1) is now at @level.  A rising edge on an
 * unmasked pin delivers by the LVT's delivery mode (fixed, NMI, ExtINT);
 * level-triggered fixed LINT delivery (remote IRR) is not modelled: it
 * delivers on the edge too.  True: the vCPU has something new.
 */
static bool lapic_set_lint(struct lapic_core *s, unsigned int pin, bool level)
{
	u32 lvt;
	bool rising;

	if (pin > 1)
		return false;
	rising = level && !s->lint_level[pin];
	s->lint_level[pin] = level;
	lvt = s->lvt[KESTREL_LAPIC_LVT_LINT0 + pin];
	if (!rising || lvt & LVT_MASKED || !lapic_hw_enabled(s))
		return false;
	switch ((lvt & LVT_DM) >> LVT_DM_SHIFT) {
	case KESTREL_IRQ_DM_FIXED:
		if ((lvt & LVT_VECTOR) < 16)
			return lapic_error(s, ESR_RECV_ILLEGAL);
		lapic_set_irr(s, lvt & LVT_VECTOR, false);
		return true;
	case KESTREL_IRQ_DM_NMI:
		s->nmi_pending = true;
		return true;
	case KESTREL_IRQ_DM_EXTINT:
		s->extint_pending = true;
		return true;
	}
	return false;
}

/* ---- Injection ---- */

static int lapic_pending_vector(const struct lapic_core *s)
{
	int v;

	if (!lapic_hw_enabled(s) || !lapic_sw_enabled(s))
		return -1;
	v = vec_highest(s->irr);
	if (v < 0 || ((u32)v & 0xf0) <= (lapic_ppr(s) & 0xf0))
		return -1;
	return v;
}

static void lapic_ack(struct lapic_core *s, u8 vector)
{
	vec_clear(s->irr, vector);
	vec_set(s->isr, vector);
}

static void lapic_eoi(struct lapic_core *s, struct lapic_effects *fx)
{
	int v = vec_highest(s->isr);

	if (v < 0)
		return;
	vec_clear(s->isr, v);
	if (vec_test(s->tmr, v))
		fx->level_eoi = v;
}

/*
 * The KESTREL_LAPIC_EV_* pending; INIT is applied here (registers reset,
 * an AP waits for SIPI), SIPI leaves the wait-for-SIPI state.
 */
static unsigned int lapic_take_events(struct lapic_core *s, u8 *sipi_vector)
{
	unsigned int ev = 0;

	if (s->init_pending) {
		s->init_pending = false;
		s->nmi_pending = false;
		s->extint_pending = false;
		lapic_do_init(s);
		s->wait_for_sipi = !lapic_is_bsp(s);
		ev |= KESTREL_LAPIC_EV_INIT;
	}
	if (s->nmi_pending) {
		s->nmi_pending = false;
		ev |= KESTREL_LAPIC_EV_NMI;
	}
	if (s->extint_pending) {
		s->extint_pending = false;
		ev |= KESTREL_LAPIC_EV_EXTINT;
	}
	if (s->sipi_pending) {
		s->sipi_pending = false;
		s->wait_for_sipi = false;
		*sipi_vector = s->sipi_vector;
		ev |= KESTREL_LAPIC_EV_SIPI;
	}
	return ev;
}

/* ---- Timer ---- */

/* When the caller's timer must call lapic_timer_expired(); 0: never. */
static u64 lapic_timer_next_deadline_ns(const struct lapic_core *s)
{
	if (!s->timer_armed)
		return 0;
	return s->timer_deadline ? s->timer_deadline : 1;
}

static void lapic_timer_start(struct lapic_core *s, u64 now)
{
	s->timer_period = (u64)s->tmict * lapic_divisor(s);
	if (!s->timer_period) {
		s->timer_armed = false;
		return;
	}
	s->timer_armed = true;
	s->timer_deadline = now + (lapic_timer_mode(s) == TIMER_PERIODIC ?
				   lapic_min_period(s->timer_period) :
				   s->timer_period);
}

/* Fire the timer if it is due.  True: its vector became pending. */
static bool lapic_timer_expired(struct lapic_core *s, u64 now)
{
	u32 lvt = s->lvt[KESTREL_LAPIC_LVT_TIMER];
	bool fired = false;
	u64 p;

	if (!s->timer_armed || now < s->timer_deadline)
		return false;
	if (!(lvt & LVT_MASKED) && (lvt & LVT_VECTOR) >= 16) {
		lapic_set_irr(s, lvt & LVT_VECTOR, false);
		fired = true;
	}
	switch (lapic_timer_mode(s)) {
	case TIMER_PERIODIC:
		p = lapic_min_period(s->timer_period);
		s->timer_deadline += p;
		if (s->timer_deadline <= now)
			s->timer_deadline += ((now - s->timer_deadline) / p + 1) * p;
		break;
	case TIMER_TSC_DEADLINE:
		s->tsc_deadline = 0;
		s->timer_armed = false;
		break;
	default:
		s->timer_armed = false;
		break;
	}
	return fired;
}

static u32 lapic_current_count(const struct lapic_core *s, u64 now)
{
	u64 rem, p;

	if (!s->timer_armed || lapic_timer_mode(s) == TIMER_TSC_DEADLINE)
		return 0;
	if (now < s->timer_deadline) {
		rem = s->timer_deadline - now;
	} else if (lapic_timer_mode(s) == TIMER_PERIODIC) {
		p = lapic_min_period(s->timer_period);
		rem = p - (now - s->timer_deadline) % p;
	} else {
		return 0;
	}
	rem /= lapic_divisor(s);
	return rem > s->tmict ? s->tmict : rem;
}

static void lapic_write_tdcr(struct lapic_core *s, u32 val, u64 now)
{
	u64 old_div = lapic_divisor(s), new_div;

	s->tdcr = val & TDCR_MASK;
	new_div = lapic_divisor(s);
	if (!s->timer_armed || lapic_timer_mode(s) == TIMER_TSC_DEADLINE)
		return;
	s->timer_period = (u64)s->tmict * new_div;
	if (s->timer_deadline > now)
		s->timer_deadline = now + (s->timer_deadline - now) / old_div *
					  new_div;
}

static void lapic_set_tsc_deadline(struct lapic_core *s, u64 val, u64 now,
				   u64 tsc)
{
	if (lapic_timer_mode(s) != TIMER_TSC_DEADLINE)
		return;		/* ignored in the other modes */
	s->tsc_deadline = val;
	if (!val || !s->tsc_khz) {
		s->timer_armed = false;
		return;
	}
	s->timer_armed = true;
	s->timer_deadline = val <= tsc ? now :
			    add_sat(now, tsc_to_ns(val - tsc, s->tsc_khz));
}

static u64 lapic_get_tsc_deadline(const struct lapic_core *s)
{
	return lapic_timer_mode(s) == TIMER_TSC_DEADLINE ? s->tsc_deadline : 0;
}

/* ---- Registers ---- */

/* Turn the ICR into an IPI for the caller. */
static void lapic_send_ipi(struct lapic_core *s, struct lapic_effects *fx)
{
	u32 lo = s->icr_lo;
	u8 dm = (lo >> ICR_DM_SHIFT) & 7;
	u8 vector = lo & ICR_VECTOR;
	struct kestrel_irq_msg *msg = &fx->ipi_msg;

	switch (dm) {
	case KESTREL_IRQ_DM_FIXED:
	case KESTREL_IRQ_DM_LOWEST:
		if (vector < 16) {
			lapic_error(s, ESR_SEND_ILLEGAL);
			return;
		}
		break;
	case KESTREL_IRQ_DM_INIT:
		if ((lo & ICR_LEVEL) && !(lo & ICR_ASSERT))
			return;	/* INIT level de-assert: a no-op */
		break;
	case KESTREL_IRQ_DM_SMI:
	case KESTREL_IRQ_DM_NMI:
	case KESTREL_IRQ_DM_STARTUP:
		break;
	default:
		return;		/* remote read, ExtINT: not supported */
	}
	msg->dest = lapic_x2apic(s) ? s->icr_hi : s->icr_hi >> 24;
	msg->vector = vector;
	msg->delivery_mode = dm;
	msg->dest_logical = lo & ICR_LOGICAL;
	msg->level_triggered = lo & ICR_LEVEL;
	msg->assert = !(lo & ICR_LEVEL) || (lo & ICR_ASSERT);
	msg->redir_hint = false;
	fx->ipi = true;
	fx->ipi_shorthand = (lo >> ICR_SH_SHIFT) & 3;
}

static bool lapic_is_lvt(u32 off, unsigned int *idx)
{
	if (off == LAPIC_LVT_CMCI) {
		*idx = KESTREL_LAPIC_LVT_CMCI;
		return true;
	}
	if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) {
		*idx = KESTREL_LAPIC_LVT_TIMER + (off - LAPIC_LVT_TIMER) / 16;
		return true;
	}
	return false;
}

/*
 * Read the 32-bit register at xAPIC offset @off (16-byte aligned; x2APIC's
 * ICR is handled by the MSR code).  -EINVAL: no such register in the
 * current mode.
 */
static int lapic_read_reg(struct lapic_core *s, u32 off, u64 now, u32 *val)
{
	bool x2 = lapic_x2apic(s);
	unsigned int idx;

	if (off >= LAPIC_ISR && off < LAPIC_ESR) {
		const u32 *regs = off < LAPIC_TMR ? s->isr :
				  off < LAPIC_IRR ? s->tmr : s->irr;

		*val = regs[(off & 0x7f) / 16];
		return 0;
	}
	if (lapic_is_lvt(off, &idx)) {
		*val = s->lvt[idx];
		return 0;
	}
	switch (off) {
	case LAPIC_ID:
		*val = x2 ? s->vcpu_id : s->xapic_id;
		return 0;
	case LAPIC_VER:
		*val = KESTREL_LAPIC_VERSION;
		return 0;
	case LAPIC_TPR:
		*val = s->tpr;
		return 0;
	case LAPIC_PPR:
		*val = lapic_ppr(s);
		return 0;
	case LAPIC_LDR:
		*val = x2 ? lapic_x2apic_ldr(s) : s->ldr;
		return 0;
	case LAPIC_SVR:
		*val = s->svr;
		return 0;
	case LAPIC_ESR:
		*val = s->esr;
		return 0;
	case LAPIC_ICR:
		*val = s->icr_lo;
		return 0;
	case LAPIC_TMICT:
		*val = s->tmict;
		return 0;
	case LAPIC_TMCCT:
		*val = lapic_current_count(s, now);
		return 0;
	case LAPIC_TDCR:
		*val = s->tdcr;
		return 0;
	}
	if (x2)
		return -EINVAL;
	switch (off) {
	case LAPIC_APR:
	case LAPIC_EOI:		/* write-only: reads 0 in xAPIC mode */
	case LAPIC_RRD:
		*val = 0;
		return 0;
	case LAPIC_DFR:
		*val = s->dfr;
		return 0;
	case LAPIC_ICR_HI:
		*val = s->icr_hi;
		return 0;
	}
	return -EINVAL;
}

static void lapic_write_lvt(struct lapic_core *s, unsigned int idx, u32 val)
{
	unsigned int old_mode = lapic_timer_mode(s), new_mode;

	val &= lvt_mask[idx];
	if (!lapic_sw_enabled(s))
		val |= LVT_MASKED;
	if (idx == KESTREL_LAPIC_LVT_LINT0 || idx == KESTREL_LAPIC_LVT_LINT1)
		val |= s->lvt[idx] & LVT_REMOTE_IRR;
	s->lvt[idx] = val;
	if (idx != KESTREL_LAPIC_LVT_TIMER)
		return;
	new_mode = lapic_timer_mode(s);
	if ((old_mode == TIMER_TSC_DEADLINE) != (new_mode == TIMER_TSC_DEADLINE)) {
		s->timer_armed = false;
		s->tmict = 0;
		s->timer_period = 0;
		s->tsc_deadline = 0;
	}
}

/*
 * Write the 32-bit register at xAPIC offset @off.  -EINVAL: no such
 * writable register in the current mode (x2APIC: #GP; xAPIC: the caller
 * ignores it).
 */
static int lapic_write_reg(struct lapic_core *s, u32 off, u32 val, u64 now,
			   struct lapic_effects *fx)
{
	bool x2 = lapic_x2apic(s);
	unsigned int idx, i;

	if (lapic_is_lvt(off, &idx)) {
		lapic_write_lvt(s, idx, val);
		return 0;
	}
	switch (off) {
	case LAPIC_TPR:
		s->tpr = val & 0xff;
		return 0;
	case LAPIC_EOI:
		if (x2 && val)
			return -EINVAL;
		lapic_eoi(s, fx);
		return 0;
	case LAPIC_SVR:
		s->svr = val & SVR_MASK;
		if (!lapic_sw_enabled(s))
			for (i = 0; i < KESTREL_LAPIC_NR_LVT; i++)
				s->lvt[i] |= LVT_MASKED;
		return 0;
	case LAPIC_ESR:
		if (x2 && val)
			return -EINVAL;
		s->esr = s->esr_pending;
		s->esr_pending = 0;
		return 0;
	case LAPIC_TMICT:
		if (lapic_timer_mode(s) == TIMER_TSC_DEADLINE)
			return 0;	/* ignored */
		s->tmict = val;
		lapic_timer_start(s, now);
		return 0;
	case LAPIC_TDCR:
		lapic_write_tdcr(s, val, now);
		return 0;
	}
	if (x2) {
		if (off != LAPIC_SELF_IPI || val & ~0xffU)
			return -EINVAL;
		s->icr_lo = val | KESTREL_LAPIC_SH_SELF << ICR_SH_SHIFT;
		s->icr_hi = s->vcpu_id;
		lapic_send_ipi(s, fx);
		return 0;
	}
	switch (off) {
	case LAPIC_ID:
		s->xapic_id = val & 0xff000000;
		return 0;
	case LAPIC_LDR:
		s->ldr = val & LDR_XAPIC_MASK;
		return 0;
	case LAPIC_DFR:
		s->dfr = val | 0x0fffffff;
		return 0;
	case LAPIC_ICR:
		s->icr_lo = val & ICR_LO_MASK;
		lapic_send_ipi(s, fx);
		return 0;
	case LAPIC_ICR_HI:
		s->icr_hi = val & 0xff000000;
		return 0;
	}
	return -EINVAL;		/* read-only or reserved */
}

static u64 lapic_mmio_read(struct lapic_core *s, u64 addr, unsigned int len,
			   u64 now)
{
	unsigned int shift = (addr & 0xf) * 8;
	u32 val;
	u64 v;

	if (!lapic_hw_enabled(s) || lapic_x2apic(s) || addr >= 0x400 ||
	    shift >= 32 || lapic_read_reg(s, addr & 0xff0, now, &val))
		return 0;
	v = val >> shift;
	return len >= 8 ? v : v & ((1ULL << (len * 8)) - 1);
}

/* A write to a reserved register flags it in ESR (read-only: ignored). */
static void lapic_mmio_write(struct lapic_core *s, u64 addr, unsigned int len,
			     u64 val, u64 now, struct lapic_effects *fx)
{
	u32 dummy;

	if (!lapic_hw_enabled(s) || lapic_x2apic(s) || len != 4 ||
	    addr & 0xf)
		return;
	if (addr >= 0x400 || (lapic_write_reg(s, addr, val, now, fx) &&
			      lapic_read_reg(s, addr, now, &dummy)))
		lapic_error(s, ESR_ILLEGAL_REG);
}

static int lapic_set_base(struct lapic_core *s, u64 val, bool host)
{
	u64 old = s->apic_base;
	bool en = val & KESTREL_APIC_BASE_EN, x2 = val & KESTREL_APIC_BASE_EXTD;
	bool old_en = old & KESTREL_APIC_BASE_EN;
	bool old_x2 = old & KESTREL_APIC_BASE_EXTD;
	u64 bsp = host ? val & KESTREL_APIC_BASE_BSP :
			 old & KESTREL_APIC_BASE_BSP;

	if (val & APIC_BASE_RESERVED || (x2 && !en))
		return -EINVAL;
	if (!host && ((old_x2 && en && !x2) || (!old_en && x2)))
		return -EINVAL;
	s->apic_base = KESTREL_LAPIC_BASE | bsp |
		       (val & (KESTREL_APIC_BASE_EN | KESTREL_APIC_BASE_EXTD));
	if (!en && old_en) {
		lapic_do_init(s);	/* disabling: power-on registers */
		s->xapic_id = s->vcpu_id << 24;
	} else if (old_x2 && !x2) {
		s->xapic_id = s->vcpu_id << 24;
	}
	return 0;
}

static int lapic_msr_read(struct lapic_core *s, u32 msr, u64 now, u64 *val)
{
	u32 off, v;

	if (msr == KESTREL_MSR_APIC_BASE) {
		*val = s->apic_base;
		return 0;
	}
	if (msr == KESTREL_MSR_TSC_DEADLINE) {
		*val = lapic_hw_enabled(s) ? lapic_get_tsc_deadline(s) : 0;
		return 0;
	}
	if (msr < KESTREL_MSR_X2APIC_FIRST || msr > KESTREL_MSR_X2APIC_LAST ||
	    !lapic_x2apic(s))
		return -EINVAL;
	off = (msr - KESTREL_MSR_X2APIC_FIRST) << 4;
	if (off == LAPIC_ICR) {
		*val = (u64)s->icr_hi << 32 | s->icr_lo;
		return 0;
	}
	if (lapic_read_reg(s, off, now, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

static int lapic_msr_write(struct lapic_core *s, u32 msr, u64 val, u64 now,
			   u64 tsc, bool host, struct lapic_effects *fx)
{
	u32 off;

	if (msr == KESTREL_MSR_APIC_BASE)
		return lapic_set_base(s, val, host);
	if (msr == KESTREL_MSR_TSC_DEADLINE) {
		if (lapic_hw_enabled(s))
			lapic_set_tsc_deadline(s, val, now, tsc);
		return 0;
	}
	if (msr < KESTREL_MSR_X2APIC_FIRST || msr > KESTREL_MSR_X2APIC_LAST ||
	    !lapic_x2apic(s))
		return -EINVAL;
	off = (msr - KESTREL_MSR_X2APIC_FIRST) << 4;
	if (off == LAPIC_ICR) {
		s->icr_lo = val & ICR_LO_MASK;	/* reserved bits ignored */
		s->icr_hi = val >> 32;
		lapic_send_ipi(s, fx);
		return 0;
	}
	if (val >> 32)
		return -EINVAL;
	return lapic_write_reg(s, off, val, now, fx);
}

#ifdef __KERNEL__

/*
 * @lock (interrupts disabled) protects @core and @armed_ns and is held
 * while (re)arming @timer: every hrtimer_start() happens under it, so the
 * timer callback, which also takes it, can tell whether somebody re-armed
 * the timer meanwhile.  No callback is called with @lock held.
 */
struct kestrel_lapic {
	spinlock_t lock;	/* protects @core, @armed_ns */
	struct lapic_core core;
	u64 armed_ns;		/* what @timer is armed for; 0: nothing */
	struct hrtimer timer;
	const struct kestrel_lapic_ops *ops;
	void *opaque;
};

static u64 lapic_now(void)
{
	return ktime_get_ns();
}

/* A core deadline as an hrtimer expiry (ktime_t is signed). */
static ktime_t lapic_ktime(u64 ns)
{
	return ns > (u64)KTIME_MAX ? KTIME_MAX : ns_to_ktime(ns);
}

/* Make @timer follow the core's deadline.  Called with @lock held. */
static void lapic_sync_timer(struct kestrel_lapic *lapic)
{
	u64 next = lapic_timer_next_deadline_ns(&lapic->core);

	if (next == lapic->armed_ns)
		return;
	lapic->armed_ns = next;
	if (next)
		hrtimer_start(&lapic->timer, lapic_ktime(next),
			      HRTIMER_MODE_ABS_HARD);
	else
		hrtimer_try_to_cancel(&lapic->timer);
}

/* Carry out @fx; called without @lock. */
static void lapic_apply(struct kestrel_lapic *lapic,
			const struct lapic_effects *fx)
{
	if (fx->ipi && lapic->ops->send_ipi)
		lapic->ops->send_ipi(lapic->opaque, &fx->ipi_msg,
				     fx->ipi_shorthand);
	if (fx->level_eoi >= 0 && lapic->ops->level_eoi)
		lapic->ops->level_eoi(lapic->opaque, fx->level_eoi);
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *timer)
{
	struct kestrel_lapic *lapic = container_of(timer, struct kestrel_lapic,
						   timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	bool fired;
	u64 next;

	spin_lock_irqsave(&lapic->lock, flags);
	fired = lapic_timer_expired(&lapic->core, lapic_now());
	next = lapic_timer_next_deadline_ns(&lapic->core);
	if (hrtimer_is_queued(timer)) {
		/* re-armed under the lock while we waited for it */
	} else if (next) {
		hrtimer_set_expires(timer, lapic_ktime(next));
		ret = HRTIMER_RESTART;
		lapic->armed_ns = next;
	} else {
		lapic->armed_ns = 0;
	}
	spin_unlock_irqrestore(&lapic->lock, flags);
	if (fired && lapic->ops->timer_fired)
		lapic->ops->timer_fired(lapic->opaque);
	return ret;
}

struct kestrel_lapic *kestrel_lapic_create(u32 vcpu_id, u32 tsc_khz,
					   const struct kestrel_lapic_ops *ops,
					   void *opaque)
{
	struct kestrel_lapic *lapic;

	lapic = kzalloc(sizeof(*lapic), GFP_KERNEL_ACCOUNT);
	if (!lapic)
		return NULL;
	spin_lock_init(&lapic->lock);
	lapic_core_init(&lapic->core, vcpu_id, tsc_khz);
	hrtimer_init(&lapic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	lapic->timer.function = lapic_timer_fn;
	lapic->ops = ops;
	lapic->opaque = opaque;
	return lapic;
}

void kestrel_lapic_destroy(struct kestrel_lapic *lapic)
{
	if (!lapic)
		return;
	hrtimer_cancel(&lapic->timer);
	kfree(lapic);
}

void kestrel_lapic_reset(struct kestrel_lapic *lapic)
{
	unsigned long flags;

	spin_lock_irqsave(&lapic->lock, flags);
	lapic_reset(&lapic->core);
	lapic_sync_timer(lapic);
	spin_unlock_irqrestore(&lapic->lock, flags);
}

bool kestrel_lapic_match_dest(struct kestrel_lapic *lapic, u32 dest,
			      bool logical, unsigned int shorthand,
			      bool is_self)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&lapic->lock, flags);
	ret = lapic_match_dest(&lapic->core, dest, logical, shorthand,
			       is_self);
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ret;
}

bool kestrel_lapic_accept(struct kestrel_lapic *lapic,
			  const struct kestrel_irq_msg *msg)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&lapic->lock, flags);
	ret = lapic_accept(&lapic->core, msg);
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ret;
}

bool kestrel_lapic_set_lint(struct kestrel_lapic *lapic, unsigned int pin,
			    bool level)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&lapic->lock, flags);
	ret = lapic_set_lint(&lapic->core, pin, level);
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ret;
}

int kestrel_lapic_pending_vector(struct kestrel_lapic *lapic)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&lapic->lock, flags);
	ret = lapic_pending_vector(&lapic->core);
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ret;
}

void kestrel_lapic_ack(struct kestrel_lapic *lapic, u8 vector)
{
	unsigned long flags;

	spin_lock_irqsave(&lapic->lock, flags);
	lapic_ack(&lapic->core, vector);
	spin_unlock_irqrestore(&lapic->lock, flags);
}

unsigned int kestrel_lapic_take_events(struct kestrel_lapic *lapic,
				       u8 *sipi_vector)
{
	unsigned long flags;
	unsigned int ev;

	spin_lock_irqsave(&lapic->lock, flags);
	ev = lapic_take_events(&lapic->core, sipi_vector);
	lapic_sync_timer(lapic);
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ev;
}

bool kestrel_lapic_has_events(struct kestrel_lapic *lapic)
{
	const struct lapic_core *s = &lapic->core;
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&lapic->lock, flags);
	ret = s->init_pending || s->sipi_pending || s->nmi_pending;
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ret;
}

bool kestrel_lapic_accepts_pic(struct kestrel_lapic *lapic)
{
	const struct lapic_core *s = &lapic->core;
	unsigned long flags;
	u32 lvt0;
	bool ret;

	spin_lock_irqsave(&lapic->lock, flags);
	lvt0 = s->lvt[KESTREL_LAPIC_LVT_LINT0];
	ret = !lapic_hw_enabled(s) ||
	      (!(lvt0 & LVT_MASKED) &&
	       ((lvt0 & LVT_DM) >> LVT_DM_SHIFT) == KESTREL_IRQ_DM_EXTINT);
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ret;
}

u32 kestrel_lapic_get_lvt(struct kestrel_lapic *lapic, unsigned int lvt)
{
	unsigned long flags;
	u32 val;

	if (lvt >= KESTREL_LAPIC_NR_LVT)
		return LVT_MASKED;
	spin_lock_irqsave(&lapic->lock, flags);
	val = lapic->core.lvt[lvt];
	spin_unlock_irqrestore(&lapic->lock, flags);
	return val;
}

u64 kestrel_lapic_mmio_read(void *opaque, u64 addr, unsigned int len)
{
	struct kestrel_lapic *lapic = opaque;
	unsigned long flags;
	u64 val;

	spin_lock_irqsave(&lapic->lock, flags);
	val = lapic_mmio_read(&lapic->core, addr, len, lapic_now());
	spin_unlock_irqrestore(&lapic->lock, flags);
	return val;
}

void kestrel_lapic_mmio_write(void *opaque, u64 addr, unsigned int len,
			      u64 val)
{
	struct kestrel_lapic *lapic = opaque;
	struct lapic_effects fx;
	unsigned long flags;

	lapic_effects_init(&fx);
	spin_lock_irqsave(&lapic->lock, flags);
	lapic_mmio_write(&lapic->core, addr, len, val, lapic_now(), &fx);
	lapic_sync_timer(lapic);
	spin_unlock_irqrestore(&lapic->lock, flags);
	lapic_apply(lapic, &fx);
}

int kestrel_lapic_msr_read(struct kestrel_lapic *lapic, u32 msr, u64 *val)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&lapic->lock, flags);
	ret = lapic_msr_read(&lapic->core, msr, lapic_now(), val);
	spin_unlock_irqrestore(&lapic->lock, flags);
	return ret;
}

int kestrel_lapic_msr_write(struct kestrel_lapic *lapic, u32 msr, u64 val,
			    u64 guest_tsc, bool host)
{
	struct lapic_effects fx;
	unsigned long flags;
	int ret;

	lapic_effects_init(&fx);
	spin_lock_irqsave(&lapic->lock, flags);
	ret = lapic_msr_write(&lapic->core, msr, val, lapic_now(), guest_tsc,
			      host, &fx);
	lapic_sync_timer(lapic);
	spin_unlock_irqrestore(&lapic->lock, flags);
	lapic_apply(lapic, &fx);
	return ret;
}

#endif /* __KERNEL__ */
