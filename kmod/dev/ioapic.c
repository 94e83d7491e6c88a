// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC: 24 input pins, each with a redirection entry that turns an
 * assertion of the pin into an interrupt message for the local APICs.
 *
 * Facts from the 82093AA datasheet, as KVM's arch/x86/kvm/ioapic.c
 * implements it, and from what Linux's arch/x86/kernel/apic/io_apic.c does
 * with it:
 *
 *   - Two registers in the MMIO window: IOREGSEL (0x00) selects a register
 *     by index, IOWIN (0x10) reads and writes it, 32 bits at a time.
 *     Version 0x20 adds the EOI register (0x40): writing a vector to it
 *     does what a local APIC EOI broadcast of that vector does.  Linux uses
 *     it to clear a stuck remote IRR, and it is required for directed EOI.
 *     Only 4-byte accesses at those three offsets are decoded; any other
 *     width or offset reads as all ones (like an unclaimed bus access) and
 *     a write to it is dropped.  EOI is write-only: it reads as all ones.
 *   - Index 0x00, ID: bits 27:24 read/write, the rest reads as zero.
 *     Index 0x01, version: 0x20, maximum redirection entry 23 in bits 23:16.
 *     Index 0x02, arbitration: the ID in bits 27:24 (a write of the ID loads
 *     it; it never rotates, there is no APIC bus).  Read-only.
 *     Index 0x10 + 2 * pin, 0x11 + 2 * pin: the low and high halves of the
 *     pin's redirection entry.  Any other index reads as zero and ignores
 *     writes.
 *   - A redirection entry: vector (7:0), delivery mode (10:8), destination
 *     mode (11), delivery status (12, read-only: always 0 here, as delivery
 *     is immediate), polarity (13, 1: active low), remote IRR (14,
 *     read-only), trigger mode (15, 1: level), mask (16), destination
 *     (63:56).  Bits 55:17 are reserved: they read as zero.  Switching an
 *     entry to edge clears remote IRR (as KVM does; Linux's EOI fallback
 *     for I/O APICs older than 0x20 relies on it).  An entry with a
 *     reserved delivery mode (3 or 6) never delivers.
 *
 * Delivery: the line level given to set_irq is the electrical level; the
 * pin is asserted when it is high on an active-high pin or low on an
 * active-low one.  An edge-triggered pin delivers when it goes from
 * deasserted to asserted while unmasked (an edge while masked is lost; a
 * polarity change is not an edge).  A level-triggered pin delivers whenever
 * it is asserted, unmasked and its remote IRR is clear, and delivering sets
 * remote IRR: that is checked on each line change, each redirection entry
 * write (so unmasking an asserted level pin delivers) and each EOI.
 *
 * The state machine below takes no lock and knows nothing of the kernel, so
 * that tests can build it natively; the kernel part at the end adds the
 * lock and the allocation.
 */
#include <linux/types.h>

#ifdef __KERNEL__
#include <linux/slab.h>
#include <linux/spinlock.h>
#endif

#include "ioapic.h"

/* MMIO offsets */
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOI		0x40

/* Register indexes */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10	/* 0x10 + 2 * pin: low half */

#define IOAPIC_ID_SHIFT		24
#define IOAPIC_ID_MASK		0x0f
#define IOAPIC_VERSION_REG	(KESTREL_IOAPIC_VERSION | \
				 (KESTREL_IOAPIC_PINS - 1) << 16)

/* Redirection entry */
#define RTE_VECTOR		0xffULL
#define RTE_DM_SHIFT		8
#define RTE_DM			(7ULL << RTE_DM_SHIFT)
#define RTE_DEST_LOGICAL	(1ULL << 11)
#define RTE_DELIVS		(1ULL << 12)
#define RTE_ACTIVE_LOW		(1ULL << 13)
#define RTE_REMOTE_IRR		(1ULL << 14)
#define RTE_LEVEL		(1ULL << 15)
#define RTE_MASKED		(1ULL << 16)
#define RTE_DEST_SHIFT		56
#define RTE_DEST		(0xffULL << RTE_DEST_SHIFT)
#define RTE_WRITABLE		(RTE_VECTOR | RTE_DM | RTE_DEST_LOGICAL | \
				 RTE_ACTIVE_LOW | RTE_LEVEL | RTE_MASKED | \
				 RTE_DEST)

/*
 * The registers and the input lines.  @deliver, @opaque and @reset_id are
 * fixed at initialisation; the caller serialises every call that takes the
 * state (the kernel part below holds the I/O APIC's spinlock), and
 * @deliver runs inside such a call.
 */
struct ioapic_core {
	void (*deliver)(void *opaque, const struct kestrel_irq_msg *msg);
	void *opaque;
	u8 reset_id;		/* the ID given at creation, bits 3:0 */

	u8 id;			/* ID register bits 27:24 */
	u8 regsel;		/* IOREGSEL */
	u32 lines;		/* electrical level of each input line */
	u64 rte[KESTREL_IOAPIC_PINS];
};

static void ioapic_core_reset(struct ioapic_core *s)
{
	unsigned int pin;

	s->id = s->reset_id;
	s->regsel = 0;
	for (pin = 0; pin < KESTREL_IOAPIC_PINS; pin++)
		s->rte[pin] = RTE_MASKED;
}

static void ioapic_core_init(struct ioapic_core *s, u8 id,
			     void (*deliver)(void *opaque,
					     const struct kestrel_irq_msg *msg),
			     void *opaque)
{
	s->deliver = deliver;
	s->opaque = opaque;
	s->reset_id = id & IOAPIC_ID_MASK;
	s->lines = 0;
	ioapic_core_reset(s);
}

static bool ioapic_asserted(const struct ioapic_core *s, unsigned int pin)
{
	bool high = s->lines & (1U << pin);

	return high != !!(s->rte[pin] & RTE_ACTIVE_LOW);
}

/* Send @pin's interrupt message; a level-triggered pin gets remote IRR. */
static void ioapic_deliver(struct ioapic_core *s, unsigned int pin)
{
	u64 e = s->rte[pin];
	struct kestrel_irq_msg msg = {
		.dest = (e & RTE_DEST) >> RTE_DEST_SHIFT,
		.vector = e & RTE_VECTOR,
		.delivery_mode = (e & RTE_DM) >> RTE_DM_SHIFT,
		.dest_logical = e & RTE_DEST_LOGICAL,
		.level_triggered = e & RTE_LEVEL,
		.assert = true,
		.redir_hint = false,
	};

	switch (msg.delivery_mode) {
	case KESTREL_IRQ_DM_FIXED:
	case KESTREL_IRQ_DM_LOWEST:
	case KESTREL_IRQ_DM_SMI:
	case KESTREL_IRQ_DM_NMI:
	case KESTREL_IRQ_DM_INIT:
	case KESTREL_IRQ_DM_EXTINT:
		break;
	default:
		return;		/* reserved */
	}
	if (e & RTE_LEVEL)
		s->rte[pin] |= RTE_REMOTE_IRR;
	if (s->deliver)
		s->deliver(s->opaque, &msg);
}

/* A level-triggered pin delivers if it can. */
static void ioapic_check_level(struct ioapic_core *s, unsigned int pin)
{
	u64 e = s->rte[pin];

	if (!(e & RTE_LEVEL) || e & (RTE_MASKED | RTE_REMOTE_IRR))
		return;
	if (ioapic_asserted(s, pin))
		ioapic_deliver(s, pin);
}

static void ioapic_core_set_irq(struct ioapic_core *s, unsigned int pin,
				bool level)
{
	bool was;

	if (pin >= KESTREL_IOAPIC_PINS)
		return;
	was = ioapic_asserted(s, pin);
	if (level)
		s->lines |= 1U << pin;
	else
		s->lines &= ~(1U << pin);

	if (s->rte[pin] & RTE_LEVEL)
		ioapic_check_level(s, pin);
	else if (!was && ioapic_asserted(s, pin) &&
		 !(s->rte[pin] & RTE_MASKED))
		ioapic_deliver(s, pin);
}

static void ioapic_core_eoi(struct ioapic_core *s, u8 vector)
{
	unsigned int pin;

	for (pin = 0; pin < KESTREL_IOAPIC_PINS; pin++) {
		if ((s->rte[pin] & RTE_VECTOR) != vector)
			continue;
		s->rte[pin] &= ~RTE_REMOTE_IRR;
		ioapic_check_level(s, pin);
	}
}

static u32 ioapic_read_reg(const struct ioapic_core *s)
{
	unsigned int idx = s->regsel;
	u64 e;

	switch (idx) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (u32)s->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION_REG;
	}
	if (idx < IOAPIC_REG_REDTBL ||
	    idx >= IOAPIC_REG_REDTBL + 2 * KESTREL_IOAPIC_PINS)
		return 0;
	e = s->rte[(idx - IOAPIC_REG_REDTBL) / 2];
	return idx & 1 ? e >> 32 : (u32)e;
}

static void ioapic_write_rte(struct ioapic_core *s, unsigned int pin,
			     bool high, u32 val)
{
	u64 old = s->rte[pin];
	u64 e;

	if (high)
		e = (old & 0xffffffffULL) | (u64)val << 32;
	else
		e = (old & ~0xffffffffULL) | val;
	e = (e & RTE_WRITABLE) | (old & RTE_REMOTE_IRR);
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	s->rte[pin] = e;
	ioapic_check_level(s, pin);
}

static void ioapic_write_reg(struct ioapic_core *s, u32 val)
{
	unsigned int idx = s->regsel;

	if (idx == IOAPIC_REG_ID) {
		s->id = (val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
		return;
	}
	if (idx < IOAPIC_REG_REDTBL ||
	    idx >= IOAPIC_REG_REDTBL + 2 * KESTREL_IOAPIC_PINS)
		return;		/* read-only or reserved */
	ioapic_write_rte(s, (idx - IOAPIC_REG_REDTBL) / 2, idx & 1, val);
}

static u64 ioapic_ones(unsigned int len)
{
	return len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
}

static u64 ioapic_core_mmio_read(struct ioapic_core *s, u64 addr,
				 unsigned int len)
{
	if (len != 4)
		return ioapic_ones(len);
	switch (addr) {
	case IOAPIC_IOREGSEL:
		return s->regsel;
	case IOAPIC_IOWIN:
		return ioapic_read_reg(s);
	}
	return ioapic_ones(len);
}

static void ioapic_core_mmio_write(struct ioapic_core *s, u64 addr,
				   unsigned int len, u64 val)
{
	if (len != 4)
		return;
	switch (addr) {
	case IOAPIC_IOREGSEL:
		s->regsel = val & 0xff;
		break;
	case IOAPIC_IOWIN:
		ioapic_write_reg(s, val);
		break;
	case IOAPIC_EOI:
		ioapic_core_eoi(s, val & 0xff);
		break;
	}
}

#ifdef __KERNEL__

/*
 * @lock is taken with interrupts disabled by every entry point and held
 * while calling @core.deliver: the I/O APIC's lock nests inside the locks
 * of the devices that raise its lines and outside the local APICs' (see
 * ioapic.h).  The struct is freed by kestrel_ioapic_destroy() once nothing
 * can call in any more.
 */
struct kestrel_ioapic {
	spinlock_t lock;	/* protects @core */
	struct ioapic_core core;
};

struct kestrel_ioapic *
kestrel_ioapic_create(u8 id,
		      void (*deliver)(void *opaque,
				      const struct kestrel_irq_msg *msg),
		      void *opaque)
{
	struct kestrel_ioapic *ioapic;

	ioapic = kzalloc(sizeof(*ioapic), GFP_KERNEL_ACCOUNT);
	if (!ioapic)
		return NULL;
	spin_lock_init(&ioapic->lock);
	ioapic_core_init(&ioapic->core, id, deliver, opaque);
	return ioapic;
}

void kestrel_ioapic_destroy(struct kestrel_ioapic *ioapic)
{
	kfree(ioapic);
}

void kestrel_ioapic_reset(struct kestrel_ioapic *ioapic)
{
	unsigned long flags;

	spin_lock_irqsave(&ioapic->lock, flags);
	ioapic_core_reset(&ioapic->core);
	spin_unlock_irqrestore(&ioapic->lock, flags);
}

void kestrel_ioapic_set_irq(struct kestrel_ioapic *ioapic, unsigned int pin,
			    bool level)
{
	unsigned long flags;

	spin_lock_irqsave(&ioapic->lock, flags);
	ioapic_core_set_irq(&ioapic->core, pin, level);
	spin_unlock_irqrestore(&ioapic->lock, flags);
}

void kestrel_ioapic_eoi(struct kestrel_ioapic *ioapic, u8 vector)
{
	unsigned long flags;

	spin_lock_irqsave(&ioapic->lock, flags);
	ioapic_core_eoi(&ioapic->core, vector);
	spin_unlock_irqrestore(&ioapic->lock, flags);
}

u64 kestrel_ioapic_mmio_read(void *opaque, u64 addr, unsigned int len)
{
	struct kestrel_ioapic *ioapic = opaque;
	unsigned long flags;
	u64 val;

	spin_lock_irqsave(&ioapic->lock, flags);
	val = ioapic_core_mmio_read(&ioapic->core, addr, len);
	spin_unlock_irqrestore(&ioapic->lock, flags);
	return val;
}

void kestrel_ioapic_mmio_write(void *opaque, u64 addr, unsigned int len,
			       u64 val)
{
	struct kestrel_ioapic *ioapic = opaque;
	unsigned long flags;

	spin_lock_irqsave(&ioapic->lock, flags);
	ioapic_core_mmio_write(&ioapic->core, addr, len, val);
	spin_unlock_irqrestore(&ioapic->lock, flags);
}

#endif /* __KERNEL__ */
