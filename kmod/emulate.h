/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding the guest instruction behind an MMIO exit.
 *
 * A nested page fault on an MMIO hole reports the guest-physical address,
 * but without SVM decode assists (and always on VMX) not the access size,
 * direction or data.  The decoder translates CS:RIP through the guest's own
 * page tables, fetches the instruction and decodes the MOV forms that
 * drivers use for MMIO: readb/w/l/q and writeb/w/l/q, MOVZX and MOVSX.
 *
 * This file and emulate.c depend on nothing but <linux/types.h> and
 * <linux/errno.h>, so that kmod/tests/emulate_test.c can build them in
 * userspace.
 */
#ifndef KESTREL_EMULATE_H
#define KESTREL_EMULATE_H

#include <linux/types.h>

#define KESTREL_EMU_MAX_INSN	15	/* architectural length limit */

/* General-purpose registers in x86 encoding order (ModRM.reg + REX.R). */
enum kestrel_emu_gpr {
	KESTREL_GPR_RAX, KESTREL_GPR_RCX, KESTREL_GPR_RDX, KESTREL_GPR_RBX,
	KESTREL_GPR_RSP, KESTREL_GPR_RBP, KESTREL_GPR_RSI, KESTREL_GPR_RDI,
	KESTREL_GPR_R8, KESTREL_GPR_R9, KESTREL_GPR_R10, KESTREL_GPR_R11,
	KESTREL_GPR_R12, KESTREL_GPR_R13, KESTREL_GPR_R14, KESTREL_GPR_R15,
	KESTREL_NR_GPRS
};

/* Segment registers in encoding order (the Sreg field of MOV Sreg). */
enum kestrel_emu_seg {
	KESTREL_SEG_ES, KESTREL_SEG_CS, KESTREL_SEG_SS,
	KESTREL_SEG_DS, KESTREL_SEG_FS, KESTREL_SEG_GS,
};

/*
 * Guest state the decoder needs, filled in by the vendor backend on an MMIO
 * exit.  The decoder reads it; kestrel_emu_complete_load() writes gprs[],
 * which the backend then copies back (RAX and RSP live in the VMCB on SVM).
 */
struct kestrel_emu_ctx {
	u64 rip;
	u64 cs_base;		/* ignored in 64-bit mode, where it is 0 */
	bool cs_l;		/* CS.L: 64-bit code (with EFER.LMA) */
	bool cs_db;		/* CS.D/B: 32-bit default operand/address size;
				 * ignored in real mode (CR0.PE=0), and always
				 * 0 in virtual-8086 mode
				 */
	u64 cr0, cr3, cr4, efer;
	u64 gprs[KESTREL_NR_GPRS];
	/*
	 * Read guest-physical memory (RAM only, never MMIO): 0, or a negative
	 * errno (-EFAULT) when any byte of the range is not RAM.  Called with
	 * @len <= 4096 and the range within one 4 KiB page.  Must not sleep.
	 */
	int (*read_gpa)(void *opaque, u64 gpa, void *buf, unsigned int len);
	void *opaque;
};

/* A decoded MMIO access; valid only when kestrel_emu_decode_mmio() returns 0. */
struct kestrel_mmio_insn {
	u8 len;			/* instruction length in bytes, prefixes included */
	u8 size;		/* access size: 1, 2, 4 or 8 */
	bool write;		/* true: store to MMIO; false: load from MMIO */
	u64 value;		/* stores: the data, truncated to @size */
	s8 reg;			/* loads: destination GPR; register stores: the
				 * source GPR; immediate stores: -1
				 */
	bool high_byte;		/* @reg means AH/CH/DH/BH: bits 15:8 of reg 0-3 */
	u8 dst_size;		/* loads: bytes written to @reg (1, 2, 4, 8) */
	bool sign_extend;	/* loads: MOVSX/MOVSXD, else zero-extend */
	u8 seg;			/* enum kestrel_emu_seg of the memory operand */
	u64 ea;			/* its effective address (offset in @seg),
				 * truncated to the address size; for checks
				 * against a linear address and for tracing
				 */
};

/*
 * Translate a guest linear address with the guest's paging mode: none,
 * 32-bit (4 MiB pages with CR4.PSE), PAE, 4-level or 5-level (CR4.LA57).
 * No permission checks and no accessed/dirty updates.  0 or -EFAULT (not
 * present, reserved PS bit, non-canonical, a table outside RAM).
 */
int kestrel_emu_gva_to_gpa(const struct kestrel_emu_ctx *ctx, u64 gva,
			   u64 *gpa);

/*
 * Fetch and decode the instruction at CS:RIP.  0, -EOPNOTSUPP for anything
 * but the supported MOV forms with a memory operand (and for encodings
 * longer than 15 bytes), or -EFAULT when a byte it needs cannot be fetched.
 */
int kestrel_emu_decode_mmio(const struct kestrel_emu_ctx *ctx,
			    struct kestrel_mmio_insn *insn);

/*
 * Complete an MMIO load: write @data, the @insn->size bytes read, into
 * ctx->gprs[] with the partial-register rules (8/16-bit writes keep the
 * other bits, 32-bit writes clear bits 63:32).  Does nothing for stores.
 */
void kestrel_emu_complete_load(struct kestrel_emu_ctx *ctx,
			       const struct kestrel_mmio_insn *insn, u64 data);

/* RIP after @insn: wraps at 4 GiB outside 64-bit mode. */
u64 kestrel_emu_next_rip(const struct kestrel_emu_ctx *ctx,
			 const struct kestrel_mmio_insn *insn);

#endif /* KESTREL_EMULATE_H */
