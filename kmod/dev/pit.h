/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An Intel 8254 programmable interval timer as the PC wires it: counters 0-2
 * and the control word at I/O ports 0x40-0x43, counter 0's output on IRQ0,
 * counter 2's gate and output in system control port B (0x61).
 */
#ifndef KESTREL_DEV_PIT_H
#define KESTREL_DEV_PIT_H

#include <linux/types.h>

#define KESTREL_PIT_CH0		0x40
#define KESTREL_PIT_CH1		0x41
#define KESTREL_PIT_CH2		0x42
#define KESTREL_PIT_MODE	0x43
#define KESTREL_PIT_PORT_B	0x61
#define KESTREL_PIT_HZ		1193182

/*
 * The shortest interval between two IRQ0 pulses in the periodic modes: a
 * guest programming a faster rate gets its interrupts coalesced to this
 * (its counter still reads as programmed).
 */
#define KESTREL_PIT_MIN_PERIOD_NS	100000

struct kestrel_pit;

/*
 * @irq(@opaque, level) drives IRQ0: each rising edge of counter 0's output
 * is reported as a pulse, @irq(@opaque, true) then @irq(@opaque, false).  It
 * is called under the PIT's spinlock, from the guest's port writes and from
 * an hrtimer callback in hard interrupt context, so it must not sleep nor
 * call back into the PIT; taking an interrupt-safe lock of its own (the
 * PIC's) is fine.  @irq may be NULL.  Returns NULL when out of memory.  May
 * sleep.
 */
struct kestrel_pit *kestrel_pit_create(void (*irq)(void *opaque, bool level),
				       void *opaque);
/*
 * Cancel the timer, waiting for a running callback, and free.  Nothing may
 * call in any more; must not be called with a lock @irq takes held.
 */
void kestrel_pit_destroy(struct kestrel_pit *pit);
/*
 * Back to the power-on state, the timer cancelled, as on a system reset.
 * Nothing may write the PIT meanwhile (the vCPUs are parked).  Sleeps.
 */
void kestrel_pit_reset(struct kestrel_pit *pit);

/*
 * Guest port accesses at 0x40-0x43 and 0x61 (others read 0xff and ignore
 * writes).  Never sleep.
 */
u8 kestrel_pit_read(struct kestrel_pit *pit, u16 port);
void kestrel_pit_write(struct kestrel_pit *pit, u16 port, u8 val);

#endif /* KESTREL_DEV_PIT_H */
