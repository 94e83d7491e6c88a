/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An 82093AA-style I/O APIC with 24 pins, version 0x20 (it has the EOI
 * register), as the MADT announces it (lib/acpi.h): at 0xfec00000, GSI base
 * 0.  Register it on the domain's MMIO bus as
 *
 *	{ .base = KESTREL_IOAPIC_BASE, .len = KESTREL_IOAPIC_SIZE,
 *	  .read = kestrel_ioapic_mmio_read,
 *	  .write = kestrel_ioapic_mmio_write, .opaque = ioapic }
 *
 * Lock order: whoever calls kestrel_ioapic_set_irq() or kestrel_ioapic_eoi()
 * (a device under its own lock, a timer, the local APIC) may hold its own
 * locks; the I/O APIC's lock nests inside them, and @deliver is called with
 * the I/O APIC's lock held, so the local APIC's lock nests inside the I/O
 * APIC's.  @deliver must therefore never call back into the I/O APIC, and
 * the local APIC must call kestrel_ioapic_eoi() without its own lock held
 * (an EOI may re-deliver at once).  A local APIC that needs to report an
 * EOI from inside @deliver must queue it and report it later.
 */
#ifndef KESTREL_DEV_IOAPIC_H
#define KESTREL_DEV_IOAPIC_H

#include <linux/types.h>

#include "irq.h"

#define KESTREL_IOAPIC_BASE	0xfec00000ULL
#define KESTREL_IOAPIC_SIZE	0x1000
#define KESTREL_IOAPIC_PINS	24
#define KESTREL_IOAPIC_VERSION	0x20

struct kestrel_ioapic;

/*
 * Power-on state: ID @id (only bits 3:0 fit in the ID register), every pin
 * masked, every line low.  @deliver(@opaque, msg) sends an interrupt
 * message to the local APICs; it is called with the I/O APIC's spinlock
 * held and interrupts disabled, must not sleep and must not call into the
 * I/O APIC (see above); @msg is only valid during the call.  Returns NULL
 * when out of memory.  May sleep.
 */
struct kestrel_ioapic *
kestrel_ioapic_create(u8 id,
		      void (*deliver)(void *opaque,
				      const struct kestrel_irq_msg *msg),
		      void *opaque);
/* Nothing may call into @ioapic any more (MMIO bus, devices, APICs). */
void kestrel_ioapic_destroy(struct kestrel_ioapic *ioapic);
/*
 * Registers back to their power-on state (every pin masked, the ID to the
 * one given at creation).  The input lines keep their levels: the devices
 * driving them reset themselves.
 */
void kestrel_ioapic_reset(struct kestrel_ioapic *ioapic);

/*
 * The input line of @pin (0..23; others are ignored) is now at @level, the
 * electrical level before the pin's polarity is applied.  May deliver.
 * Never sleeps; any context.
 */
void kestrel_ioapic_set_irq(struct kestrel_ioapic *ioapic, unsigned int pin,
			    bool level);
/*
 * A local APIC completed (EOI) a level-triggered interrupt of @vector: clear
 * the remote IRR of every pin with that vector and re-deliver those whose
 * line is still asserted.  Never sleeps; any context, but see the lock
 * order above.
 */
void kestrel_ioapic_eoi(struct kestrel_ioapic *ioapic, u8 vector);

/*
 * MMIO handlers (struct kestrel_io_range, kmod/iobus.h); @opaque is the
 * struct kestrel_ioapic.  Only 4-byte accesses to IOREGSEL (0x00), IOWIN
 * (0x10) and the EOI register (0x40, write-only) are decoded; any other
 * access reads as all ones and writes are dropped.  Never sleep.
 */
u64 kestrel_ioapic_mmio_read(void *opaque, u64 addr, unsigned int len);
void kestrel_ioapic_mmio_write(void *opaque, u64 addr, unsigned int len,
			       u64 val);

#endif /* KESTREL_DEV_IOAPIC_H */
