/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One trip into an SVM guest.
 *
 * kestrel_svm_run(vmcb_pa, gprs, host_save_pa)
 *   vmcb_pa:      physical address of the guest VMCB (RDI)
 *   gprs:         u64[16] of guest GPRs in x86 encoding order (RSI);
 *                 RAX and RSP live in the VMCB and are skipped
 *   host_save_pa: physical address of this CPU's host VMSAVE area (RDX)
 *
 * Called with GIF=0 and RFLAGS.IF=1 (physical interrupts exit the guest
 * because V_INTR_MASKING is set).  Between VMLOAD of the guest and VMLOAD
 * of the host, GS holds the guest's base: nothing here may touch per-CPU
 * data.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#define GPR(n) (n * 8)

.section .noinstr.text, "ax"

SYM_FUNC_START(kestrel_svm_run)
	push %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* Needed after the exit, in the order they are popped. */
	push %rdx		/* host save area */
	push %rsi		/* gprs */
	push %rdi		/* guest VMCB */

	mov %rdi, %rax
	vmload %rax

	mov GPR(1)(%rsi), %rcx
	mov GPR(2)(%rsi), %rdx
	mov GPR(3)(%rsi), %rbx
	mov GPR(5)(%rsi), %rbp
	mov GPR(7)(%rsi), %rdi
	mov GPR(8)(%rsi), %r8
	mov GPR(9)(%rsi), %r9
	mov GPR(10)(%rsi), %r10
	mov GPR(11)(%rsi), %r11
	mov GPR(12)(%rsi), %r12
	mov GPR(13)(%rsi), %r13
	mov GPR(14)(%rsi), %r14
	mov GPR(15)(%rsi), %r15
	mov GPR(6)(%rsi), %rsi

	vmrun %rax

	/* RAX holds the VMCB address again: VMRUN saved the guest's. */
	vmsave %rax

	mov 8(%rsp), %rax	/* gprs */
	mov %rcx, GPR(1)(%rax)
	mov %rdx, GPR(2)(%rax)
	mov %rbx, GPR(3)(%rax)
	mov %rbp, GPR(5)(%rax)
	mov %rsi, GPR(6)(%rax)
	mov %rdi, GPR(7)(%rax)
	mov %r8, GPR(8)(%rax)
	mov %r9, GPR(9)(%rax)
	mov %r10, GPR(10)(%rax)
	mov %r11, GPR(11)(%rax)
	mov %r12, GPR(12)(%rax)
	mov %r13, GPR(13)(%rax)
	mov %r14, GPR(14)(%rax)
	mov %r15, GPR(15)(%rax)

	/* Host FS, GS, TR, LDTR and syscall MSRs back: per-CPU data works. */
	mov 16(%rsp), %rax
	vmload %rax

	/* The guest may have filled the RSB with its own return targets. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	/* Leave no guest value in a register the host might speculate on. */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	add $24, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(kestrel_svm_run)
