// SPDX-License-Identifier: GPL-2.0
/*
 * Two cascaded Intel 8259A programmable interrupt controllers, as a PC wires
 * them and as Linux's arch/x86/kernel/i8259.c drives them.
 *
 * Facts from the 8259A datasheet, with the input semantics KVM's i8259.c
 * uses: an edge-triggered input sets its IRR bit on a low-to-high change of
 * the line and the bit stays until the request is acknowledged (or the
 * controller re-initialised); a level-triggered input (ELCR bit set) has its
 * IRR bit follow the line, and acknowledging it does not clear the bit.  IRR
 * records requests whatever the mask; IMR only keeps masked requests from
 * being delivered.  The slave's INT output is seen by the master as an edge
 * on IR2 each time the slave has a deliverable request.
 *
 * Supported: ICW1-ICW4 (single mode skips ICW3), OCW1, OCW2 (non-specific,
 * specific and rotating EOIs, set priority), OCW3 (IRR/ISR read select, poll,
 * special mask mode), auto-EOI with optional rotation, ELCR.  Not supported:
 * the special fully nested mode and buffered mode bits of ICW4 (stored and
 * ignored), ICW1's LTIM (all-level) bit, which is ignored in favour of the
 * ELCR, and the 8080 call-address mode.
 *
 * The state machine below has no locks and no kernel dependencies, so that
 * kmod/tests/pic_test.c can build it natively; the kernel wrapper at the end
 * adds the allocation and the spinlock.
 */
#include <linux/types.h>

#include "pic.h"

#define PIC_CASCADE_IR		2
/* ELCR bits that exist: IRQs 0, 1, 2, 8 and 13 are always edge-triggered. */
#define PIC_ELCR1_MASK		0xf8
#define PIC_ELCR2_MASK		0xde

#define PIC_ICW1_IC4		0x01
#define PIC_ICW1_SNGL		0x02
#define PIC_ICW1		0x10
#define PIC_ICW4_AEOI		0x02
#define PIC_OCW3		0x08
#define PIC_OCW3_RIS		0x01
#define PIC_OCW3_RR		0x02
#define PIC_OCW3_POLL		0x04
#define PIC_OCW3_SMM		0x20
#define PIC_OCW3_ESMM		0x40
#define PIC_POLL_INT		0x80

/* Where the next write to the data port goes. */
enum pic_init_state {
	PIC_READY,		/* OCW1 (IMR) */
	PIC_ICW2,
	PIC_ICW3,
	PIC_ICW4,
};

/* One 8259A. */
struct pic_chip {
	u8 irr;
	u8 isr;
	u8 imr;
	u8 elcr;
	u8 elcr_mask;
	u8 lines;		/* the input levels last set */
	u8 vector_base;		/* ICW2 bits 7:3 */
	u8 priority_add;	/* the IR with the highest priority */
	u8 icw4;
	enum pic_init_state init_state;
	bool init4;		/* ICW1 announced an ICW4 */
	bool single;		/* ICW1 said no slaves: no ICW3 */
	bool auto_eoi;
	bool rotate_on_auto_eoi;
	bool read_isr;		/* OCW3 RIS */
	bool poll;		/* the next read is a poll */
	bool special_mask;
};

/*
 * The pair.  Touched by one caller at a time (the kernel wrapper's lock);
 * @intr is called from inside whenever @output changes.
 */
struct pic_state {
	struct pic_chip chip[2];	/* master, slave */
	bool output;			/* the master's INT pin */
	void (*intr)(void *opaque, bool level);
	void *opaque;
};

/* Priority of the highest-priority bit in @mask, 0 highest, 8 if none. */
static int pic_priority(const struct pic_chip *c, u8 mask)
{
	int prio;

	if (!mask)
		return 8;
	for (prio = 0; !(mask & (1U << ((prio + c->priority_add) & 7)));)
		prio++;
	return prio;
}

/* The IR the chip would signal to its CPU or master now, or -1. */
static int pic_chip_pending(const struct pic_chip *c)
{
	int prio, cur;
	u8 in_service = c->isr;

	prio = pic_priority(c, c->irr & ~c->imr);
	if (prio == 8)
		return -1;
	/* Special mask mode: masked in-service levels do not inhibit. */
	if (c->special_mask)
		in_service &= ~c->imr;
	cur = pic_priority(c, in_service);
	if (prio >= cur)
		return -1;
	return (prio + c->priority_add) & 7;
}

static void pic_chip_input(struct pic_chip *c, unsigned int ir, bool level)
{
	u8 bit = 1U << ir;

	if (c->elcr & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

static void pic_update(struct pic_state *s)
{
	bool output;

	if (pic_chip_pending(&s->chip[1]) >= 0) {
		pic_chip_input(&s->chip[0], PIC_CASCADE_IR, true);
		pic_chip_input(&s->chip[0], PIC_CASCADE_IR, false);
	}
	output = pic_chip_pending(&s->chip[0]) >= 0;
	if (output == s->output)
		return;
	s->output = output;
	if (s->intr)
		s->intr(s->opaque, output);
}

/* Acknowledge request @ir: into service unless auto-EOI, edges consumed. */
static void pic_chip_ack(struct pic_chip *c, int ir)
{
	u8 bit = 1U << ir;

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (ir + 1) & 7;
	} else {
		c->isr |= bit;
	}
}

static int pic_state_ack(struct pic_state *s)
{
	struct pic_chip *m = &s->chip[0], *sl = &s->chip[1];
	int ir, ir2, vector;

	ir = pic_chip_pending(m);
	if (ir < 0)
		return -1;
	pic_chip_ack(m, ir);
	if (ir == PIC_CASCADE_IR) {
		ir2 = pic_chip_pending(sl);
		if (ir2 >= 0)
			pic_chip_ack(sl, ir2);
		else
			ir2 = 7;	/* spurious: the slave drops out */
		vector = sl->vector_base + ir2;
	} else {
		vector = m->vector_base + ir;
	}
	pic_update(s);
	return vector;
}

/* ICW1: the datasheet's initialisation, with ISR and edge requests cleared. */
static void pic_chip_icw1(struct pic_chip *c, u8 val)
{
	c->init4 = val & PIC_ICW1_IC4;
	c->single = val & PIC_ICW1_SNGL;
	c->irr &= c->elcr;
	c->isr = 0;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_on_auto_eoi = false;
	if (!c->init4) {
		c->icw4 = 0;
		c->auto_eoi = false;
	}
	c->init_state = PIC_ICW2;
}

static void pic_chip_ocw2(struct pic_chip *c, u8 val)
{
	int prio, ir = val & 7;

	switch (val >> 5) {
	case 0:	/* clear rotate in auto-EOI mode */
	case 4:	/* set rotate in auto-EOI mode */
		c->rotate_on_auto_eoi = val >> 7;
		break;
	case 1:	/* non-specific EOI */
	case 5:	/* rotate on non-specific EOI */
		prio = pic_priority(c, c->isr);
		if (prio == 8)
			break;
		ir = (prio + c->priority_add) & 7;
		c->isr &= ~(1U << ir);
		if (val >> 7)
			c->priority_add = (ir + 1) & 7;
		break;
	case 3:	/* specific EOI */
		c->isr &= ~(1U << ir);
		break;
	case 6:	/* set priority: @ir becomes the lowest */
		c->priority_add = (ir + 1) & 7;
		break;
	case 7:	/* rotate on specific EOI */
		c->isr &= ~(1U << ir);
		c->priority_add = (ir + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void pic_chip_ocw3(struct pic_chip *c, u8 val)
{
	if (val & PIC_OCW3_POLL)
		c->poll = true;
	if (val & PIC_OCW3_RR)
		c->read_isr = val & PIC_OCW3_RIS;
	if (val & PIC_OCW3_ESMM)
		c->special_mask = val & PIC_OCW3_SMM;
}

static void pic_chip_data(struct pic_chip *c, u8 val)
{
	switch (c->init_state) {
	case PIC_READY:
		c->imr = val;
		break;
	case PIC_ICW2:
		c->vector_base = val & 0xf8;
		if (!c->single)
			c->init_state = PIC_ICW3;
		else if (c->init4)
			c->init_state = PIC_ICW4;
		else
			c->init_state = PIC_READY;
		break;
	case PIC_ICW3:
		/* The cascade wiring is fixed: master IR2, slave ID 2. */
		c->init_state = c->init4 ? PIC_ICW4 : PIC_READY;
		break;
	case PIC_ICW4:
		c->icw4 = val;
		c->auto_eoi = val & PIC_ICW4_AEOI;
		c->init_state = PIC_READY;
		break;
	}
}

/*
 * A poll read: the datasheet's acknowledge without INTA, giving bit 7 set
 * and the level of the highest request, or 0 when there is none.  Polling
 * the slave also ends the master's cascade request.
 */
static u8 pic_poll(struct pic_state *s, unsigned int which)
{
	struct pic_chip *c = &s->chip[which];
	int ir = pic_chip_pending(c);

	c->poll = false;
	if (ir < 0)
		return 0;
	pic_chip_ack(c, ir);
	if (which == 1) {
		s->chip[0].irr &= ~(1U << PIC_CASCADE_IR);
		s->chip[0].isr &= ~(1U << PIC_CASCADE_IR);
	}
	return PIC_POLL_INT | ir;
}

static void pic_state_set_irq(struct pic_state *s, unsigned int irq,
			      bool level)
{
	if (irq >= KESTREL_PIC_NR_IRQS || irq == PIC_CASCADE_IR)
		return;
	pic_chip_input(&s->chip[irq >> 3], irq & 7, level);
	pic_update(s);
}

static u8 pic_state_read(struct pic_state *s, u16 port)
{
	struct pic_chip *c;
	u8 val;

	switch (port) {
	case KESTREL_PIC_ELCR1:
		return s->chip[0].elcr;
	case KESTREL_PIC_ELCR2:
		return s->chip[1].elcr;
	case KESTREL_PIC_MASTER_CMD:
	case KESTREL_PIC_MASTER_IMR:
		c = &s->chip[0];
		break;
	case KESTREL_PIC_SLAVE_CMD:
	case KESTREL_PIC_SLAVE_IMR:
		c = &s->chip[1];
		break;
	default:
		return 0xff;
	}
	if (c->poll) {
		val = pic_poll(s, c == &s->chip[1]);
		pic_update(s);
		return val;
	}
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void pic_state_write(struct pic_state *s, u16 port, u8 val)
{
	struct pic_chip *c;

	switch (port) {
	case KESTREL_PIC_ELCR1:
	case KESTREL_PIC_ELCR2:
		c = &s->chip[port & 1];
		c->elcr = val & c->elcr_mask;
		/* A level input's request is its line from now on. */
		c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
		pic_update(s);
		return;
	case KESTREL_PIC_MASTER_CMD:
	case KESTREL_PIC_MASTER_IMR:
		c = &s->chip[0];
		break;
	case KESTREL_PIC_SLAVE_CMD:
	case KESTREL_PIC_SLAVE_IMR:
		c = &s->chip[1];
		break;
	default:
		return;
	}
	if (port & 1)
		pic_chip_data(c, val);
	else if (val & PIC_ICW1)
		pic_chip_icw1(c, val);
	else if (val & PIC_OCW3)
		pic_chip_ocw3(c, val);
	else
		pic_chip_ocw2(c, val);
	pic_update(s);
}

/* Power-on: both chips uninitialised, all inputs edge-triggered and low. */
static void pic_state_init(struct pic_state *s,
			   void (*intr)(void *opaque, bool level), void *opaque)
{
	*s = (struct pic_state){ .intr = intr, .opaque = opaque };
	s->chip[0].elcr_mask = PIC_ELCR1_MASK;
	s->chip[1].elcr_mask = PIC_ELCR2_MASK;
}

#ifdef __KERNEL__
#include <linux/slab.h>
#include <linux/spinlock.h>

/*
 * @lock protects @s; it is taken with interrupts disabled, so the PIC can be
 * driven from hard interrupt context (a device timer), and it is held while
 * calling @s.intr so the levels reported are always in order.  Nothing is
 * called back outside it; the PIC takes no other lock.  The creator frees it
 * once nothing can call in.
 */
struct kestrel_pic {
	spinlock_t lock;	/* protects @s */
	struct pic_state s;
};

struct kestrel_pic *kestrel_pic_create(void (*intr)(void *opaque, bool level),
				       void *opaque)
{
	struct kestrel_pic *pic;

	pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);
	if (!pic)
		return NULL;
	spin_lock_init(&pic->lock);
	pic_state_init(&pic->s, intr, opaque);
	return pic;
}

void kestrel_pic_destroy(struct kestrel_pic *pic)
{
	kfree(pic);
}

void kestrel_pic_reset(struct kestrel_pic *pic)
{
	unsigned long flags;

	spin_lock_irqsave(&pic->lock, flags);
	pic_state_init(&pic->s, pic->s.intr, pic->s.opaque);
	spin_unlock_irqrestore(&pic->lock, flags);
}

void kestrel_pic_set_irq(struct kestrel_pic *pic, unsigned int irq,
			 bool level)
{
	unsigned long flags;

	spin_lock_irqsave(&pic->lock, flags);
	pic_state_set_irq(&pic->s, irq, level);
	spin_unlock_irqrestore(&pic->lock, flags);
}

int kestrel_pic_ack(struct kestrel_pic *pic)
{
	unsigned long flags;
	int vector;

	spin_lock_irqsave(&pic->lock, flags);
	vector = pic_state_ack(&pic->s);
	spin_unlock_irqrestore(&pic->lock, flags);
	return vector;
}

u8 kestrel_pic_read(struct kestrel_pic *pic, u16 port)
{
	unsigned long flags;
	u8 val;

	spin_lock_irqsave(&pic->lock, flags);
	val = pic_state_read(&pic->s, port);
	spin_unlock_irqrestore(&pic->lock, flags);
	return val;
}

void kestrel_pic_write(struct kestrel_pic *pic, u16 port, u8 val)
{
	unsigned long flags;

	spin_lock_irqsave(&pic->lock, flags);
	pic_state_write(&pic->s, port, val);
	spin_unlock_irqrestore(&pic->lock, flags);
}
#endif /* __KERNEL__ */
