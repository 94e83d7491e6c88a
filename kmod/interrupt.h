/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupt wiring of a domain (irq.c): ISA lines, interrupt messages,
 * injection into vCPUs.
 */
#ifndef KESTREL_INTERRUPT_H
#define KESTREL_INTERRUPT_H

#include <linux/types.h>

struct kestrel_domain;
struct kestrel_vcpu;

/*
 * The PIC, the I/O APIC and one local APIC per vCPU, wired together; the
 * vCPUs exist already.  kestrel_irq_free() undoes a partial init too; it
 * runs after every vCPU thread stopped and before the vCPUs are freed.
 * May sleep.
 */
int kestrel_irq_init(struct kestrel_domain *dom);
void kestrel_irq_free(struct kestrel_domain *dom);

/* ISA IRQ line @irq (0-15) is at @level now.  Any context. */
void kestrel_isa_irq(struct kestrel_domain *dom, unsigned int irq, bool level);

/* An interrupt message (an MSI write) to the local APICs.  Any context. */
struct kestrel_irq_msg;
void kestrel_irq_deliver(struct kestrel_domain *dom,
			 const struct kestrel_irq_msg *msg);

/* The guest's TSC frequency in kHz (the host's); 0 when unknown. */
u32 kestrel_guest_tsc_khz(void);

/*
 * For the vCPU thread.  wakes: something ends a HLT (an NMI, INIT or SIPI,
 * or a maskable interrupt when the guest halted with RFLAGS.IF set).
 * needs_thread: an INIT, SIPI or NMI must be taken outside the burst.
 * inject: inside a burst, right before entry (interrupts off): hand the
 * highest-priority pending event to the backend, or ask for an exit when
 * the guest can take it.
 */
bool kestrel_irq_wakes(struct kestrel_vcpu *vcpu);
bool kestrel_irq_needs_thread(struct kestrel_vcpu *vcpu);
void kestrel_irq_inject(struct kestrel_vcpu *vcpu);

#endif /* KESTREL_INTERRUPT_H */
