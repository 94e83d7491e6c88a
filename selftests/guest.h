/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small library for selftests that run guest code in a Kestrel domain:
 * create a domain, load code into its RAM through the memory fd, set up a
 * 16-, 32- or 64-bit environment (GDT, identity-mapped page tables), start
 * it, and watch its state, console and memory.
 *
 * Guest physical layout used by every test:
 *   0x1000  GDT               0x2000, 0x3000 PML4, PDPT
 *   0xa000-0xdfff  page directories
 *   0x6000  IDT (64-bit)      0x7000  exception handlers (16 bytes each)
 *   0x8000  mailbox: guest-written results the test reads
 *   0x10000 code              stack below 0x80000
 * The page tables map the first 4 GiB 1:1 with 2 MiB pages (RAM and the
 * MMIO hole).  In 64-bit
 * mode every exception vector stores its number in mailbox slot
 * MAILBOX_VECTOR and halts.  guest_load() puts the vCPU index in RDI.
 */
#ifndef KESTREL_SELFTEST_GUEST_H
#define KESTREL_SELFTEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libkestrel.h"

#define GUEST_GDT	0x1000
#define GUEST_PML4	0x2000
#define GUEST_PDPT	0x3000
#define GUEST_PD	0xa000	/* 4 pages */
#define GUEST_IDT	0x6000
#define GUEST_HANDLERS	0x7000
#define GUEST_MAILBOX	0x8000
#define MAILBOX_VECTOR	32	/* 0x8100: last exception vector + 1 */
#define GUEST_CODE	0x10000
#define GUEST_STACK	0x80000

#define COM1		0x3f8

enum guest_mode {
	GUEST_REAL,	/* 16-bit real mode, CS=0 */
	GUEST_PROT32,	/* 32-bit protected mode, flat, no paging */
	GUEST_LONG64,	/* 64-bit long mode, identity paging */
};

struct guest {
	struct kestrel_conn *conn;
	uint32_t id;
	char name[KESTREL_NAME_MAX];
	uint64_t ram_size;
	unsigned int vcpus;
	uint8_t *ram;		/* the whole RAM below the hole, mapped */
	int memfd;
};

/* Assembled guest code between two labels (see GUEST_ASM). */
struct guest_code {
	const uint8_t *start, *end;
};

/*
 * GUEST_ASM(name, mode, "asm") assembles guest code into .rodata;
 * GUEST_CODE_OF(name) is its struct guest_code.  mode: code16, code32,
 * code64.  The code must be position-independent.
 */
#define GUEST_ASM(name, mode, text)					\
	extern const uint8_t name##_start[], name##_end[];		\
	asm(".pushsection .rodata\n"					\
	    "." #mode "\n"						\
	    #name "_start:\n" text "\n" #name "_end:\n"			\
	    ".code64\n"							\
	    ".popsection\n")
#define GUEST_CODE_OF(name) ((struct guest_code){ name##_start, name##_end })

/* 0 or a negative errno; kestrel_last_error() says why. */
int guest_create(struct guest *g, const char *name, uint64_t memory,
		 unsigned int vcpus);
void guest_destroy(struct guest *g);
/* The GDT, page tables and IDT of the layout above, into @ram. */
void guest_layout_write(uint8_t *ram);
/* Segment and control registers for @mode in that layout. */
void guest_mode_sregs(enum guest_mode mode, struct kestrel_sregs *sr);
/*
 * Copy @code to GUEST_CODE (+ @offset) and point vCPU @vcpu at it.  Real
 * mode code runs with CS = DS = ES = its own paragraph and IP = 0.
 */
int guest_load(struct guest *g, unsigned int vcpu, enum guest_mode mode,
	       struct guest_code code, uint64_t offset);
int guest_start(struct guest *g);
/* Set RSI of vCPU @vcpu (after guest_load). */
int guest_set_rsi(struct guest *g, unsigned int vcpu, uint64_t val);
/* Wait until the domain is idle (all vCPUs halted), crashed or shut off. */
int guest_wait_state(struct guest *g, int want_state, int timeout_ms);
/* Read console output until @needle appears; returns bytes read or <0. */
int guest_console_wait(struct guest *g, const char *needle, char *buf,
		       size_t len, int timeout_ms);
uint64_t guest_mailbox(struct guest *g, unsigned int slot);

#endif /* KESTREL_SELFTEST_GUEST_H */
