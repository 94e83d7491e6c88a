// SPDX-License-Identifier: GPL-2.0
/*
 * An Intel 8254 programmable interval timer, as much of it as Linux's
 * i8253 clock event device and its PIT-based TSC calibration use, and the
 * counter 2 bits of the PC's system control port B (0x61).
 *
 * Facts from the 8254 datasheet, with the counter arithmetic of KVM's
 * i8254.c.  Counters are not clocked: each one remembers when it started
 * counting and computes its count and OUT from the time of the access, at
 * 1193182 Hz.  Modes 0-5 are supported (6 and 7 are 2 and 3); access LSB,
 * MSB or LSB then MSB; the counter latch and read-back commands.  Counts are
 * always binary (the BCD bit is kept for the status byte only).  Simplified
 * from the datasheet: a count is loaded at once rather than on the next
 * clock; a new count written in modes 2 and 3 restarts the period at once
 * rather than at the end of the current one; mode 3 with an odd count
 * follows KVM's formula.
 *
 * Gates: counters 0 and 1 are always enabled, counter 2's gate is port B
 * bit 0.  A low gate pauses modes 0 and 4 and stops modes 2 and 3 with OUT
 * high; a rising edge restarts modes 2 and 3 and triggers modes 1 and 5.
 *
 * Only counter 0 interrupts.  Each rising edge of its OUT (terminal count in
 * modes 0 and 4, every period in modes 2 and 3) is reported as a pulse on
 * IRQ0.  Pulses are not queued: a late timer delivers one pulse and moves to
 * the next edge still ahead, and in the periodic modes pulses are at least
 * KESTREL_PIT_MIN_PERIOD_NS apart whatever the count.
 *
 * The state machine below has no locks, no timers and no kernel
 * dependencies, so that kmod/tests/pit_test.c can build it natively; the
 * time is passed in as nanoseconds of a monotonic clock.  The kernel wrapper
 * at the end adds the allocation, the spinlock and the hrtimer.
 */
#include <linux/types.h>

#include "pit.h"

#define PIT_NS_PER_SEC		1000000000ULL
#define PIT_PORT_B_RW		0x0f	/* gate 2, speaker, parity/IOCHK off */
#define PIT_PORT_B_GATE2	0x01
#define PIT_PORT_B_REFRESH	0x10
#define PIT_PORT_B_OUT2		0x20
#define PIT_REFRESH_NS		15085	/* the DRAM refresh toggle period */

#define PIT_CW_CHANNEL(v)	((v) >> 6)
#define PIT_CW_ACCESS(v)	(((v) >> 4) & 3)
#define PIT_CW_READBACK		3
#define PIT_RB_NO_COUNT		0x20
#define PIT_RB_NO_STATUS	0x10

enum pit_access {
	PIT_LATCH,
	PIT_LSB,
	PIT_MSB,
	PIT_WORD,
};

struct pit_channel {
	u32 reload;		/* the count in effect, 1..0x10000 */
	u16 hold;		/* what reads while the counter has not started */
	u8 mode;		/* 0-5 */
	u8 access;		/* enum pit_access, not PIT_LATCH */
	bool bcd;		/* for the status byte only */
	bool gate;
	bool loaded;		/* a count was written since the control word */
	bool triggered;		/* modes 1 and 5: a gate edge came since */
	bool counting;		/* time advances the count now */
	bool null_count;	/* status: the count written is not in use */
	bool write_msb;		/* word access: the next byte written is MSB */
	bool read_msb;		/* word access: the next byte read is MSB */
	u8 write_lsb;
	bool status_latched;
	u8 status;
	u8 latch_bytes;		/* latched count bytes left to read */
	u16 latch;
	u64 start_ns;		/* when counting last (re)started */
	u64 base;		/* clocks counted before @start_ns */
};

/*
 * The three counters and port B.  Touched by one caller at a time (the
 * kernel wrapper's lock); @irq is called from inside.  @irq_tick is the
 * clock of counter 0 at which the next IRQ0 pulse is due, 0 if none.
 */
struct pit_state {
	struct pit_channel ch[3];
	bool speaker;		/* port B bit 1, stored */
	u8 port_b;		/* port B bits 3:2, stored */
	u64 irq_tick;
	void (*irq)(void *opaque, bool level);
	void *opaque;
};

static u64 pit_ns_to_ticks(u64 ns)
{
	return ns / PIT_NS_PER_SEC * KESTREL_PIT_HZ +
	       ns % PIT_NS_PER_SEC * KESTREL_PIT_HZ / PIT_NS_PER_SEC;
}

/* The first nanosecond at which pit_ns_to_ticks() reaches @ticks. */
static u64 pit_ticks_to_ns(u64 ticks)
{
	return ticks / KESTREL_PIT_HZ * PIT_NS_PER_SEC +
	       (ticks % KESTREL_PIT_HZ * PIT_NS_PER_SEC + KESTREL_PIT_HZ - 1) /
	       KESTREL_PIT_HZ;
}

/* Clocks counted since the count was loaded (or the last gate restart). */
static u64 pit_ticks(const struct pit_channel *ch, u64 now)
{
	if (!ch->counting || now <= ch->start_ns)
		return ch->base;
	return ch->base + pit_ns_to_ticks(now - ch->start_ns);
}

static bool pit_started(const struct pit_channel *ch)
{
	if (!ch->loaded)
		return false;
	return ch->triggered || (ch->mode != 1 && ch->mode != 5);
}

static u16 pit_count(const struct pit_channel *ch, u64 now)
{
	u64 d;

	if (!pit_started(ch))
		return ch->hold;
	d = pit_ticks(ch, now);
	switch (ch->mode) {
	case 2:
		return ch->reload - d % ch->reload;
	case 3:
		return ch->reload - 2 * d % ch->reload;
	default:
		return ch->reload - d;
	}
}

static bool pit_out(const struct pit_channel *ch, u64 now)
{
	u64 d;

	if (!ch->loaded)
		return ch->mode != 0;
	if (!pit_started(ch))
		return true;
	if ((ch->mode == 2 || ch->mode == 3) && !ch->gate)
		return true;
	d = pit_ticks(ch, now);
	switch (ch->mode) {
	case 0:
	case 1:
		return d >= ch->reload;
	case 2:
		/* Low for the one clock the count is 1. */
		return ch->reload < 2 || d % ch->reload != ch->reload - 1;
	case 3:
		return d % ch->reload < (ch->reload + 1) / 2;
	default: /* 4, 5: a one-clock strobe at terminal count */
		return d != ch->reload;
	}
}

/* Counter 0's next IRQ0 pulse after the clock it has reached at @now. */
static void pit_schedule(struct pit_state *s, u64 now)
{
	struct pit_channel *ch = &s->ch[0];
	u64 d;

	switch (ch->mode) {
	case 2:
	case 3:
		if (pit_ticks_to_ns(ch->reload) < KESTREL_PIT_MIN_PERIOD_NS)
			now += KESTREL_PIT_MIN_PERIOD_NS;
		d = pit_ticks(ch, now);
		s->irq_tick = (d / ch->reload + 1) * ch->reload;
		break;
	default:
		s->irq_tick = 0;
		break;
	}
}

/* When the next IRQ0 pulse is due, in the caller's clock, or 0 if never. */
static u64 pit_state_next_irq(const struct pit_state *s)
{
	const struct pit_channel *ch = &s->ch[0];

	if (!s->irq_tick)
		return 0;
	return ch->start_ns + pit_ticks_to_ns(s->irq_tick - ch->base);
}

/* Deliver the IRQ0 pulse due at @now, if any; true if one was. */
static bool pit_state_expire(struct pit_state *s, u64 now)
{
	if (!s->irq_tick || pit_ticks(&s->ch[0], now) < s->irq_tick)
		return false;
	if (s->irq) {
		s->irq(s->opaque, true);
		s->irq(s->opaque, false);
	}
	pit_schedule(s, now);
	return true;
}

static void pit_load(struct pit_state *s, struct pit_channel *ch, u32 count,
		     u64 now)
{
	ch->reload = count ? count : 0x10000;
	/* Counts of 1 are illegal in modes 2 and 3: take them as 2. */
	if (ch->reload == 1 && (ch->mode == 2 || ch->mode == 3))
		ch->reload = 2;
	ch->loaded = true;
	ch->null_count = false;
	ch->triggered = false;
	ch->hold = ch->reload;
	ch->base = 0;
	ch->start_ns = now;
	ch->counting = ch->gate && pit_started(ch);
	if (ch != &s->ch[0])
		return;
	/* Counter 0's gate is always high: it counts from now. */
	if (ch->mode == 0 || ch->mode == 2 || ch->mode == 3 || ch->mode == 4)
		s->irq_tick = ch->reload;
	else
		s->irq_tick = 0;
}

/* Stop at the current count until the next count is written. */
static void pit_stop(struct pit_state *s, struct pit_channel *ch, u64 now)
{
	ch->hold = pit_count(ch, now);
	ch->loaded = false;
	ch->counting = false;
	if (ch == &s->ch[0])
		s->irq_tick = 0;
}

static void pit_set_gate(struct pit_channel *ch, bool gate, u64 now)
{
	if (gate == ch->gate)
		return;
	if (!gate) {
		if (ch->mode != 1 && ch->mode != 5) {
			ch->base = pit_ticks(ch, now);
			ch->counting = false;
		}
	} else if (ch->mode == 0 || ch->mode == 4) {
		ch->start_ns = now;
		ch->counting = ch->loaded;
	} else {
		/* Modes 2 and 3 restart, 1 and 5 are triggered. */
		ch->base = 0;
		ch->start_ns = now;
		ch->triggered = ch->loaded;
		ch->counting = ch->loaded;
	}
	ch->gate = gate;
}

static void pit_latch_count(struct pit_channel *ch, u64 now)
{
	if (ch->latch_bytes)
		return;
	ch->latch = pit_count(ch, now);
	ch->latch_bytes = ch->access == PIT_WORD ? 2 : 1;
}

static void pit_latch_status(struct pit_channel *ch, u64 now)
{
	if (ch->status_latched)
		return;
	ch->status = (pit_out(ch, now) << 7) | (ch->null_count << 6) |
		     (ch->access << 4) | (ch->mode << 1) | ch->bcd;
	ch->status_latched = true;
}

static void pit_control(struct pit_state *s, u8 val, u64 now)
{
	struct pit_channel *ch;
	unsigned int i;

	if (PIT_CW_CHANNEL(val) == PIT_CW_READBACK) {
		for (i = 0; i < 3; i++) {
			if (!(val & (2U << i)))
				continue;
			if (!(val & PIT_RB_NO_STATUS))
				pit_latch_status(&s->ch[i], now);
			if (!(val & PIT_RB_NO_COUNT))
				pit_latch_count(&s->ch[i], now);
		}
		return;
	}
	ch = &s->ch[PIT_CW_CHANNEL(val)];
	if (PIT_CW_ACCESS(val) == PIT_LATCH) {
		pit_latch_count(ch, now);
		return;
	}
	pit_stop(s, ch, now);
	ch->access = PIT_CW_ACCESS(val);
	ch->mode = (val >> 1) & 7;
	if (ch->mode > 5)
		ch->mode -= 4;
	ch->bcd = val & 1;
	ch->null_count = true;
	ch->triggered = false;
	ch->write_msb = false;
	ch->read_msb = false;
	ch->latch_bytes = 0;
	ch->status_latched = false;
}

static void pit_write_count(struct pit_state *s, struct pit_channel *ch,
			    u8 val, u64 now)
{
	switch (ch->access) {
	case PIT_LSB:
		pit_load(s, ch, val, now);
		break;
	case PIT_MSB:
		pit_load(s, ch, val << 8, now);
		break;
	default: /* PIT_WORD */
		if (ch->write_msb) {
			pit_load(s, ch, ch->write_lsb | val << 8, now);
		} else {
			ch->write_lsb = val;
			/* Mode 0: the first byte stops the count. */
			if (ch->mode == 0)
				pit_stop(s, ch, now);
		}
		ch->write_msb = !ch->write_msb;
		break;
	}
}

static u8 pit_read_count(struct pit_channel *ch, u64 now)
{
	u16 count;
	u8 val;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->status;
	}
	if (ch->latch_bytes) {
		count = ch->latch;
		if (ch->access == PIT_MSB ||
		    (ch->access == PIT_WORD && ch->latch_bytes == 1))
			val = count >> 8;
		else
			val = count;
		ch->latch_bytes--;
		return val;
	}
	count = pit_count(ch, now);
	switch (ch->access) {
	case PIT_LSB:
		return count;
	case PIT_MSB:
		return count >> 8;
	default: /* PIT_WORD */
		val = ch->read_msb ? count >> 8 : count;
		ch->read_msb = !ch->read_msb;
		return val;
	}
}

static u8 pit_state_read(struct pit_state *s, u16 port, u64 now)
{
	u8 val;

	switch (port) {
	case KESTREL_PIT_CH0:
	case KESTREL_PIT_CH1:
	case KESTREL_PIT_CH2:
		return pit_read_count(&s->ch[port - KESTREL_PIT_CH0], now);
	case KESTREL_PIT_PORT_B:
		val = s->port_b | (s->speaker << 1) | s->ch[2].gate;
		if (pit_out(&s->ch[2], now))
			val |= PIT_PORT_B_OUT2;
		if (now / PIT_REFRESH_NS & 1)
			val |= PIT_PORT_B_REFRESH;
		return val;
	default: /* the control word is write-only */
		return 0xff;
	}
}

static void pit_state_write(struct pit_state *s, u16 port, u8 val, u64 now)
{
	switch (port) {
	case KESTREL_PIT_CH0:
	case KESTREL_PIT_CH1:
	case KESTREL_PIT_CH2:
		pit_write_count(s, &s->ch[port - KESTREL_PIT_CH0], val, now);
		break;
	case KESTREL_PIT_MODE:
		pit_control(s, val, now);
		break;
	case KESTREL_PIT_PORT_B:
		s->port_b = val & PIT_PORT_B_RW & ~3;
		s->speaker = val & 2;
		pit_set_gate(&s->ch[2], val & PIT_PORT_B_GATE2, now);
		break;
	default:
		break;
	}
}

/* Power-on: no counts written, counters 0 and 1 gated on, counter 2 off. */
static void pit_state_init(struct pit_state *s,
			   void (*irq)(void *opaque, bool level), void *opaque)
{
	unsigned int i;

	*s = (struct pit_state){ .irq = irq, .opaque = opaque };
	for (i = 0; i < 3; i++) {
		s->ch[i].access = PIT_WORD;
		s->ch[i].reload = 0x10000;
		s->ch[i].null_count = true;
		s->ch[i].gate = i != 2;
	}
}

#ifdef __KERNEL__
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>

/*
 * @lock protects @s and the arming of @timer; it is taken with interrupts
 * disabled, since @timer's callback runs in hard interrupt context, and it
 * is held while calling @s.irq.  The clock is ktime_get_ns(), the one
 * @timer counts in.  Guest writes re-arm @timer without waiting for a
 * running callback; the callback, under @lock, lets a re-armed timer be and
 * otherwise re-arms itself for the next pulse.  kestrel_pit_destroy()
 * cancels @timer synchronously once nothing else calls in.
 */
struct kestrel_pit {
	spinlock_t lock;	/* protects @s, serialises arming @timer */
	struct pit_state s;
	struct hrtimer timer;
};

/* Lock held: point @timer at the next pulse, or stop it. */
static void pit_rearm(struct kestrel_pit *pit)
{
	u64 next = pit_state_next_irq(&pit->s);

	if (next)
		hrtimer_start(&pit->timer, ns_to_ktime(next),
			      HRTIMER_MODE_ABS);
	else
		hrtimer_try_to_cancel(&pit->timer);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *timer)
{
	struct kestrel_pit *pit = container_of(timer, struct kestrel_pit,
					       timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	u64 next;

	spin_lock_irqsave(&pit->lock, flags);
	/* A guest write re-armed it meanwhile: that one is in charge. */
	if (!hrtimer_is_queued(timer)) {
		pit_state_expire(&pit->s, ktime_get_ns());
		next = pit_state_next_irq(&pit->s);
		if (next) {
			hrtimer_set_expires(timer, ns_to_ktime(next));
			ret = HRTIMER_RESTART;
		}
	}
	spin_unlock_irqrestore(&pit->lock, flags);
	return ret;
}

struct kestrel_pit *kestrel_pit_create(void (*irq)(void *opaque, bool level),
				       void *opaque)
{
	struct kestrel_pit *pit;

	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		return NULL;
	spin_lock_init(&pit->lock);
	pit_state_init(&pit->s, irq, opaque);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	return pit;
}

void kestrel_pit_destroy(struct kestrel_pit *pit)
{
	if (!pit)
		return;
	hrtimer_cancel(&pit->timer);
	kfree(pit);
}

void kestrel_pit_reset(struct kestrel_pit *pit)
{
	unsigned long flags;

	hrtimer_cancel(&pit->timer);
	spin_lock_irqsave(&pit->lock, flags);
	pit_state_init(&pit->s, pit->s.irq, pit->s.opaque);
	spin_unlock_irqrestore(&pit->lock, flags);
}

u8 kestrel_pit_read(struct kestrel_pit *pit, u16 port)
{
	unsigned long flags;
	u8 val;

	spin_lock_irqsave(&pit->lock, flags);
	val = pit_state_read(&pit->s, port, ktime_get_ns());
	spin_unlock_irqrestore(&pit->lock, flags);
	return val;
}

void kestrel_pit_write(struct kestrel_pit *pit, u16 port, u8 val)
{
	unsigned long flags;
	u64 before;

	spin_lock_irqsave(&pit->lock, flags);
	before = pit->s.irq_tick;
	pit_state_write(&pit->s, port, val, ktime_get_ns());
	/* Only counter 0 writes move the pulse schedule. */
	if (port == KESTREL_PIT_CH0 || port == KESTREL_PIT_MODE ||
	    before != pit->s.irq_tick)
		pit_rearm(pit);
	spin_unlock_irqrestore(&pit->lock, flags);
}
#endif /* __KERNEL__ */
