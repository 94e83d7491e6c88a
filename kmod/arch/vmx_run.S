/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One trip into a VMX guest, and the host NMI handler call after an
 * NMI exit.
 *
 * kestrel_vmx_run(gprs, resume, host_rsp)
 *   gprs:     u64[16] of guest GPRs in x86 encoding order (RDI); RSP lives
 *             in the VMCS and is skipped
 *   resume:   0 for VMLAUNCH, 1 for VMRESUME (RSI)
 *   host_rsp: the HOST_RSP value the current VMCS holds (RDX); updated,
 *             and written to the VMCS, when the stack pointer differs
 * Returns 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed (VMfailValid
 * or VMfailInvalid: the caller reads the VM-instruction error) or faulted.
 *
 * Called with interrupts disabled and the vCPU's VMCS current.  The VM
 * exit lands on kestrel_vmx_exit (HOST_RIP) with the stack pointer this
 * function wrote to HOST_RSP; every other host register is restored from
 * the stack.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define GPR(n)		((n) * 8)
#define VMCS_HOST_RSP	0x00006c14

.section .noinstr.text, "ax"

SYM_FUNC_START(kestrel_vmx_run)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* The gprs pointer, needed after the exit: (%rsp) at the exit. */
	push %rdi

	/* HOST_RSP is the stack pointer from here to the exit. */
	cmp %rsp, (%rdx)
	je .Lhost_rsp_ok
	mov %rsp, (%rdx)
	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jna .Lvmfail_early
.Lhost_rsp_ok:

	/* CF = resume; nothing below but VERW touches the flags (ZF only). */
	bt $0, %esi

	mov %rdi, %rax
	mov GPR(1)(%rax), %rcx
	mov GPR(2)(%rax), %rdx
	mov GPR(3)(%rax), %rbx
	mov GPR(5)(%rax), %rbp
	mov GPR(6)(%rax), %rsi
	mov GPR(7)(%rax), %rdi
	mov GPR(8)(%rax), %r8
	mov GPR(9)(%rax), %r9
	mov GPR(10)(%rax), %r10
	mov GPR(11)(%rax), %r11
	mov GPR(12)(%rax), %r12
	mov GPR(13)(%rax), %r13
	mov GPR(14)(%rax), %r14
	mov GPR(15)(%rax), %r15
	mov GPR(0)(%rax), %rax

	/* MDS and friends: clear the CPU buffers (clobbers ZF, not CF). */
	CLEAR_CPU_BUFFERS

	jnc .Lvmlaunch

	/*
	 * A successful VMRESUME/VMLAUNCH continues at kestrel_vmx_exit, with
	 * the stack as it is here: tell objtool.
	 */
	UNWIND_HINT_SAVE
.Lvmresume:
	vmresume
	jmp .Lvmfail
.Lvmlaunch:
	vmlaunch
	jmp .Lvmfail

	/* A fault (VMX turned off under us by an emergency) is a failure. */
	_ASM_EXTABLE(.Lvmresume, .Lvmfail)
	_ASM_EXTABLE(.Lvmlaunch, .Lvmfail)

SYM_INNER_LABEL(kestrel_vmx_exit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	/* Guest RAX to the stack, the gprs pointer to RAX. */
	push %rax
	mov 8(%rsp), %rax
	pop GPR(0)(%rax)
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

	xor %ebx, %ebx		/* return 0: VM exit */

.Lclear_regs:
	pop %rax		/* the gprs pointer */

	/* Leave no guest value in a register the host might speculate on. */
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d

	/* The guest may have filled the RSB with its own return targets. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/*
	 * Legacy IBRS must be written again after a transition from a less
	 * privileged predictor mode, before the first unbalanced RET.  The
	 * guest never gets SPEC_CTRL, so the host value is still in the MSR.
	 */
	ALTERNATIVE "jmp .Lspec_ctrl_done", "", X86_FEATURE_KERNEL_IBRS
	mov $MSR_IA32_SPEC_CTRL, %ecx
	movl PER_CPU_VAR(x86_spec_ctrl_current), %eax
	movl PER_CPU_VAR(x86_spec_ctrl_current + 4), %edx
	wrmsr
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
.Lspec_ctrl_done:

	CLEAR_BRANCH_HISTORY_VMEXIT

	mov %rbx, %rax
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET

.Lvmfail:
	mov $1, %ebx
	jmp .Lclear_regs

.Lvmfail_early:
	/* No guest register loaded yet. */
	movq $0, (%rdx)		/* write HOST_RSP again next time */
	mov $1, %ebx
	jmp .Lclear_regs
SYM_FUNC_END(kestrel_vmx_run)

.section .text, "ax"

/*
 * kestrel_vmx_do_nmi() - run the host's NMI handler after an NMI exit.
 *
 * NMIs are blocked after a VM exit caused by an NMI; the handler's IRET
 * unblocks them.  The handler is entered through a synthetic interrupt
 * frame, as the CPU would build it, exactly as KVM does: interrupts must
 * be disabled.
 */
SYM_FUNC_START(kestrel_vmx_do_nmi)
	push %rbp
	mov %rsp, %rbp
	/* An interrupt frame starts on a 16-byte boundary. */
	and $-16, %rsp
	push $__KERNEL_DS
	push %rbp
	pushf
	push $__KERNEL_CS
	call asm_exc_nmi_noist
	/*
	 * IRET already restored RSP; restoring it from RBP keeps objtool's
	 * view of the stack right.
	 */
	mov %rbp, %rsp
	pop %rbp
	RET
SYM_FUNC_END(kestrel_vmx_do_nmi)
