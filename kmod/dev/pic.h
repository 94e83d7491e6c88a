/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's pair of cascaded Intel 8259A interrupt controllers: the master at
 * I/O ports 0x20-0x21 with the slave on its IR2, the slave at 0xa0-0xa1, and
 * the edge/level control registers (ELCR) at 0x4d0-0x4d1.
 */
#ifndef KESTREL_DEV_PIC_H
#define KESTREL_DEV_PIC_H

#include <linux/types.h>

#define KESTREL_PIC_MASTER_CMD	0x20
#define KESTREL_PIC_MASTER_IMR	0x21
#define KESTREL_PIC_SLAVE_CMD	0xa0
#define KESTREL_PIC_SLAVE_IMR	0xa1
#define KESTREL_PIC_ELCR1	0x4d0
#define KESTREL_PIC_ELCR2	0x4d1
#define KESTREL_PIC_NR_IRQS	16

struct kestrel_pic;

/*
 * @intr(@opaque, level) is called, under the PIC's spinlock (taken with
 * interrupts disabled), each time the master's INT output to the CPU changes;
 * it must not sleep nor call back into the PIC.  @intr may be NULL.  Returns
 * NULL when out of memory.  May sleep.
 */
struct kestrel_pic *kestrel_pic_create(void (*intr)(void *opaque, bool level),
				       void *opaque);
/* Free; the output line is left as it is.  Nothing may call in any more. */
void kestrel_pic_destroy(struct kestrel_pic *pic);
/*
 * Back to the power-on state (uninitialised, every input low), as on a
 * system reset; @intr is not called: the caller drops the output itself.
 */
void kestrel_pic_reset(struct kestrel_pic *pic);

/*
 * The level of input line @irq (0-15; 2 is the cascade and is ignored) is
 * now @level.  An edge-triggered input requests on a low-to-high change; a
 * level-triggered one (its ELCR bit set) requests while high.  Never sleeps;
 * may be called from any context, including hard interrupt.
 */
void kestrel_pic_set_irq(struct kestrel_pic *pic, unsigned int irq,
			 bool level);

/*
 * The CPU's interrupt acknowledge cycle: the vector of the highest-priority
 * request, with ISR and IRR updated as the 8259As do, or -1 when the master
 * has nothing to deliver.  A cascade whose slave request went away meanwhile
 * gives the slave's IR7 vector (the hardware's spurious interrupt).  Never
 * sleeps.
 */
int kestrel_pic_ack(struct kestrel_pic *pic);

/*
 * Guest port accesses at the ports above (others read 0xff and ignore
 * writes).  Never sleep.
 */
u8 kestrel_pic_read(struct kestrel_pic *pic, u16 port);
void kestrel_pic_write(struct kestrel_pic *pic, u16 port, u8 val);

#endif /* KESTREL_DEV_PIC_H */
