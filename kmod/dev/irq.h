/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interrupt message: what an interrupt source (the I/O APIC, later MSI)
 * hands to the local APIC layer.  It is the x86 interrupt message as an MSI
 * write carries it (Intel SDM volume 3, 11.11 "Message Signalled
 * Interrupts"), unpacked:
 *
 *   address 0xfeexxxxx: bits 19:12 destination ID, bit 3 redirection hint,
 *                       bit 2 destination mode (1: logical)
 *   data:               bits 7:0 vector, bits 10:8 delivery mode,
 *                       bit 14 level (1: assert), bit 15 trigger mode
 *                       (1: level)
 *
 * An I/O APIC redirection entry produces the same message: its vector,
 * delivery mode, destination mode and trigger mode fields, and the
 * destination field (bits 63:56).  Pin polarity is not part of the message:
 * the I/O APIC applies it to the input line before deciding to deliver, and
 * only ever sends assertions.
 */
#ifndef KESTREL_DEV_IRQ_H
#define KESTREL_DEV_IRQ_H

#include <linux/types.h>

/* Delivery modes (MSI data bits 10:8, redirection entry bits 10:8). */
#define KESTREL_IRQ_DM_FIXED		0
#define KESTREL_IRQ_DM_LOWEST		1	/* lowest priority */
#define KESTREL_IRQ_DM_SMI		2
#define KESTREL_IRQ_DM_NMI		4
#define KESTREL_IRQ_DM_INIT		5
#define KESTREL_IRQ_DM_EXTINT		7

/* The destination ID that addresses every local APIC (physical mode). */
#define KESTREL_IRQ_DEST_BROADCAST	0xff

struct kestrel_irq_msg {
	/*
	 * Destination ID: an APIC ID in physical mode, a logical destination
	 * (matched against each LDR/DFR) in logical mode.  8 bits from the
	 * I/O APIC and from a standard MSI address; u32 leaves room for
	 * extended destination IDs.
	 */
	u32 dest;
	u8 vector;		/* ignored for SMI, NMI, INIT (and ExtINT) */
	u8 delivery_mode;	/* KESTREL_IRQ_DM_* */
	bool dest_logical;	/* destination mode: false physical */
	bool level_triggered;	/* trigger mode: set TMR, EOI goes back */
	/*
	 * Level bit: false only for the de-assert message of a
	 * level-triggered MSI; edge messages are always assertions.
	 */
	bool assert;
	bool redir_hint;	/* MSI redirection hint; the I/O APIC: false */
};

#define KESTREL_MSI_ADDR_BASE		0xfee00000ULL
#define KESTREL_MSI_ADDR_DEST_SHIFT	12
#define KESTREL_MSI_ADDR_RH		(1U << 3)
#define KESTREL_MSI_ADDR_DM_LOGICAL	(1U << 2)
#define KESTREL_MSI_DATA_DM_SHIFT	8
#define KESTREL_MSI_DATA_ASSERT		(1U << 14)
#define KESTREL_MSI_DATA_LEVEL		(1U << 15)

/* Unpack an MSI address/data pair (the address is not checked). */
static inline void kestrel_irq_msg_from_msi(struct kestrel_irq_msg *msg,
					    u64 addr, u32 data)
{
	msg->dest = (addr >> KESTREL_MSI_ADDR_DEST_SHIFT) & 0xff;
	msg->vector = data & 0xff;
	msg->delivery_mode = (data >> KESTREL_MSI_DATA_DM_SHIFT) & 7;
	msg->dest_logical = addr & KESTREL_MSI_ADDR_DM_LOGICAL;
	msg->level_triggered = data & KESTREL_MSI_DATA_LEVEL;
	/* "Edge triggered interrupt messages are always ... assert" */
	msg->assert = !msg->level_triggered ||
		      (data & KESTREL_MSI_DATA_ASSERT);
	msg->redir_hint = addr & KESTREL_MSI_ADDR_RH;
}

#endif /* KESTREL_DEV_IRQ_H */
