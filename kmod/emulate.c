// SPDX-License-Identifier: GPL-2.0
/*
 * Fetching and decoding the guest instruction behind an MMIO exit.
 *
 * Facts from the Intel SDM volume 2 (chapter 2, instruction format) and
 * volume 3 (chapter 4, paging), and the AMD APM volumes 2 and 3.  Every
 * byte read here comes from the guest and is untrusted: fetches are bounded
 * by the 15-byte limit, and the page walk by its number of levels.
 */
#include <linux/types.h>
#include <linux/errno.h>

#include "emulate.h"

#define EMU_CR0_PE	(1ULL << 0)
#define EMU_CR0_PG	(1ULL << 31)
#define EMU_CR4_PSE	(1ULL << 4)
#define EMU_CR4_PAE	(1ULL << 5)
#define EMU_CR4_LA57	(1ULL << 12)
#define EMU_EFER_LMA	(1ULL << 10)

#define EMU_PAGE_SHIFT	12
#define EMU_PAGE_SIZE	(1U << EMU_PAGE_SHIFT)

#define EMU_PTE_P	(1ULL << 0)
#define EMU_PTE_PS	(1ULL << 7)
/* Bits 51:12 of a PAE or long-mode entry, or of CR3 in long mode. */
#define EMU_PTE_ADDR	0x000ffffffffff000ULL
/* Bits 31:12 of a 32-bit paging entry or CR3. */
#define EMU_PTE32_ADDR	0xfffff000U
/* 32-bit paging, 4 MiB page: bits 31:22, and bits 39:32 in PDE bits 20:13. */
#define EMU_PDE32_4M	0xffc00000U
#define EMU_PDE32_HI(p)	((((u64)(p) >> 13) & 0xff) << 32)

/* Long mode and PAE: walk from level @top down to 1 (the 4 KiB level). */
static int emu_walk64(const struct kestrel_emu_ctx *ctx, u64 table, int top,
		      u64 gva, u64 *gpa)
{
	int level;

	for (level = top; level >= 1; level--) {
		unsigned int shift = EMU_PAGE_SHIFT + 9 * (level - 1);
		u64 idx = (gva >> shift) & 0x1ff;
		u64 pte = 0, page_mask;
		int ret;

		ret = ctx->read_gpa(ctx->opaque, table + idx * 8, &pte, 8);
		if (ret)
			return ret < 0 ? ret : -EFAULT;
		if (!(pte & EMU_PTE_P))
			return -EFAULT;
		/* PS maps a 2 MiB (level 2) or 1 GiB (level 3) page. */
		if (level == 1 || (pte & EMU_PTE_PS)) {
			if (level > 3)
				return -EFAULT;	/* PS is reserved there */
			page_mask = (1ULL << shift) - 1;
			/* Clearing the offset bits also drops a large page's PAT bit. */
			*gpa = (pte & EMU_PTE_ADDR & ~page_mask) | (gva & page_mask);
			return 0;
		}
		table = pte & EMU_PTE_ADDR;
	}
	return -EFAULT;		/* not reached: level 1 always returns */
}

static int emu_walk_pae(const struct kestrel_emu_ctx *ctx, u32 gva, u64 *gpa)
{
	/* CR3 bits 31:5 point to four PDPTEs, indexed by bits 31:30. */
	u64 pdpte = 0;
	int ret;

	/*
	 * Read from memory, as SVM's nested paging does; VMX with EPT uses
	 * the PDPTEs loaded at the last CR3 write, which differ only if the
	 * guest changed them without reloading CR3.
	 */
	ret = ctx->read_gpa(ctx->opaque, (ctx->cr3 & 0xffffffe0U) +
			    (gva >> 30) * 8, &pdpte, 8);
	if (ret)
		return ret < 0 ? ret : -EFAULT;
	if (!(pdpte & EMU_PTE_P) || (pdpte & EMU_PTE_PS))
		return -EFAULT;
	return emu_walk64(ctx, pdpte & EMU_PTE_ADDR, 2, gva, gpa);
}

static int emu_walk32(const struct kestrel_emu_ctx *ctx, u32 gva, u64 *gpa)
{
	u32 pde = 0, pte = 0;
	int ret;

	ret = ctx->read_gpa(ctx->opaque, (ctx->cr3 & EMU_PTE32_ADDR) +
			    (gva >> 22) * 4, &pde, 4);
	if (ret)
		return ret < 0 ? ret : -EFAULT;
	if (!(pde & EMU_PTE_P))
		return -EFAULT;
	/* Without CR4.PSE the PS bit is ignored. */
	if ((pde & EMU_PTE_PS) && (ctx->cr4 & EMU_CR4_PSE)) {
		*gpa = (pde & EMU_PDE32_4M) | EMU_PDE32_HI(pde) |
		       (gva & ~EMU_PDE32_4M);
		return 0;
	}
	ret = ctx->read_gpa(ctx->opaque, (pde & EMU_PTE32_ADDR) +
			    ((gva >> EMU_PAGE_SHIFT) & 0x3ff) * 4, &pte, 4);
	if (ret)
		return ret < 0 ? ret : -EFAULT;
	if (!(pte & EMU_PTE_P))
		return -EFAULT;
	*gpa = (pte & EMU_PTE32_ADDR) | (gva & (EMU_PAGE_SIZE - 1));
	return 0;
}

int kestrel_emu_gva_to_gpa(const struct kestrel_emu_ctx *ctx, u64 gva,
			   u64 *gpa)
{
	/* Outside long mode linear addresses are 32 bits. */
	if (!(ctx->cr0 & EMU_CR0_PG)) {
		*gpa = (u32)gva;
		return 0;
	}
	if (ctx->efer & EMU_EFER_LMA) {
		bool la57 = ctx->cr4 & EMU_CR4_LA57;
		/* Canonical: bits 63:48 (63:57) copy bit 47 (56). */
		unsigned int unused = la57 ? 7 : 16;
		s64 sext = (s64)(gva << unused) >> unused;

		if ((u64)sext != gva)
			return -EFAULT;
		return emu_walk64(ctx, ctx->cr3 & EMU_PTE_ADDR, la57 ? 5 : 4,
				  gva, gpa);
	}
	if (ctx->cr4 & EMU_CR4_PAE)
		return emu_walk_pae(ctx, gva, gpa);
	return emu_walk32(ctx, gva, gpa);
}

/* Decoder state for one instruction. */
struct emu_decoder {
	const struct kestrel_emu_ctx *ctx;
	u8 buf[KESTREL_EMU_MAX_INSN];
	u8 avail;		/* bytes fetched into buf[] */
	u8 pos;			/* bytes consumed */
	int fetch_err;		/* why avail stopped short of 15 */
	bool mode64;
	u8 op_bytes;		/* operand size: 2, 4 or 8 */
	u8 ad_bytes;		/* address size: 2, 4 or 8 */
	u8 rex;			/* the REX byte, or 0 */
	s8 seg_override;	/* enum kestrel_emu_seg, or -1 */
	u8 seg;			/* default segment of the memory operand */
	u8 reg;			/* ModRM.reg with REX.R */
	bool rip_rel;
	u64 ea;
};

static u64 emu_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

static u64 emu_sext(u64 val, unsigned int bytes)
{
	unsigned int shift;

	if (!bytes || bytes >= 8)
		return val;
	shift = 64 - bytes * 8;
	return (u64)((s64)(val << shift) >> shift);
}

/*
 * Fetch up to 15 bytes at CS:RIP, a page at a time: consecutive linear
 * pages may be anywhere in guest-physical memory.  A page that cannot be
 * read only matters if the instruction turns out to reach into it.
 */
static void emu_fetch(struct emu_decoder *d)
{
	const struct kestrel_emu_ctx *ctx = d->ctx;

	while (d->avail < KESTREL_EMU_MAX_INSN) {
		u64 la = d->mode64 ? ctx->rip + d->avail :
			 (u32)(ctx->cs_base + ctx->rip + d->avail);
		unsigned int chunk = EMU_PAGE_SIZE - (la & (EMU_PAGE_SIZE - 1));
		unsigned int room = KESTREL_EMU_MAX_INSN - d->avail;
		u64 gpa;
		int ret;

		if (chunk > room)
			chunk = room;
		ret = kestrel_emu_gva_to_gpa(ctx, la, &gpa);
		if (!ret)
			ret = ctx->read_gpa(ctx->opaque, gpa, d->buf + d->avail,
					    chunk);
		if (ret) {
			d->fetch_err = ret < 0 ? ret : -EFAULT;
			return;
		}
		d->avail += chunk;
	}
}

static int emu_byte(struct emu_decoder *d, u8 *b)
{
	if (d->pos >= KESTREL_EMU_MAX_INSN)
		return -EOPNOTSUPP;	/* the CPU would raise #GP */
	if (d->pos >= d->avail)
		return d->fetch_err ? d->fetch_err : -EFAULT;
	*b = d->buf[d->pos++];
	return 0;
}

/* An unsigned little-endian immediate or displacement of @bytes bytes. */
static int emu_imm(struct emu_decoder *d, unsigned int bytes, u64 *val)
{
	unsigned int i;
	u8 b;
	int ret;

	*val = 0;
	for (i = 0; i < bytes; i++) {
		ret = emu_byte(d, &b);
		if (ret)
			return ret;
		*val |= (u64)b << (i * 8);
	}
	return 0;
}

static int emu_simm(struct emu_decoder *d, unsigned int bytes, u64 *val)
{
	int ret = emu_imm(d, bytes, val);

	*val = emu_sext(*val, bytes);
	return ret;
}

/* 16-bit addressing: base and index registers of each ModRM.rm, no SIB. */
static const u8 emu_base16[8] = {
	KESTREL_GPR_RBX, KESTREL_GPR_RBX, KESTREL_GPR_RBP, KESTREL_GPR_RBP,
	KESTREL_GPR_RSI, KESTREL_GPR_RDI, KESTREL_GPR_RBP, KESTREL_GPR_RBX,
};

static const s8 emu_index16[8] = {
	KESTREL_GPR_RSI, KESTREL_GPR_RDI, KESTREL_GPR_RSI, KESTREL_GPR_RDI,
	-1, -1, -1, -1,
};

static int emu_modrm16(struct emu_decoder *d, u8 mod, u8 rm)
{
	const u64 *gprs = d->ctx->gprs;
	u64 disp = 0;
	int ret = 0;

	if (mod == 0 && rm == 6)
		return emu_imm(d, 2, &d->ea);	/* [disp16] */
	d->ea = gprs[emu_base16[rm]];
	if (emu_index16[rm] >= 0)
		d->ea += gprs[emu_index16[rm]];
	if (emu_base16[rm] == KESTREL_GPR_RBP)
		d->seg = KESTREL_SEG_SS;
	if (mod == 1)
		ret = emu_simm(d, 1, &disp);
	else if (mod == 2)
		ret = emu_imm(d, 2, &disp);
	d->ea += disp;
	return ret;
}

static int emu_modrm32(struct emu_decoder *d, u8 mod, u8 rm)
{
	const u64 *gprs = d->ctx->gprs;
	unsigned int base = rm | (d->rex & 1) << 3;	/* REX.B */
	bool has_base = true;
	u64 disp = 0;
	int ret;

	if (rm == 4) {
		unsigned int index;
		u8 sib;

		ret = emu_byte(d, &sib);
		if (ret)
			return ret;
		base = (sib & 7) | (d->rex & 1) << 3;
		index = ((sib >> 3) & 7) | (d->rex & 2) << 2;	/* REX.X */
		/* Index 100b means none; with REX.X it is R12. */
		if (index != KESTREL_GPR_RSP)
			d->ea = gprs[index] << (sib >> 6);
		/* Base 101b with mod 00: disp32 and no base, even for R13. */
		if ((sib & 7) == 5 && mod == 0) {
			ret = emu_simm(d, 4, &disp);
			if (ret)
				return ret;
			has_base = false;
		}
	} else if (rm == 5 && mod == 0) {
		/* disp32, relative to the next instruction in 64-bit mode. */
		ret = emu_simm(d, 4, &disp);
		if (ret)
			return ret;
		d->rip_rel = d->mode64;
		has_base = false;
	}

	if (has_base) {
		d->ea += gprs[base];
		if (base == KESTREL_GPR_RSP || base == KESTREL_GPR_RBP)
			d->seg = KESTREL_SEG_SS;
	}
	if (mod == 1)
		ret = emu_simm(d, 1, &disp);
	else if (mod == 2)
		ret = emu_simm(d, 4, &disp);
	else
		ret = 0;
	d->ea += disp;
	return ret;
}

/* ModRM (and SIB and displacement) of an instruction that must access memory. */
static int emu_modrm(struct emu_decoder *d)
{
	u8 modrm, mod, rm;
	int ret;

	ret = emu_byte(d, &modrm);
	if (ret)
		return ret;
	mod = modrm >> 6;
	rm = modrm & 7;
	d->reg = ((modrm >> 3) & 7) | (d->rex & 4) << 1;	/* REX.R */
	if (mod == 3)
		return -EOPNOTSUPP;	/* a register operand: not MMIO */
	if (d->ad_bytes == 2)
		return emu_modrm16(d, mod, rm);
	return emu_modrm32(d, mod, rm);
}

static u64 emu_read_reg(const struct emu_decoder *d, unsigned int reg,
			bool high_byte)
{
	u64 val = d->ctx->gprs[reg];

	return high_byte ? val >> 8 : val;
}

/* MOV between memory and the register in ModRM.reg. */
static void emu_mov_reg(struct emu_decoder *d, struct kestrel_mmio_insn *insn,
			unsigned int size, bool write)
{
	insn->size = size;
	insn->write = write;
	insn->reg = d->reg;
	/* Byte registers 4-7 are AH, CH, DH, BH unless there is a REX. */
	if (size == 1 && !d->rex && d->reg >= 4) {
		insn->reg = d->reg - 4;
		insn->high_byte = true;
	}
	if (write)
		insn->value = emu_read_reg(d, insn->reg, insn->high_byte);
	else
		insn->dst_size = size;
}

/* Opcodes after 0F: MOVZX and MOVSX, from a byte or a word. */
static int emu_opcode_0f(struct emu_decoder *d, struct kestrel_mmio_insn *insn)
{
	u8 b;
	int ret;

	ret = emu_byte(d, &b);
	if (ret)
		return ret;
	switch (b) {
	case 0xb6: case 0xb7:	/* MOVZX r, r/m8 and r/m16 */
	case 0xbe: case 0xbf:	/* MOVSX r, r/m8 and r/m16 */
		ret = emu_modrm(d);
		if (ret)
			return ret;
		insn->size = (b & 1) ? 2 : 1;
		insn->reg = d->reg;
		insn->dst_size = d->op_bytes;
		insn->sign_extend = b & 8;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int emu_opcode(struct emu_decoder *d, u8 b,
		      struct kestrel_mmio_insn *insn)
{
	u64 imm;
	int ret;

	switch (b) {
	case 0x88: case 0x89:	/* MOV r/m, r */
	case 0x8a: case 0x8b:	/* MOV r, r/m */
		ret = emu_modrm(d);
		if (ret)
			return ret;
		emu_mov_reg(d, insn, (b & 1) ? d->op_bytes : 1, !(b & 2));
		return 0;
	case 0xc6: case 0xc7:	/* MOV r/m, imm: /0 only */
		ret = emu_modrm(d);
		if (ret)
			return ret;
		if (d->reg & 7)
			return -EOPNOTSUPP;
		insn->size = (b & 1) ? d->op_bytes : 1;
		/* imm8, imm16 or imm32; imm32 is sign-extended to 64 bits. */
		ret = emu_simm(d, insn->size > 4 ? 4 : insn->size, &imm);
		if (ret)
			return ret;
		insn->write = true;
		insn->value = imm & emu_mask(insn->size);
		return 0;
	case 0xa0: case 0xa1:	/* MOV AL/rAX, moffs */
	case 0xa2: case 0xa3:	/* MOV moffs, AL/rAX */
		/* The offset is as wide as the address size. */
		ret = emu_imm(d, d->ad_bytes, &d->ea);
		if (ret)
			return ret;
		d->reg = KESTREL_GPR_RAX;
		emu_mov_reg(d, insn, (b & 1) ? d->op_bytes : 1, b & 2);
		return 0;
	case 0x63:		/* MOVSXD r, r/m32; ARPL outside 64-bit mode */
		if (!d->mode64)
			return -EOPNOTSUPP;
		ret = emu_modrm(d);
		if (ret)
			return ret;
		insn->size = d->op_bytes > 4 ? 4 : d->op_bytes;
		insn->reg = d->reg;
		insn->dst_size = d->op_bytes;
		insn->sign_extend = true;
		return 0;
	case 0x0f:
		return emu_opcode_0f(d, insn);
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * Legacy prefixes and REX; returns the opcode byte in @b.  The 15-byte limit
 * in emu_byte() bounds the loop at 14 prefixes.
 */
static int emu_prefixes(struct emu_decoder *d, u8 *b)
{
	bool opsize = false, adsize = false;
	int ret;

	for (;;) {
		ret = emu_byte(d, b);
		if (ret)
			return ret;
		switch (*b) {
		case 0x66:
			opsize = true;
			break;
		case 0x67:
			adsize = true;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:	/* ES CS SS DS */
			d->seg_override = (*b >> 3) & 3;
			break;
		case 0x64: case 0x65:				/* FS GS */
			d->seg_override = *b & 7;
			break;
		case 0xf0: case 0xf2: case 0xf3:
			/* LOCK, REPNE, REP: no meaning for the MOVs decoded */
			break;
		case 0x40 ... 0x4f:
			if (!d->mode64)
				goto done;	/* INC/DEC */
			d->rex = *b;
			continue;
		default:
			goto done;
		}
		/* A REX prefix counts only right before the opcode. */
		d->rex = 0;
	}
done:
	if (d->mode64) {
		d->op_bytes = (d->rex & 8) ? 8 : opsize ? 2 : 4;  /* REX.W wins */
		d->ad_bytes = adsize ? 4 : 8;
	} else {
		/*
		 * Real-mode code is 16-bit whatever the CS cache says; in
		 * virtual-8086 mode CS.D/B is architecturally 0.
		 */
		bool def32 = d->ctx->cs_db && (d->ctx->cr0 & EMU_CR0_PE);

		d->op_bytes = def32 != opsize ? 4 : 2;
		d->ad_bytes = def32 != adsize ? 4 : 2;
	}
	return 0;
}

int kestrel_emu_decode_mmio(const struct kestrel_emu_ctx *ctx,
			    struct kestrel_mmio_insn *insn)
{
	struct emu_decoder d = {
		.ctx = ctx,
		.seg_override = -1,
		.seg = KESTREL_SEG_DS,
	};
	u8 opcode;
	int ret;

	*insn = (struct kestrel_mmio_insn){ .reg = -1 };
	d.mode64 = (ctx->efer & EMU_EFER_LMA) && ctx->cs_l;
	emu_fetch(&d);

	ret = emu_prefixes(&d, &opcode);
	if (ret)
		return ret;
	ret = emu_opcode(&d, opcode, insn);
	if (ret)
		return ret;

	insn->len = d.pos;
	if (d.rip_rel)
		d.ea += ctx->rip + d.pos;
	insn->ea = d.ea & emu_mask(d.ad_bytes);
	insn->seg = d.seg_override >= 0 ? d.seg_override : d.seg;
	insn->value &= emu_mask(insn->size);
	return 0;
}

void kestrel_emu_complete_load(struct kestrel_emu_ctx *ctx,
			       const struct kestrel_mmio_insn *insn, u64 data)
{
	u64 *gpr, val;

	if (insn->write || insn->reg < 0 || insn->reg >= KESTREL_NR_GPRS)
		return;
	gpr = &ctx->gprs[insn->reg];
	val = data & emu_mask(insn->size);
	if (insn->sign_extend)
		val = emu_sext(val, insn->size);

	switch (insn->dst_size) {
	case 1:
		if (insn->high_byte)
			*gpr = (*gpr & ~0xff00ULL) | (val & 0xff) << 8;
		else
			*gpr = (*gpr & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		*gpr = (*gpr & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*gpr = (u32)val;	/* 32-bit writes zero bits 63:32 */
		break;
	case 8:
		*gpr = val;
		break;
	}
}

u64 kestrel_emu_next_rip(const struct kestrel_emu_ctx *ctx,
			 const struct kestrel_mmio_insn *insn)
{
	u64 rip = ctx->rip + insn->len;

	if ((ctx->efer & EMU_EFER_LMA) && ctx->cs_l)
		return rip;
	return (u32)rip;
}
