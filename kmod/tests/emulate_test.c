// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO instruction decoder and guest page walker (kmod/emulate.c),
 * built natively against a fake guest memory.  Instruction bytes were
 * cross-checked with GNU objdump; the disassembly is in each comment.
 */
#include "kshim.h"
#include "../emulate.c"

#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#define MEM_SIZE	(4U << 20)
#define PT_BASE		0x200000ULL	/* page tables are allocated from here */

#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_PS		0x80ULL
#define PTE_PAT_LARGE	0x1000ULL	/* PAT bit of a 2M/4M/1G entry */

#define CR0_PE		0x1ULL
#define CR0_PG		0x80000000ULL
#define CR4_PSE		0x10ULL
#define CR4_PAE		0x20ULL
#define CR4_LA57	0x1000ULL
#define EFER_LME	0x100ULL
#define EFER_LMA	0x400ULL

/* 64-bit code: 16 bytes before the end of a page; the next page is elsewhere */
#define CODE64_VA	0xffffffff81234ff0ULL
#define CODE64_PA	0x10ff0ULL
#define CODE64_PA2	0x30000ULL

static u8 mem[MEM_SIZE];
static u64 pt_next = PT_BASE;
static u64 code_pa;		/* where the tests put the code at CS:RIP */

/* RAM is [0, MEM_SIZE); reads must stay within one 4 KiB page. */
static int fake_read_gpa(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	(void)opaque;
	if ((gpa & 0xfff) + len > 4096)
		return -EINVAL;	/* breaks the read_gpa contract */
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, mem + gpa, len);
	return 0;
}

static u64 rd64(u64 pa)
{
	u64 v;

	memcpy(&v, mem + pa, 8);
	return v;
}

static void wr64(u64 pa, u64 v)
{
	memcpy(mem + pa, &v, 8);
}

static void wr32(u64 pa, u32 v)
{
	memcpy(mem + pa, &v, 4);
}

static u64 pt_alloc(void)
{
	u64 pa = pt_next;

	pt_next += 4096;
	if (pt_next > MEM_SIZE)
		abort();
	memset(mem + pa, 0, 4096);
	return pa;
}

/*
 * Map @va to @pa in a PAE/long-mode tree of @levels levels rooted at @root,
 * with the leaf at @leaf (1: 4K, 2: 2M, 3: 1G).  Returns the leaf's address.
 */
static u64 map64(u64 root, int levels, u64 va, u64 pa, int leaf, u64 flags)
{
	u64 table = root, slot, e;
	int level;

	for (level = levels; level > leaf; level--) {
		slot = table + ((va >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
		e = rd64(slot);
		if (!(e & PTE_P)) {
			e = pt_alloc() | PTE_P | PTE_RW;
			wr64(slot, e);
		}
		table = e & 0x000ffffffffff000ULL;
	}
	slot = table + ((va >> (12 + 9 * (leaf - 1))) & 0x1ff) * 8;
	wr64(slot, pa | PTE_P | PTE_RW | (leaf > 1 ? PTE_PS : 0) | flags);
	return slot;
}

/* 32-bit paging: map @va to @pa with a 4K page, or a 4M one (@large). */
static void map32(u32 cr3, u32 va, u64 pa, bool large)
{
	u32 pde_pa = cr3 + (va >> 22) * 4, pde, pt;

	if (large) {
		wr32(pde_pa, (u32)(pa & 0xffc00000) |
		     (u32)(((pa >> 32) & 0xff) << 13) | PTE_P | PTE_PS);
		return;
	}
	memcpy(&pde, mem + pde_pa, 4);
	if (!(pde & PTE_P)) {
		pde = (u32)pt_alloc() | PTE_P | PTE_RW;
		wr32(pde_pa, pde);
	}
	pt = pde & 0xfffff000;
	wr32(pt + ((va >> 12) & 0x3ff) * 4, (u32)pa | PTE_P | PTE_RW);
}

static void ctx_init(struct kestrel_emu_ctx *ctx)
{
	int i;

	memset(ctx, 0, sizeof(*ctx));
	ctx->read_gpa = fake_read_gpa;
	/* Distinct register values: RAX=0x1000, RCX=0x1100, ... */
	for (i = 0; i < KESTREL_NR_GPRS; i++)
		ctx->gprs[i] = 0x1000 + 0x100 * i;
}

/* Real mode at @cs:@ip. */
static void ctx_real(struct kestrel_emu_ctx *ctx, u16 cs, u16 ip)
{
	ctx_init(ctx);
	ctx->cs_base = (u64)cs << 4;
	ctx->rip = ip;
	code_pa = ctx->cs_base + ip;
}

/* Flat 32-bit protected mode without paging. */
static void ctx_prot32(struct kestrel_emu_ctx *ctx, u32 eip)
{
	ctx_init(ctx);
	ctx->cr0 = CR0_PE;
	ctx->cs_db = true;
	ctx->rip = eip;
	code_pa = eip;
}

/*
 * 64-bit mode, 4-level paging: CODE64_VA -> CODE64_PA and the next page ->
 * CODE64_PA2.  The tables are built once per test.
 */
static void ctx_long(struct kestrel_emu_ctx *ctx)
{
	static u64 cr3;

	ctx_init(ctx);
	ctx->cr0 = CR0_PE | CR0_PG;
	ctx->cr4 = CR4_PAE;
	ctx->efer = EFER_LME | EFER_LMA;
	ctx->cs_l = true;
	if (!cr3) {
		cr3 = pt_alloc();
		map64(cr3, 4, CODE64_VA, CODE64_PA & ~0xfffULL, 1, 0);
		map64(cr3, 4, CODE64_VA + 0x1000, CODE64_PA2, 1, 0);
	}
	ctx->cr3 = cr3;
	ctx->rip = CODE64_VA;
	code_pa = CODE64_PA;
}

static int decode_bytes(struct kestrel_emu_ctx *ctx,
			struct kestrel_mmio_insn *insn,
			const u8 *code, size_t len)
{
	memcpy(mem + code_pa, code, len);
	return kestrel_emu_decode_mmio(ctx, insn);
}

#define DECODE(ctx, insn, ...)						\
	decode_bytes(ctx, insn, (const u8[]){ __VA_ARGS__ },		\
		     sizeof((const u8[]){ __VA_ARGS__ }))

/* ---- 64-bit mode ---- */

TEST(long_mov_store_89)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);
	ctx.gprs[KESTREL_GPR_RCX] = 0x1122334455667788ULL;

	/* 89 08		mov %ecx,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x89, 0x08));
	EXPECT_EQ(2, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_TRUE(insn.write);
	EXPECT_EQ(0x55667788ULL, insn.value);
	EXPECT_EQ(KESTREL_GPR_RCX, insn.reg);
	EXPECT_FALSE(insn.high_byte);
	EXPECT_EQ(KESTREL_SEG_DS, insn.seg);
	EXPECT_EQ(0x1000ULL, insn.ea);
	EXPECT_EQ(CODE64_VA + 2, kestrel_emu_next_rip(&ctx, &insn));

	/* 48 89 08		mov %rcx,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0x89, 0x08));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(8, insn.size);
	EXPECT_EQ(0x1122334455667788ULL, insn.value);

	/* 66 89 08		mov %cx,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x89, 0x08));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x7788ULL, insn.value);

	/* 4c 89 38		mov %r15,(%rax) */
	ctx.gprs[KESTREL_GPR_R15] = 0xfedcba9876543210ULL;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x4c, 0x89, 0x38));
	EXPECT_EQ(8, insn.size);
	EXPECT_EQ(KESTREL_GPR_R15, insn.reg);
	EXPECT_EQ(0xfedcba9876543210ULL, insn.value);
}

TEST(long_mov_store_88_byte_registers)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);
	ctx.gprs[KESTREL_GPR_RCX] = 0x1122334455667788ULL;
	ctx.gprs[KESTREL_GPR_RBP] = 0xa1a2a3a4a5a6a7a8ULL;
	ctx.gprs[KESTREL_GPR_R9] = 0x99ULL;

	/* 88 08		mov %cl,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x88, 0x08));
	EXPECT_EQ(2, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_TRUE(insn.write);
	EXPECT_EQ(0x88ULL, insn.value);
	EXPECT_FALSE(insn.high_byte);

	/* 88 28		mov %ch,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x88, 0x28));
	EXPECT_EQ(0x77ULL, insn.value);
	EXPECT_EQ(KESTREL_GPR_RCX, insn.reg);
	EXPECT_TRUE(insn.high_byte);

	/* 40 88 28		mov %bpl,(%rax): any REX selects BPL, not CH */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x40, 0x88, 0x28));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(0xa8ULL, insn.value);
	EXPECT_EQ(KESTREL_GPR_RBP, insn.reg);
	EXPECT_FALSE(insn.high_byte);

	/* 44 88 08		mov %r9b,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x44, 0x88, 0x08));
	EXPECT_EQ(0x99ULL, insn.value);
	EXPECT_EQ(KESTREL_GPR_R9, insn.reg);
}

TEST(long_mov_load_8a_8b)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);

	/* 8b 07		mov (%rdi),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x07));
	EXPECT_EQ(2, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_FALSE(insn.write);
	EXPECT_EQ(KESTREL_GPR_RAX, insn.reg);
	EXPECT_EQ(4, insn.dst_size);
	EXPECT_FALSE(insn.sign_extend);
	EXPECT_EQ(0x1700ULL, insn.ea);

	/* 44 8b 07		mov (%rdi),%r8d */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x44, 0x8b, 0x07));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(KESTREL_GPR_R8, insn.reg);

	/* 4c 8b 3f		mov (%rdi),%r15 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x4c, 0x8b, 0x3f));
	EXPECT_EQ(8, insn.size);
	EXPECT_EQ(8, insn.dst_size);
	EXPECT_EQ(KESTREL_GPR_R15, insn.reg);

	/* 66 8b 07		mov (%rdi),%ax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x8b, 0x07));
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(2, insn.dst_size);

	/* 8a 27		mov (%rdi),%ah */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8a, 0x27));
	EXPECT_EQ(1, insn.size);
	EXPECT_EQ(1, insn.dst_size);
	EXPECT_EQ(KESTREL_GPR_RAX, insn.reg);
	EXPECT_TRUE(insn.high_byte);

	/* 40 8a 27		mov (%rdi),%spl */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x40, 0x8a, 0x27));
	EXPECT_EQ(KESTREL_GPR_RSP, insn.reg);
	EXPECT_FALSE(insn.high_byte);

	/* 8b 47 f8		mov -0x8(%rdi),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x47, 0xf8));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(0x16f8ULL, insn.ea);
}

TEST(long_mov_imm_c6_c7)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);

	/* c6 00 5a		movb $0x5a,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xc6, 0x00, 0x5a));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_TRUE(insn.write);
	EXPECT_EQ(0x5aULL, insn.value);
	EXPECT_EQ(-1, insn.reg);

	/* c7 00 78 56 34 12	movl $0x12345678,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xc7, 0x00, 0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(6, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x12345678ULL, insn.value);

	/* 66 c7 00 34 12	movw $0x1234,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0xc7, 0x00, 0x34, 0x12));
	EXPECT_EQ(5, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x1234ULL, insn.value);

	/* 48 c7 00 ff ff ff ff	movq $0xffffffffffffffff,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0xc7, 0x00,
			    0xff, 0xff, 0xff, 0xff));
	EXPECT_EQ(7, insn.len);
	EXPECT_EQ(8, insn.size);
	EXPECT_EQ(~0ULL, insn.value);

	/* 48 c7 00 00 00 00 80	movq $0xffffffff80000000,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0xc7, 0x00,
			    0x00, 0x00, 0x00, 0x80));
	EXPECT_EQ(0xffffffff80000000ULL, insn.value);

	/* 48 c7 00 ff ff ff 7f	movq $0x7fffffff,(%rax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0xc7, 0x00,
			    0xff, 0xff, 0xff, 0x7f));
	EXPECT_EQ(0x7fffffffULL, insn.value);

	/* c6 08 12: /1 is not MOV */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xc6, 0x08, 0x12));
	/* c7 f8 00 00 00 00	xbegin */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xc7, 0xf8, 0, 0, 0, 0));
}

TEST(long_rip_relative)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);

	/* c6 05 10 00 00 00 5a	movb $0x5a,0x10(%rip) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xc6, 0x05, 0x10, 0x00, 0x00, 0x00,
			    0x5a));
	EXPECT_EQ(7, insn.len);
	EXPECT_EQ(0x5aULL, insn.value);
	EXPECT_EQ(CODE64_VA + 7 + 0x10, insn.ea);

	/* 8b 05 f0 ff ff ff	mov -0x10(%rip),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff));
	EXPECT_EQ(6, insn.len);
	EXPECT_EQ(CODE64_VA + 6 - 0x10, insn.ea);

	/* 48 c7 05 00 01 00 00 ef be ad de
	 *			movq $0xffffffffdeadbeef,0x100(%rip)
	 * The immediate follows the displacement and counts toward RIP.
	 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0xc7, 0x05, 0x00, 0x01, 0x00,
			    0x00, 0xef, 0xbe, 0xad, 0xde));
	EXPECT_EQ(11, insn.len);
	EXPECT_EQ(0xffffffffdeadbeefULL, insn.value);
	EXPECT_EQ(CODE64_VA + 11 + 0x100, insn.ea);

	/* 67 8b 05 00 01 00 00	mov 0x100(%eip),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0x8b, 0x05, 0x00, 0x01, 0x00,
			    0x00));
	EXPECT_EQ(7, insn.len);
	EXPECT_EQ((u32)(CODE64_VA + 7 + 0x100), insn.ea);

	/* 41 8b 05 ...: REX.B does not turn RIP-relative into [r13] */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x41, 0x8b, 0x05, 0x10, 0x00, 0x00,
			    0x00));
	EXPECT_EQ(7, insn.len);
	EXPECT_EQ(CODE64_VA + 7 + 0x10, insn.ea);
}

TEST(long_sib)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);

	/* 8b 84 88 78 56 34 12	mov 0x12345678(%rax,%rcx,4),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x84, 0x88,
			    0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(7, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x1000ULL + 0x1100 * 4 + 0x12345678, insn.ea);

	/* 8b 44 24 08		mov 0x8(%rsp),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x44, 0x24, 0x08));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(0x1408ULL, insn.ea);
	EXPECT_EQ(KESTREL_SEG_SS, insn.seg);

	/* 41 8b 04 24		mov (%r12),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x41, 0x8b, 0x04, 0x24));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(0x1c00ULL, insn.ea);
	EXPECT_EQ(KESTREL_SEG_DS, insn.seg);

	/* 41 8b 45 00		mov 0x0(%r13),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x41, 0x8b, 0x45, 0x00));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(0x1d00ULL, insn.ea);

	/* 42 8b 04 20		mov (%rax,%r12,1),%eax: REX.X makes 100 R12 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x42, 0x8b, 0x04, 0x20));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(0x1000ULL + 0x1c00, insn.ea);

	/* 8b 04 20		mov (%rax,%riz,1),%eax: no index */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x04, 0x20));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(0x1000ULL, insn.ea);

	/* 41 8b 04 25 78 56 34 12	mov 0x12345678,%eax: no base even with REX.B */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x41, 0x8b, 0x04, 0x25,
			    0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(8, insn.len);
	EXPECT_EQ(0x12345678ULL, insn.ea);

	/* 8b 4c 8d f0		mov -0x10(%rbp,%rcx,4),%ecx */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x4c, 0x8d, 0xf0));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(KESTREL_GPR_RCX, insn.reg);
	EXPECT_EQ(0x1500ULL + 0x1100 * 4 - 0x10, insn.ea);
	EXPECT_EQ(KESTREL_SEG_SS, insn.seg);

	/* 67 8b 07		mov (%edi),%eax: 32-bit address size */
	ctx.gprs[KESTREL_GPR_RDI] = 0x100001234ULL;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0x8b, 0x07));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(0x1234ULL, insn.ea);
}

TEST(long_moffs)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);
	ctx.gprs[KESTREL_GPR_RAX] = 0x1122334455667788ULL;

	/* 48 a1 f0 de bc 9a 78 56 34 12  movabs 0x123456789abcdef0,%rax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0xa1, 0xf0, 0xde, 0xbc, 0x9a,
			    0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(10, insn.len);
	EXPECT_EQ(8, insn.size);
	EXPECT_FALSE(insn.write);
	EXPECT_EQ(KESTREL_GPR_RAX, insn.reg);
	EXPECT_EQ(8, insn.dst_size);
	EXPECT_EQ(0x123456789abcdef0ULL, insn.ea);

	/* a2 08 07 06 05 04 03 02 01	movabs %al,0x102030405060708 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa2, 0x08, 0x07, 0x06, 0x05, 0x04,
			    0x03, 0x02, 0x01));
	EXPECT_EQ(9, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_TRUE(insn.write);
	EXPECT_EQ(0x88ULL, insn.value);
	EXPECT_EQ(0x102030405060708ULL, insn.ea);

	/* a3 08 07 06 05 04 03 02 01	movabs %eax,0x102030405060708 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa3, 0x08, 0x07, 0x06, 0x05, 0x04,
			    0x03, 0x02, 0x01));
	EXPECT_EQ(9, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x55667788ULL, insn.value);

	/* 66 a3 ...		movabs %ax,0x102030405060708 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0xa3, 0x08, 0x07, 0x06, 0x05,
			    0x04, 0x03, 0x02, 0x01));
	EXPECT_EQ(10, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x7788ULL, insn.value);

	/* 67 a1 78 56 34 12	addr32 mov 0x12345678,%eax: 4-byte moffs */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0xa1, 0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(6, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x12345678ULL, insn.ea);

	/* a0 ... with no REX: still AL, never AH */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa0, 1, 2, 3, 4, 5, 6, 7, 8));
	EXPECT_EQ(9, insn.len);
	EXPECT_EQ(KESTREL_GPR_RAX, insn.reg);
	EXPECT_FALSE(insn.high_byte);
}

TEST(long_movzx_movsx_movsxd)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);

	/* 0f b6 07		movzbl (%rdi),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x0f, 0xb6, 0x07));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_FALSE(insn.write);
	EXPECT_EQ(4, insn.dst_size);
	EXPECT_FALSE(insn.sign_extend);

	/* 66 0f b6 07		movzbw (%rdi),%ax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x0f, 0xb6, 0x07));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_EQ(2, insn.dst_size);

	/* 48 0f b7 07		movzwq (%rdi),%rax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0x0f, 0xb7, 0x07));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(8, insn.dst_size);

	/* 0f be 0f		movsbl (%rdi),%ecx */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x0f, 0xbe, 0x0f));
	EXPECT_EQ(1, insn.size);
	EXPECT_EQ(4, insn.dst_size);
	EXPECT_EQ(KESTREL_GPR_RCX, insn.reg);
	EXPECT_TRUE(insn.sign_extend);

	/* 4c 0f bf 07		movswq (%rdi),%r8 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x4c, 0x0f, 0xbf, 0x07));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(8, insn.dst_size);
	EXPECT_EQ(KESTREL_GPR_R8, insn.reg);
	EXPECT_TRUE(insn.sign_extend);

	/* 48 63 07		movslq (%rdi),%rax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0x63, 0x07));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(8, insn.dst_size);
	EXPECT_TRUE(insn.sign_extend);

	/* 0f b6 c0		movzbl %al,%eax: no memory operand */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x0f, 0xb6, 0xc0));
}

TEST(long_prefixes)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);
	ctx.gprs[KESTREL_GPR_RCX] = 0x1122334455667788ULL;

	/* 66 48 89 08		mov %rcx,(%rax): REX.W beats 66 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x48, 0x89, 0x08));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(8, insn.size);

	/* 48 66 89 08		data16 mov %cx,(%rax): REX not last is ignored */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x48, 0x66, 0x89, 0x08));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(2, insn.size);

	/* 44 3e 89 08		ds mov %ecx,(%rax): REX.R lost too */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x44, 0x3e, 0x89, 0x08));
	EXPECT_EQ(KESTREL_GPR_RCX, insn.reg);

	/* 41 44 89 08		mov %r9d,(%rax): the last REX counts */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x41, 0x44, 0x89, 0x08));
	EXPECT_EQ(KESTREL_GPR_R9, insn.reg);
	EXPECT_EQ(0x1000ULL, insn.ea);

	/* 65 48 8b 04 25 10 00 00 00	mov %gs:0x10,%rax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x65, 0x48, 0x8b, 0x04, 0x25,
			    0x10, 0x00, 0x00, 0x00));
	EXPECT_EQ(9, insn.len);
	EXPECT_EQ(KESTREL_SEG_GS, insn.seg);
	EXPECT_EQ(0x10ULL, insn.ea);

	/* 64 8b 00		mov %fs:(%rax),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x64, 0x8b, 0x00));
	EXPECT_EQ(KESTREL_SEG_FS, insn.seg);

	/* 26 8b 45 00		mov %es:0x0(%rbp),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x26, 0x8b, 0x45, 0x00));
	EXPECT_EQ(KESTREL_SEG_ES, insn.seg);

	/* f0 / f3 / f2 are ignored for these forms */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xf3, 0x89, 0x08));
	EXPECT_EQ(3, insn.len);
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xf2, 0xf0, 0x89, 0x08));
	EXPECT_EQ(4, insn.len);
}

TEST(prefix_limit)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;
	u8 code[16];

	ctx_long(&ctx);

	/* 13 prefixes + 89 08 = 15 bytes: the longest legal instruction */
	memset(code, 0x3e, sizeof(code));
	code[13] = 0x89;
	code[14] = 0x08;
	ASSERT_EQ(0, decode_bytes(&ctx, &insn, code, 15));
	EXPECT_EQ(15, insn.len);

	/* 14 prefixes + 89 08 = 16 bytes */
	memset(code, 0x3e, sizeof(code));
	code[14] = 0x89;
	code[15] = 0x08;
	EXPECT_EQ(-EOPNOTSUPP, decode_bytes(&ctx, &insn, code, 16));

	/* 15 bytes of prefixes and nothing else */
	memset(code, 0x66, sizeof(code));
	EXPECT_EQ(-EOPNOTSUPP, decode_bytes(&ctx, &insn, code, 16));

	/* 14 REX prefixes, opcode and ModRM: 16 bytes */
	memset(code, 0x48, sizeof(code));
	code[14] = 0x89;
	code[15] = 0x08;
	EXPECT_EQ(-EOPNOTSUPP, decode_bytes(&ctx, &insn, code, 16));
}

TEST(unsupported)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);
	/* f3 a4		rep movsb */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xf3, 0xa4));
	/* a5			movsl */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xa5));
	/* f3 ab		rep stos %eax,(%rdi) */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xf3, 0xab));
	/* 0f 0b		ud2 */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x0f, 0x0b));
	/* 89 c8		mov %ecx,%eax: mod=11 */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x89, 0xc8));
	/* 8a c4		mov %ah,%al */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x8a, 0xc4));
	/* c6 c0 12		mov $0x12,%al */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xc6, 0xc0, 0x12));
	/* ff 00		incl (%rax) */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xff, 0x00));
	/* 01 08		add %ecx,(%rax) */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x01, 0x08));
	/* 0f 10 07		movups (%rdi),%xmm0 */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x0f, 0x10, 0x07));
	/* c5 f9 6f 07		vmovdqa (%rdi),%xmm0 */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0xc5, 0xf9, 0x6f, 0x07));
	/* 87 08		xchg %ecx,(%rax) */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x87, 0x08));
}

/* ---- 32-bit protected mode ---- */

TEST(prot32_decode)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_prot32(&ctx, 0x20000);
	ctx.gprs[KESTREL_GPR_RCX] = 0x55667788;
	ctx.gprs[KESTREL_GPR_RAX] = 0x11223344;

	/* 89 08		mov %ecx,(%eax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x89, 0x08));
	EXPECT_EQ(2, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x55667788ULL, insn.value);
	EXPECT_EQ(0x11223344ULL, insn.ea);

	/* 66 89 08		mov %cx,(%eax) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x89, 0x08));
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x7788ULL, insn.value);

	/* 8b 44 24 08		mov 0x8(%esp),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x44, 0x24, 0x08));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(KESTREL_SEG_SS, insn.seg);
	EXPECT_EQ(0x1408ULL, insn.ea);

	/* c7 05 00 10 00 00 78 56 34 12  movl $0x12345678,0x1000: absolute */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xc7, 0x05, 0x00, 0x10, 0x00, 0x00,
			    0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(10, insn.len);
	EXPECT_EQ(0x12345678ULL, insn.value);
	EXPECT_EQ(0x1000ULL, insn.ea);

	/* 8a 27		mov (%edi),%ah */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8a, 0x27));
	EXPECT_EQ(KESTREL_GPR_RAX, insn.reg);
	EXPECT_TRUE(insn.high_byte);

	/* 0f b7 03		movzwl (%ebx),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x0f, 0xb7, 0x03));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(4, insn.dst_size);

	/* 0f bf 03		movswl (%ebx),%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x0f, 0xbf, 0x03));
	EXPECT_TRUE(insn.sign_extend);

	/* 67 8b 07		mov (%bx),%eax: 16-bit addressing */
	ctx.gprs[KESTREL_GPR_RBX] = 0x12345678;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0x8b, 0x07));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x5678ULL, insn.ea);

	/* 48 89 08: 48 is DEC %eax here, not REX.W */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x48, 0x89, 0x08));
	/* 63 07		arpl %ax,(%edi) */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x63, 0x07));
}

TEST(prot32_moffs)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_prot32(&ctx, 0x20000);
	ctx.gprs[KESTREL_GPR_RAX] = 0xaabbccdd;

	/* a1 78 56 34 12	mov 0x12345678,%eax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa1, 0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(5, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_FALSE(insn.write);
	EXPECT_EQ(0x12345678ULL, insn.ea);

	/* a2 78 56 34 12	mov %al,0x12345678 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa2, 0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(5, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_TRUE(insn.write);
	EXPECT_EQ(0xddULL, insn.value);

	/* 66 a3 78 56 34 12	mov %ax,0x12345678 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0xa3, 0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(6, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0xccddULL, insn.value);

	/* 67 a1 34 12		addr16 mov 0x1234,%eax: 2-byte moffs */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0xa1, 0x34, 0x12));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(0x1234ULL, insn.ea);
}

TEST(prot32_linear_address)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	/* The fetch is at CS.base + EIP ... */
	ctx_prot32(&ctx, 0x20000);
	ctx.cs_base = 0x1000;
	code_pa = 0x21000;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x89, 0x08));
	EXPECT_EQ(2, insn.len);

	/* ... and wraps at 4 GiB. */
	ctx.cs_base = 0xfffff000;
	ctx.rip = 0x21000;
	code_pa = 0x20000;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x88, 0x08));
	EXPECT_EQ(1, insn.size);

	/* The next EIP wraps too. */
	ctx.rip = 0xffffffff;
	insn.len = 2;
	EXPECT_EQ(1ULL, kestrel_emu_next_rip(&ctx, &insn));

	/* Compatibility mode: EFER.LMA without CS.L is 32-bit code. */
	ctx.cr0 |= CR0_PG;
	ctx.cr4 = CR4_PAE;
	ctx.efer = EFER_LME | EFER_LMA;
	ctx.cr3 = pt_alloc();
	ctx.cs_base = 0;
	ctx.rip = 0x20000;
	map64(ctx.cr3, 4, 0x20000, 0x20000, 1, 0);
	/* 48 89 08: DEC, so unsupported */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x48, 0x89, 0x08));
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa1, 0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(5, insn.len);

	/* The 4 GiB wrap of CS.base + EIP holds under 4-level paging too */
	ctx.cs_base = 0xfffff000;
	ctx.rip = 0x21000;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x89, 0x08));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(2, insn.size);
}

/* ---- 16-bit code ---- */

TEST(real_mode_decode)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_real(&ctx, 0x1000, 0x100);
	ctx.gprs[KESTREL_GPR_RAX] = 0x11223344;

	/* 89 07		mov %ax,(%bx) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x89, 0x07));
	EXPECT_EQ(2, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_TRUE(insn.write);
	EXPECT_EQ(0x3344ULL, insn.value);
	EXPECT_EQ(0x1300ULL, insn.ea);
	EXPECT_EQ(0x102ULL, kestrel_emu_next_rip(&ctx, &insn));

	/* 66 89 07		mov %eax,(%bx) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x89, 0x07));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x11223344ULL, insn.value);

	/* 8b 40 05		mov 0x5(%bx,%si),%ax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x40, 0x05));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_FALSE(insn.write);
	EXPECT_EQ(KESTREL_GPR_RAX, insn.reg);
	EXPECT_EQ(2, insn.dst_size);
	EXPECT_EQ(0x1300ULL + 0x1600 + 5, insn.ea);
	EXPECT_EQ(KESTREL_SEG_DS, insn.seg);

	/* 8b 40 05 with BX+SI+5 past 64K wraps the offset */
	ctx.gprs[KESTREL_GPR_RBX] = 0xfffe;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x40, 0x05));
	EXPECT_EQ((0xfffeULL + 0x1600 + 5) & 0xffff, insn.ea);
	ctx.gprs[KESTREL_GPR_RBX] = 0x1300;

	/* 8b 46 fe		mov -0x2(%bp),%ax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x46, 0xfe));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(KESTREL_SEG_SS, insn.seg);
	EXPECT_EQ(0x14feULL, insn.ea);

	/* 8b 82 00 80		mov -0x8000(%bp,%si),%ax: disp16 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x8b, 0x82, 0x00, 0x80));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(KESTREL_SEG_SS, insn.seg);
	EXPECT_EQ((0x1500ULL + 0x1600 + 0x8000) & 0xffff, insn.ea);

	/* c6 06 34 12 56	movb $0x56,0x1234 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xc6, 0x06, 0x34, 0x12, 0x56));
	EXPECT_EQ(5, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_EQ(0x56ULL, insn.value);
	EXPECT_EQ(0x1234ULL, insn.ea);
	EXPECT_EQ(KESTREL_SEG_DS, insn.seg);

	/* c7 07 34 12		movw $0x1234,(%bx) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xc7, 0x07, 0x34, 0x12));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x1234ULL, insn.value);

	/* 66 c7 07 78 56 34 12	movl $0x12345678,(%bx) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0xc7, 0x07,
			    0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(7, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0x12345678ULL, insn.value);

	/* 26 8a 27		mov %es:(%bx),%ah */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x26, 0x8a, 0x27));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(KESTREL_SEG_ES, insn.seg);
	EXPECT_EQ(KESTREL_GPR_RAX, insn.reg);
	EXPECT_TRUE(insn.high_byte);

	/* 0f b6 07		movzbw (%bx),%ax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x0f, 0xb6, 0x07));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(1, insn.size);
	EXPECT_EQ(2, insn.dst_size);

	/* 67 8b 03		mov (%ebx),%ax: 32-bit addressing */
	ctx.gprs[KESTREL_GPR_RBX] = 0x12345678;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0x8b, 0x03));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x12345678ULL, insn.ea);

	/* 67 8b 44 8b 08	mov 0x8(%ebx,%ecx,4),%ax: SIB */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0x8b, 0x44, 0x8b, 0x08));
	EXPECT_EQ(5, insn.len);
	EXPECT_EQ(0x12345678ULL + 0x1100 * 4 + 8, insn.ea);

	/* 63 07 is ARPL outside 64-bit mode */
	EXPECT_EQ(-EOPNOTSUPP, DECODE(&ctx, &insn, 0x63, 0x07));
}

TEST(real_mode_moffs)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_real(&ctx, 0xf000, 0xfff0);
	ctx.gprs[KESTREL_GPR_RAX] = 0xaabbccdd;

	/* a1 34 12		mov 0x1234,%ax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa1, 0x34, 0x12));
	EXPECT_EQ(3, insn.len);
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x1234ULL, insn.ea);

	/* a0 34 12		mov 0x1234,%al */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0xa0, 0x34, 0x12));
	EXPECT_EQ(1, insn.size);

	/* 66 a3 34 12		mov %eax,0x1234 */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0xa3, 0x34, 0x12));
	EXPECT_EQ(4, insn.len);
	EXPECT_EQ(4, insn.size);
	EXPECT_EQ(0xaabbccddULL, insn.value);

	/* 67 a1 78 56 34 12	addr32 mov 0x12345678,%ax */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x67, 0xa1, 0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(6, insn.len);
	EXPECT_EQ(0x12345678ULL, insn.ea);
}

TEST(sixteen_bit_protected)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	/* A 16-bit protected-mode segment (CS.D = 0) */
	ctx_prot32(&ctx, 0x20000);
	ctx.cs_db = false;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x89, 0x07));
	EXPECT_EQ(2, insn.size);
	EXPECT_EQ(0x1300ULL, insn.ea);
	/* 66 89 07		mov %eax,(%bx) */
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0x89, 0x07));
	EXPECT_EQ(4, insn.size);

	/* Real mode is 16-bit whatever the CS cache says */
	ctx_real(&ctx, 0x1000, 0x100);
	ctx.cs_db = true;
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x89, 0x07));
	EXPECT_EQ(2, insn.size);
}

/* ---- Page walks ---- */

static void ctx_paging(struct kestrel_emu_ctx *ctx, u64 cr4, u64 efer)
{
	ctx_init(ctx);
	ctx->cr0 = CR0_PE | CR0_PG;
	ctx->cr4 = cr4;
	ctx->efer = efer;
	ctx->cr3 = pt_alloc();
}

TEST(walk_no_paging)
{
	struct kestrel_emu_ctx ctx;
	u64 gpa;

	ctx_init(&ctx);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x12345678, &gpa));
	EXPECT_EQ(0x12345678ULL, gpa);
	ctx.cr0 = CR0_PE;
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x1fffff000ULL, &gpa));
	EXPECT_EQ(0xfffff000ULL, gpa);
}

TEST(walk_32bit)
{
	struct kestrel_emu_ctx ctx;
	u64 gpa;

	ctx_paging(&ctx, 0, 0);
	map32(ctx.cr3, 0xc0001000, 0x5000, false);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0xc0001abc, &gpa));
	EXPECT_EQ(0x5abcULL, gpa);

	/* Same page table, neighbouring page not present */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0xc0002000, &gpa));
	/* PDE not present */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x80000000, &gpa));

	/* A PS bit without CR4.PSE is ignored: the PDE points to a table. */
	wr32(ctx.cr3 + (0x40000000 >> 22) * 4, 0x7000 | PTE_P | PTE_PS);
	wr32(0x7000 + 3 * 4, 0x9000 | PTE_P);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x40003010, &gpa));
	EXPECT_EQ(0x9010ULL, gpa);
}

TEST(walk_32bit_4m_pse)
{
	struct kestrel_emu_ctx ctx;
	u64 gpa;

	ctx_paging(&ctx, CR4_PSE, 0);
	map32(ctx.cr3, 0xc0000000, 0x00400000, true);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0xc0123456, &gpa));
	EXPECT_EQ(0x00523456ULL, gpa);

	/* PSE-36: PDE bits 20:13 are physical bits 39:32; bit 12 is PAT. */
	wr32(ctx.cr3 + (0x80000000 >> 22) * 4,
	     0xfc000000 | (0x12 << 13) | PTE_PAT_LARGE | PTE_P | PTE_PS);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x803fffff, &gpa));
	EXPECT_EQ(0x12fc3fffffULL, gpa);

	/* And 4K pages still work beside them */
	map32(ctx.cr3, 0x00401000, 0x3000, false);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x00401fff, &gpa));
	EXPECT_EQ(0x3fffULL, gpa);
}

TEST(walk_pae)
{
	struct kestrel_emu_ctx ctx;
	u64 gpa, pdpt;

	ctx_paging(&ctx, CR4_PAE, 0);
	/* CR3 points to a 32-byte-aligned PDPT, not necessarily a page */
	pdpt = ctx.cr3 + 0x20;
	ctx.cr3 = pdpt;
	map64(pdpt, 3, 0xc0201000, 0x123456000ULL, 1, 0);
	/* The PAE PDPTE has no RW bit; keep it architectural. */
	wr64(pdpt + 3 * 8, rd64(pdpt + 3 * 8) & ~PTE_RW);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0xc0201234, &gpa));
	EXPECT_EQ(0x123456234ULL, gpa);

	/* 2 MiB page; PAT (bit 12) is not an address bit; NX is not either */
	map64(pdpt, 3, 0xc0400000, 0x40000000ULL, 2,
	      PTE_PAT_LARGE | (1ULL << 63));
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0xc05fffff, &gpa));
	EXPECT_EQ(0x401fffffULL, gpa);

	/* Only bits 31:0 of the address count */
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x1c0201234ULL, &gpa));
	EXPECT_EQ(0x123456234ULL, gpa);

	/* PDPTE not present */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x00001000, &gpa));
	/* PDE not present */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0xc0800000, &gpa));
	/* PTE not present */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0xc0202000, &gpa));
	/* A PDPTE with PS set is reserved in PAE paging (the walk would
	 * otherwise go on to a valid 2 MiB PDE)
	 */
	wr64(0x5000, 0x600000 | PTE_P | PTE_PS);
	wr64(pdpt + 2 * 8, 0x5000 | PTE_P | PTE_PS);
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x80000000, &gpa));
}

TEST(walk_long_4level)
{
	struct kestrel_emu_ctx ctx;
	u64 gpa;

	ctx_paging(&ctx, CR4_PAE, EFER_LME | EFER_LMA);
	/* CR3 low bits carry a PCID; they are not address bits */
	map64(ctx.cr3, 4, 0xffff888000001000ULL, 0xabcdef000ULL, 1, 0);
	ctx.cr3 |= 0x123;
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0xffff888000001fedULL,
					    &gpa));
	EXPECT_EQ(0xabcdeffedULL, gpa);

	/* 2 MiB page */
	map64(ctx.cr3 & ~0xfffULL, 4, 0x7f0000200000ULL, 0x80000000ULL, 2,
	      PTE_PAT_LARGE);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x7f00002abcdeULL, &gpa));
	EXPECT_EQ(0x800abcdeULL, gpa);

	/* 1 GiB page */
	map64(ctx.cr3 & ~0xfffULL, 4, 0xffffc00000000000ULL, 0x1c0000000ULL,
	      3, PTE_PAT_LARGE);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0xffffc0003fffffffULL,
					    &gpa));
	EXPECT_EQ(0x1ffffffffULL, gpa);

	/* Not present at each level */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x1000, &gpa));
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx,
						  0xffff888040000000ULL,
						  &gpa));
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx,
						  0xffff888000200000ULL,
						  &gpa));
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx,
						  0xffff888000002000ULL,
						  &gpa));
	/* Non-canonical */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx,
						  0x0000888000001000ULL,
						  &gpa));
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x800000000000ULL,
						  &gpa));
}

TEST(walk_long_bad_tables)
{
	struct kestrel_emu_ctx ctx;
	u64 gpa, slot;

	ctx_paging(&ctx, CR4_PAE, EFER_LMA);
	/* PS in a PML4E is reserved (the PDPTE it points to maps 1 GiB) */
	wr64(0x5000, PTE_P | PTE_PS);
	wr64(ctx.cr3, 0x5000 | PTE_P | PTE_PS);
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x1000, &gpa));

	/* A table outside guest RAM */
	wr64(ctx.cr3, 0x7ffff000ULL | PTE_P);
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x1000, &gpa));

	/* CR3 outside guest RAM */
	ctx.cr3 = 0x100000000ULL;
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x1000, &gpa));

	/* A loop in the tables ends after four levels */
	ctx.cr3 = pt_alloc();
	slot = ctx.cr3;
	wr64(slot, ctx.cr3 | PTE_P);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x0, &gpa));
	EXPECT_EQ(ctx.cr3, gpa);
}

TEST(walk_long_5level)
{
	struct kestrel_emu_ctx ctx;
	u64 gpa;

	ctx_paging(&ctx, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA);
	map64(ctx.cr3, 5, 0xff11000000401000ULL, 0x6000, 1, 0);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0xff11000000401123ULL,
					    &gpa));
	EXPECT_EQ(0x6123ULL, gpa);

	/* 1 GiB and 2 MiB pages under a PML5 */
	map64(ctx.cr3, 5, 0x00ff800000000000ULL, 0x40000000ULL, 3, 0);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x00ff800012345678ULL,
					    &gpa));
	EXPECT_EQ(0x52345678ULL, gpa);
	map64(ctx.cr3, 5, 0x00ff800040000000ULL, 0x200000ULL, 2, 0);
	ASSERT_EQ(0, kestrel_emu_gva_to_gpa(&ctx, 0x00ff800040012345ULL,
					    &gpa));
	EXPECT_EQ(0x212345ULL, gpa);

	/* Bits 56:48 select the PML5E: a 4-level walk would find nothing */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0xff12000000401123ULL,
						  &gpa));
	/* Non-canonical with 57 bits */
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0x0100000000000000ULL,
						  &gpa));
	/* PS in a PML5E is reserved (the PML4E it points to is valid) */
	wr64(0x5000 + 0x1fe * 8, 0x6000 | PTE_P);
	wr64(0x6000, PTE_P | PTE_PS);
	wr64(ctx.cr3 + 0x1ff * 8, 0x5000 | PTE_P | PTE_PS);
	EXPECT_EQ(-EFAULT, kestrel_emu_gva_to_gpa(&ctx, 0xffff000000000000ULL,
						  &gpa));
}

/* ---- Fetch across pages ---- */

TEST(fetch_crosses_page)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;
	/* 48 c7 80 78 56 34 12 ef be ad de
	 *			movq $0xffffffffdeadbeef,0x12345678(%rax)
	 */
	static const u8 code[] = { 0x48, 0xc7, 0x80, 0x78, 0x56, 0x34, 0x12,
				   0xef, 0xbe, 0xad, 0xde };

	ctx_long(&ctx);
	/* Four bytes at the end of the first page, seven on the second */
	ctx.rip = CODE64_VA + 0xc;
	memset(mem + 0x11000, 0xcc, 16);	/* physically adjacent: wrong */
	memcpy(mem + 0x10ffc, code, 4);
	memcpy(mem + CODE64_PA2, code + 4, sizeof(code) - 4);
	ASSERT_EQ(0, kestrel_emu_decode_mmio(&ctx, &insn));
	EXPECT_EQ(11, insn.len);
	EXPECT_EQ(8, insn.size);
	EXPECT_EQ(0xffffffffdeadbeefULL, insn.value);
	EXPECT_EQ(0x1000ULL + 0x12345678, insn.ea);
}

TEST(fetch_second_page_missing)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	ctx_long(&ctx);
	ctx.cr3 = pt_alloc();
	map64(ctx.cr3, 4, CODE64_VA, CODE64_PA & ~0xfffULL, 1, 0);

	/* 89 08 at the last two bytes of the page: fits, decodes */
	ctx.rip = CODE64_VA + 0xe;
	memcpy(mem + 0x10ffe, (u8[]){ 0x89, 0x08 }, 2);
	ASSERT_EQ(0, kestrel_emu_decode_mmio(&ctx, &insn));
	EXPECT_EQ(2, insn.len);

	/* c7 00 + imm32 needs the next page, which is not mapped */
	ctx.rip = CODE64_VA + 0xd;
	memcpy(mem + 0x10ffd, (u8[]){ 0xc7, 0x00, 0x78 }, 3);
	EXPECT_EQ(-EFAULT, kestrel_emu_decode_mmio(&ctx, &insn));

	/* RIP itself not mapped */
	ctx.rip = CODE64_VA + 0x1010;
	EXPECT_EQ(-EFAULT, kestrel_emu_decode_mmio(&ctx, &insn));

	/* Code in an MMIO hole (read_gpa refuses it) */
	map64(ctx.cr3, 4, CODE64_VA + 0x2000, 0x7fff0000ULL, 1, 0);
	ctx.rip = CODE64_VA + 0x2000;
	EXPECT_EQ(-EFAULT, kestrel_emu_decode_mmio(&ctx, &insn));

	/* Non-canonical RIP */
	ctx.rip = 0x8000000000000000ULL;
	EXPECT_EQ(-EFAULT, kestrel_emu_decode_mmio(&ctx, &insn));
}

TEST(fetch_real_mode_crosses_page)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;

	/* 66 c7 07 78 56 34 12 at 1000:0ffd, linear 0x10ffd..0x11003 */
	ctx_real(&ctx, 0x1000, 0x0ffd);
	ASSERT_EQ(0, DECODE(&ctx, &insn, 0x66, 0xc7, 0x07,
			    0x78, 0x56, 0x34, 0x12));
	EXPECT_EQ(7, insn.len);
	EXPECT_EQ(0x12345678ULL, insn.value);
}

/* ---- Load completion ---- */

static void load(struct kestrel_emu_ctx *ctx, const u8 *code, size_t len,
		 u64 data)
{
	struct kestrel_mmio_insn insn;

	if (decode_bytes(ctx, &insn, code, len))
		abort();
	kestrel_emu_complete_load(ctx, &insn, data);
}

#define LOAD(ctx, data, ...)						\
	load(ctx, (const u8[]){ __VA_ARGS__ },				\
	     sizeof((const u8[]){ __VA_ARGS__ }), data)

TEST(complete_load)
{
	struct kestrel_emu_ctx ctx;
	const u64 junk = 0x1111111111111111ULL;

	ctx_long(&ctx);

	/* 8b 07 mov (%rdi),%eax: a 32-bit write clears bits 63:32 */
	ctx.gprs[KESTREL_GPR_RAX] = ~0ULL;
	LOAD(&ctx, 0xfedcba9887654321ULL, 0x8b, 0x07);
	EXPECT_EQ(0x87654321ULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 48 8b 07 mov (%rdi),%rax */
	LOAD(&ctx, 0xfedcba9887654321ULL, 0x48, 0x8b, 0x07);
	EXPECT_EQ(0xfedcba9887654321ULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 66 8b 07 mov (%rdi),%ax: 16-bit write keeps the rest */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0xabcd, 0x66, 0x8b, 0x07);
	EXPECT_EQ(0x111111111111abcdULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 8a 07 mov (%rdi),%al */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0xfe, 0x8a, 0x07);
	EXPECT_EQ(0x11111111111111feULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 8a 3f mov (%rdi),%bh */
	ctx.gprs[KESTREL_GPR_RBX] = junk;
	LOAD(&ctx, 0xab, 0x8a, 0x3f);
	EXPECT_EQ(0x111111111111ab11ULL, ctx.gprs[KESTREL_GPR_RBX]);

	/* 40 8a 3f mov (%rdi),%dil */
	ctx.gprs[KESTREL_GPR_RDI] = junk;
	LOAD(&ctx, 0xab, 0x40, 0x8a, 0x3f);
	EXPECT_EQ(0x11111111111111abULL, ctx.gprs[KESTREL_GPR_RDI]);

	/* Bits of @data beyond the access size are ignored */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0xffffffffffff00feULL, 0x8a, 0x07);
	EXPECT_EQ(0x11111111111111feULL, ctx.gprs[KESTREL_GPR_RAX]);
}

TEST(complete_load_movzx_movsx)
{
	struct kestrel_emu_ctx ctx;
	const u64 junk = 0x1111111111111111ULL;

	ctx_long(&ctx);

	/* 0f b6 07 movzbl (%rdi),%eax */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0xff, 0x0f, 0xb6, 0x07);
	EXPECT_EQ(0xffULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 66 0f b6 07 movzbw (%rdi),%ax: zero-extends to 16 bits only */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0xff, 0x66, 0x0f, 0xb6, 0x07);
	EXPECT_EQ(0x11111111111100ffULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 48 0f b7 07 movzwq (%rdi),%rax */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0x8000, 0x48, 0x0f, 0xb7, 0x07);
	EXPECT_EQ(0x8000ULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 0f be 07 movsbl (%rdi),%eax: sign to 32, then zero above */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0x80, 0x0f, 0xbe, 0x07);
	EXPECT_EQ(0xffffff80ULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 48 0f be 07 movsbq (%rdi),%rax */
	LOAD(&ctx, 0x80, 0x48, 0x0f, 0xbe, 0x07);
	EXPECT_EQ(0xffffffffffffff80ULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 66 0f be 07 movsbw (%rdi),%ax */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0x80, 0x66, 0x0f, 0xbe, 0x07);
	EXPECT_EQ(0x111111111111ff80ULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 4c 0f bf 07 movswq (%rdi),%r8 */
	LOAD(&ctx, 0x8001, 0x4c, 0x0f, 0xbf, 0x07);
	EXPECT_EQ(0xffffffffffff8001ULL, ctx.gprs[KESTREL_GPR_R8]);

	/* 0f be 07 with a positive byte */
	LOAD(&ctx, 0x7f, 0x0f, 0xbe, 0x07);
	EXPECT_EQ(0x7fULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 48 63 07 movslq (%rdi),%rax */
	LOAD(&ctx, 0x80000000, 0x48, 0x63, 0x07);
	EXPECT_EQ(0xffffffff80000000ULL, ctx.gprs[KESTREL_GPR_RAX]);

	/* 63 07 movsxd (%rdi),%eax without REX.W: a plain 32-bit load */
	ctx.gprs[KESTREL_GPR_RAX] = junk;
	LOAD(&ctx, 0x80000000, 0x63, 0x07);
	EXPECT_EQ(0x80000000ULL, ctx.gprs[KESTREL_GPR_RAX]);
}

TEST(complete_load_ignores_stores_and_bad_insns)
{
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn = { .write = true, .reg = 0, .size = 4,
					  .dst_size = 4 };

	ctx_long(&ctx);
	kestrel_emu_complete_load(&ctx, &insn, 0);
	EXPECT_EQ(0x1000ULL, ctx.gprs[KESTREL_GPR_RAX]);

	insn.write = false;
	insn.reg = -1;
	kestrel_emu_complete_load(&ctx, &insn, 0);
	insn.reg = KESTREL_NR_GPRS;
	kestrel_emu_complete_load(&ctx, &insn, 0);
	EXPECT_EQ(0x1000ULL, ctx.gprs[KESTREL_GPR_RAX]);
}

/* ---- Robustness ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Random bytes, biased toward prefixes and the supported opcodes, in every
 * mode and across a page boundary: the decoder returns only 0, -EOPNOTSUPP
 * or -EFAULT, never claims more than 15 bytes, and a success is consistent.
 */
TEST(random_bytes)
{
	static const u8 hot[] = { 0x66, 0x67, 0x48, 0x41, 0x4c, 0x40, 0xf3,
				  0x3e, 0x65, 0x0f, 0x88, 0x89, 0x8a, 0x8b,
				  0xc6, 0xc7, 0xa1, 0xa2, 0xb6, 0xbf, 0x63,
				  0x04, 0x05, 0x24, 0x25, 0x44, 0x84 };
	struct kestrel_emu_ctx ctx;
	struct kestrel_mmio_insn insn;
	unsigned int iter, i, ok = 0;

	for (iter = 0; iter < 200000; iter++) {
		u64 r = rng();
		int ret;

		switch (r % 4) {
		case 0:
			ctx_long(&ctx);
			break;
		case 1:
			ctx_prot32(&ctx, 0x20000);
			break;
		case 2:
			ctx_real(&ctx, 0x1000, 0x100);
			break;
		default:
			ctx_long(&ctx);
			ctx.rip = CODE64_VA + 8;	/* crosses at byte 8 */
			code_pa = CODE64_PA + 8;
			break;
		}
		for (i = 0; i < 16; i++)
			ctx.gprs[i] = rng();
		for (i = 0; i < 15; i++) {
			u64 b = rng();

			mem[code_pa + i] = (b & 1) ? hot[(b >> 1) % sizeof(hot)]
						   : (u8)(b >> 8);
		}
		if ((r % 4) == 3)
			memcpy(mem + CODE64_PA2, mem + code_pa + 8, 7);
		ret = kestrel_emu_decode_mmio(&ctx, &insn);
		ASSERT_TRUE(ret == 0 || ret == -EOPNOTSUPP || ret == -EFAULT);
		if (ret)
			continue;
		ok++;
		ASSERT_LE(insn.len, 15);
		ASSERT_GE(insn.len, 2);
		ASSERT_TRUE(insn.size == 1 || insn.size == 2 ||
			    insn.size == 4 || insn.size == 8);
		if (insn.write) {
			ASSERT_EQ(0ULL, insn.value & ~emu_mask(insn.size));
		} else {
			ASSERT_TRUE(insn.reg >= 0 && insn.reg < 16);
			ASSERT_GE(insn.dst_size, insn.size);
		}
		kestrel_emu_complete_load(&ctx, &insn, rng());
	}
	/* The bias makes a good share decodable */
	EXPECT_LT(1000U, ok);
}

TEST_HARNESS_MAIN
