// SPDX-License-Identifier: GPL-2.0
/*
 * Domains: lifecycle over netlink, guest memory, registers, and guest code
 * that exits in every way the SVM/VMX backends handle.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "guest.h"
#include "util.h"

#define MB (1ULL << 20)

/* Guest code, position-independent. */
GUEST_ASM(g16_hello, code16,
	"mov $0x3f8, %dx\n"
	"mov $'h', %al\n out %al, %dx\n"
	"mov $'i', %al\n out %al, %dx\n"
	"mov $'\\n', %al\n out %al, %dx\n"
	"hlt\n");

GUEST_ASM(g64_cpuid, code64,
	"mov $0x40000000, %eax\n"
	"cpuid\n"
	"mov %eax, 0x8000\n"
	"mov %ebx, 0x8008\n"
	"mov %ecx, 0x8010\n"
	"mov $1, %eax\n"
	"cpuid\n"
	"mov %rcx, 0x8018\n"
	"mov %rdx, 0x8020\n"
	"mov $0x40000010, %eax\n"
	"cpuid\n"
	"mov %eax, 0x8028\n"
	"mov $0x80000007, %eax\n"
	"cpuid\n"
	"mov %edx, 0x8030\n"
	"hlt\n");

/*
 * The local APIC timer wakes a halted vCPU: software-enable the APIC,
 * one-shot timer on vector 31 (its handler records 32 in MAILBOX_VECTOR),
 * 100 us at divide-by-1, then STI; HLT.  Slot 0 counts the wake-ups that
 * came without the interrupt (there must be none).
 */
GUEST_ASM(g64_apic_timer, code64,
	"mov $0xfee00000, %rbx\n"
	"mov $0x1ff, %eax\n mov %eax, 0xf0(%rbx)\n"	/* SVR: enabled */
	"mov $0xb, %eax\n mov %eax, 0x3e0(%rbx)\n"	/* divide by 1 */
	"mov $31, %eax\n mov %eax, 0x320(%rbx)\n"	/* LVT timer */
	"mov $100000, %eax\n mov %eax, 0x380(%rbx)\n"	/* initial count */
	"sti\n"
	"1: hlt\n incq 0x8000\n jmp 1b\n");

/* The guest's kernel panicked: pvpanic at port 0x505. */
GUEST_ASM(g64_pvpanic, code64,
	"mov $0x505, %dx\n in %dx, %al\n mov %rax, 0x8000\n"
	"mov $1, %al\n out %al, %dx\n"
	"1: hlt\n jmp 1b\n");

GUEST_ASM(g64_spin, code64,
	"1: incq 0x8000\n"
	"jmp 1b\n");

GUEST_ASM(g64_triple_fault, code64,
	"lidt 0x8100\n"		/* an empty IDT: any exception escalates */
	"ud2\n");

/* RDMSR/WRMSR: a VMCB-held MSR round trip, then an unknown MSR (#GP). */
GUEST_ASM(g64_msr, code64,
	"mov $0xc0000082, %ecx\n"	/* LSTAR */
	"mov $0x89abcdef, %eax\n"
	"mov $0xffffffff, %edx\n"
	"wrmsr\n"
	"xor %eax, %eax\n xor %edx, %edx\n"
	"rdmsr\n"
	"mov %eax, 0x8000\n mov %edx, 0x8004\n"
	"mov $0x10, %ecx\n rdmsr\n"	/* TSC */
	"mov %eax, 0x8008\n mov %edx, 0x800c\n"
	"mov $0x12345, %ecx\n"
	"rdmsr\n"			/* #GP: the handler records 13 + 1 */
	"movq $1, 0x8010\n"		/* not reached */
	"hlt\n");

/* Port I/O: the UART's line status, and a port nobody claims. */
GUEST_ASM(g64_pio, code64,
	"mov $0x3fd, %dx\n in %dx, %al\n movzbl %al, %eax\n mov %eax, 0x8000\n"
	"mov $0x3ff, %dx\n mov $0x5a, %al\n out %al, %dx\n"	/* scratch */
	"in %dx, %al\n movzbl %al, %eax\n mov %eax, 0x8008\n"
	"mov $0x1234, %dx\n in %dx, %ax\n movzwl %ax, %eax\n mov %eax, 0x8010\n"
	"mov $0x1234, %dx\n in %dx, %eax\n mov %rax, 0x8018\n"
	"hlt\n");

/* MMIO in the hole: open bus reads all ones; writes vanish. */
GUEST_ASM(g64_mmio, code64,
	"mov $0xfebf0000, %ebx\n"
	"movl $0x12345678, (%rbx)\n"
	"mov (%rbx), %eax\n mov %rax, 0x8000\n"
	"movzbl 3(%rbx), %ecx\n mov %rcx, 0x8008\n"
	"mov $0x1122334455667788, %rdx\n mov (%rbx), %dx\n mov %rdx, 0x8010\n"
	"hlt\n");

/* Hypercalls: NOP returns 0, anything else -KESTREL_HC_ENOSYS. */
GUEST_ASM(g64_vmmcall, code64,
	"mov $0, %eax\n vmmcall\n mov %rax, 0x8000\n"
	"mov $77, %eax\n vmmcall\n mov %rax, 0x8008\n"
	"hlt\n");
GUEST_ASM(g64_vmcall, code64,
	"mov $0, %eax\n vmcall\n mov %rax, 0x8000\n"
	"mov $77, %eax\n vmcall\n mov %rax, 0x8008\n"
	"hlt\n");

/* Instructions the guest may not use: #UD, recorded by the handler. */
GUEST_ASM(g64_vmload, code64, "mov $0x1000, %eax\n vmload %rax\n hlt\n");
GUEST_ASM(g64_stgi, code64, "stgi\n hlt\n");
GUEST_ASM(g64_vmxon, code64, "vmxon 0x9000\n hlt\n");

/* Echo three bytes of UART input into the mailbox. */
GUEST_ASM(g64_uart_in, code64,
	"xor %ebx, %ebx\n"
	"1: mov $0x3fd, %dx\n"
	"2: in %dx, %al\n test $1, %al\n jz 2b\n"
	"mov $0x3f8, %dx\n in %dx, %al\n"
	"mov %al, 0x8000(%rbx)\n"
	"inc %ebx\n cmp $3, %ebx\n jne 1b\n"
	"hlt\n");

/* Host-written memory read by the guest. */
GUEST_ASM(g64_copy, code64,
	"mov 0x9000, %rax\n mov %rax, 0x8000\n hlt\n");

/* Per-vCPU counters: vCPU n (in RDI) bumps slot n; RSI holds the value
 * this domain keeps at 0x9000: a different one means another domain's
 * translation leaked through a reused ASID. */
GUEST_ASM(g64_count, code64,
	"1: mov 0x9000, %rax\n"
	"cmp %rax, %rsi\n"
	"je 2f\n"
	"movq $0xbad, 0x81f8\n"
	"2: incq 0x8000(,%rdi,8)\n"
	"jmp 1b\n");

/*
 * Clobber everything a vCPU switch must isolate -- GPRs, x87, SSE, MXCSR,
 * XCR0, the syscall MSRs -- exit, and check the guest's own values
 * survived.  (AVX instructions are left out: QEMU's TCG raises #UD for
 * them in nested guests, KVM's too; see docs/decisions.md.)  Slot n counts rounds of vCPU n; slot 62
 * gets 0xbad on corruption.
 */
GUEST_ASM(g64_clobber, code64,
	"mov $1, %eax\n cpuid\n"
	"xor %r12d, %r12d\n bt $26, %ecx\n jnc 3f\n"		/* no XSAVE */
	"mov %cr4, %rax\n or $0x40000, %rax\n mov %rax, %cr4\n"	/* OSXSAVE */
	"mov $3, %r12d\n bt $28, %ecx\n jnc 1f\n mov $7, %r12d\n"
	"1: xor %ecx, %ecx\n xor %edx, %edx\n mov %r12d, %eax\n xsetbv\n"
	"3: mov %r12, 0x8010\n"
	"2: mov $0x1111111111111111, %r8\n"
	"mov $0x2222222222222222, %r9\n"
	"mov $0x3333333333333333, %r10\n"
	"mov $0x4444444444444444, %r11\n"
	"mov $0x5555555555555555, %r13\n"
	"mov $0x6666666666666666, %r14\n"
	"mov $0x7777777777777777, %r15\n"
	"mov $0x8888888888888888, %rbp\n"
	"mov $0x9999999999999999, %rsi\n"
	"pcmpeqd %xmm1, %xmm1\n"
	"fninit\n fldpi\n fldpi\n fldpi\n"
	"movl $0x7f80, 0x8020\n ldmxcsr 0x8020\n"
	"mov $0xc0000082, %ecx\n mov $0x12345678, %eax\n mov $0xffffffff, %edx\n wrmsr\n"
	"mov $0xc0000102, %ecx\n wrmsr\n"
	"mov $0xc0000081, %ecx\n wrmsr\n"
	"mov $0xc0000084, %ecx\n mov $0xffffffff, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov $0, %eax\n cpuid\n"
	"mov $0x1111111111111111, %rax\n cmp %rax, %r8\n jne 9f\n"
	"mov $0x3333333333333333, %rax\n cmp %rax, %r10\n jne 9f\n"
	"mov $0x7777777777777777, %rax\n cmp %rax, %r15\n jne 9f\n"
	"mov $0x8888888888888888, %rax\n cmp %rax, %rbp\n jne 9f\n"
	"mov $0x9999999999999999, %rax\n cmp %rax, %rsi\n jne 9f\n"
	"pcmpeqd %xmm0, %xmm0\n pcmpeqd %xmm1, %xmm0\n pmovmskb %xmm0, %eax\n"
	"cmp $0xffff, %eax\n jne 9f\n"
	"stmxcsr 0x8028(,%rdi,8)\n cmpl $0x7f80, 0x8028(,%rdi,8)\n jne 9f\n"
	"incq 0x8000(,%rdi,8)\n"
	"jmp 2b\n"
	"9: movq $0xbad, 0x81f0\n hlt\n");

/* ACPI S5: SLP_TYP 5 with SLP_EN in PM1a_CNT (see lib/acpi.h). */
GUEST_ASM(g64_poweroff, code64,
	"mov $0x604, %dx\n mov $0x3400, %ax\n out %ax, %dx\n"
	"1: hlt\n jmp 1b\n");

/* CMOS RTC: seconds, minutes, hours (BCD, 24 h after Linux sets B). */
GUEST_ASM(g64_rtc, code64,
	"mov $0x0b, %al\n out %al, $0x70\n in $0x71, %al\n or $0x02, %al\n"
	"mov %al, %bl\n mov $0x0b, %al\n out %al, $0x70\n mov %bl, %al\n out %al, $0x71\n"
	"mov $0x04, %al\n out %al, $0x70\n in $0x71, %al\n movzbl %al, %eax\n mov %rax, 0x8000\n"
	"mov $0x02, %al\n out %al, $0x70\n in $0x71, %al\n movzbl %al, %eax\n mov %rax, 0x8008\n"
	"mov $0x09, %al\n out %al, $0x70\n in $0x71, %al\n movzbl %al, %eax\n mov %rax, 0x8010\n"
	"hlt\n");

/* PIT channel 2, gated by port 0x61 as Linux's TSC calibration does. */
GUEST_ASM(g64_pit, code64,
	"in $0x61, %al\n and $0xfd, %al\n or $0x01, %al\n out %al, $0x61\n"
	"mov $0xb0, %al\n out %al, $0x43\n"
	"mov $0xff, %al\n out %al, $0x42\n out %al, $0x42\n"
	"mov $0x80, %al\n out %al, $0x43\n"
	"in $0x42, %al\n mov %al, %bl\n in $0x42, %al\n mov %al, %bh\n"
	"movzwl %bx, %ebx\n mov %rbx, 0x8000\n"
	"mov $100000, %ecx\n 1: dec %ecx\n jnz 1b\n"
	"mov $0x80, %al\n out %al, $0x43\n"
	"in $0x42, %al\n mov %al, %bl\n in $0x42, %al\n mov %al, %bh\n"
	"movzwl %bx, %ebx\n mov %rbx, 0x8008\n"
	"hlt\n");

/* In a TEST body: skip it on a CPU without SVM or VMX. */
#define SKIP_WITHOUT_BACKEND()						\
	do {								\
		const char *why = domains_unsupported();		\
		if (why)						\
			SKIP(return, "%s", why);			\
	} while (0)

FIXTURE(dom) {
	struct guest g;
	bool created;
};

FIXTURE_SETUP(dom)
{
	/*
	 * This harness runs the test body after a SKIP in setup unless
	 * setup jumps out: longjmp() skips body and teardown alike.
	 */
	const char *why = domains_unsupported();

	if (why)
		SKIP(longjmp(_metadata->env, 1), "%s", why);
	ASSERT_EQ(0, guest_create(&self->g, "selftest", 64 * MB, 1))
		TH_LOG("%s", kestrel_last_error());
	self->created = true;
}

FIXTURE_TEARDOWN(dom)
{
	if (self->created)
		guest_destroy(&self->g);
}

TEST_F(dom, created_shut_off_and_listed)
{
	struct kestrel_domain_info info, *list;
	size_t n, i;
	bool found = false;

	ASSERT_EQ(0, kestrel_domain_lookup(self->g.conn, "selftest", &info, false));
	EXPECT_EQ(self->g.id, info.id);
	EXPECT_EQ(KESTREL_STATE_SHUTOFF, info.state);
	EXPECT_EQ(64 * MB, info.memory);
	EXPECT_EQ(1, info.vcpus);
	ASSERT_EQ(0, kestrel_domain_list(self->g.conn, &list, &n));
	for (i = 0; i < n; i++)
		found |= list[i].id == self->g.id;
	kestrel_domain_list_free(list, n);
	EXPECT_TRUE(found);
}

TEST_F(dom, memory_zeroed_and_shared_both_ways)
{
	size_t i;

	for (i = 0; i < 64 * MB; i += 4096)
		ASSERT_EQ(0, self->g.ram[i]);
	/* The guest sees what the host writes and the host what it writes. */
	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_cpuid), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_BLOCKED, 20000))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_NE(0, guest_mailbox(&self->g, 0));
}

TEST_F(dom, real_mode_uart_output)
{
	char buf[256];

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_REAL,
				GUEST_CODE_OF(g16_hello), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	ASSERT_LT(0, guest_console_wait(&self->g, "hi\n", buf, sizeof(buf), 20000))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_BLOCKED, 20000))
		TH_LOG("%s", kestrel_last_error());
}

TEST_F(dom, cpuid_signature_and_hypervisor_bit)
{
	struct kestrel_info info;

	ASSERT_EQ(0, kestrel_get_info(self->g.conn, &info));
	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_cpuid), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_BLOCKED, 20000))
		TH_LOG("%s", kestrel_last_error());
	/* The highest hypervisor leaf is the timing leaf. */
	EXPECT_EQ(0x40000010, guest_mailbox(&self->g, 0));
	EXPECT_EQ(0x7473654b, guest_mailbox(&self->g, 1));	/* "Kest" */
	EXPECT_EQ(0x006c6572, guest_mailbox(&self->g, 2));	/* "rel" */
	EXPECT_TRUE(guest_mailbox(&self->g, 3) & (1U << 31));
	EXPECT_FALSE(guest_mailbox(&self->g, 3) & (1U << 5));	/* no VMX */
	EXPECT_TRUE(guest_mailbox(&self->g, 4) & (1U << 9));	/* APIC */
	/* The guest's TSC rate: the one GET_INFO reports, in kHz. */
	EXPECT_NE(0, info.tsc_khz);
	EXPECT_EQ(info.tsc_khz, guest_mailbox(&self->g, 5));
	/* Invariant TSC, even where the host's CPUID leaves it out. */
	EXPECT_EQ(1U << 8, guest_mailbox(&self->g, 6));
}

TEST_F(dom, triple_fault_crashes)
{
	struct kestrel_domain_info info;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_triple_fault), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_CRASHED, 20000))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, kestrel_domain_get(self->g.conn, self->g.id, &info, false));
	EXPECT_EQ(KESTREL_CRASHED_PANICKED, info.reason);
}

TEST_F(dom, pause_stops_progress_resume_continues)
{
	uint64_t a, b;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_spin), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	usleep(200000);
	ASSERT_EQ(0, kestrel_domain_pause(self->g.conn, self->g.id))
		TH_LOG("%s", kestrel_last_error());
	a = guest_mailbox(&self->g, 0);
	EXPECT_NE(0, a);
	usleep(200000);
	b = guest_mailbox(&self->g, 0);
	EXPECT_EQ(a, b);
	ASSERT_EQ(0, kestrel_domain_resume(self->g.conn, self->g.id));
	usleep(200000);
	EXPECT_LT(b, guest_mailbox(&self->g, 0));
}

/* A spinning guest still leaves the CPU to host interrupts (INTR exits). */
TEST_F(dom, host_interrupts_exit_a_spinning_guest)
{
	struct kestrel_domain_stats st;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_spin), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	usleep(500000);
	ASSERT_EQ(0, kestrel_domain_stats(self->g.conn, self->g.id, &st));
	EXPECT_LT(0, st.exits[KESTREL_EXIT_INTR]);
	EXPECT_EQ(0, st.exits[KESTREL_EXIT_CPUID]);
}

TEST(destroy_spinning_domain_is_prompt)
{
	struct guest g;
	struct timespec t0, t1;

	SKIP_WITHOUT_BACKEND();
	ASSERT_EQ(0, guest_create(&g, "spinner", 32 * MB, 1));
	ASSERT_EQ(0, guest_load(&g, 0, GUEST_LONG64, GUEST_CODE_OF(g64_spin), 0));
	ASSERT_EQ(0, guest_start(&g));
	usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, kestrel_domain_destroy(g.conn, g.id));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GT(2, t1.tv_sec - t0.tv_sec);
	EXPECT_EQ(-ENOENT, kestrel_domain_get(g.conn, g.id, &(struct kestrel_domain_info){}, false));
	guest_destroy(&g);
}

/* Run one guest function to its HLT on vCPU 0. */
static int run_to_halt(struct guest *g, struct guest_code code)
{
	int err = guest_load(g, 0, GUEST_LONG64, code, 0);

	if (!err)
		err = guest_start(g);
	if (!err)
		err = guest_wait_state(g, KESTREL_STATE_BLOCKED, 20000);
	return err;
}

TEST_F(dom, msr_exits)
{
	ASSERT_EQ(0, run_to_halt(&self->g, GUEST_CODE_OF(g64_msr)))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0xffffffff89abcdefULL, guest_mailbox(&self->g, 0));
	EXPECT_NE(0, guest_mailbox(&self->g, 1));		/* TSC runs */
	EXPECT_EQ(13 + 1, guest_mailbox(&self->g, MAILBOX_VECTOR));
	EXPECT_EQ(0, guest_mailbox(&self->g, 2));		/* not reached */
}

TEST_F(dom, port_io_exits)
{
	ASSERT_EQ(0, run_to_halt(&self->g, GUEST_CODE_OF(g64_pio)))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0x60, guest_mailbox(&self->g, 0));	/* THRE | TEMT */
	EXPECT_EQ(0x5a, guest_mailbox(&self->g, 1));	/* scratch register */
	EXPECT_EQ(0xffff, guest_mailbox(&self->g, 2));
	EXPECT_EQ(0xffffffffULL, guest_mailbox(&self->g, 3));
	EXPECT_EQ(0, guest_mailbox(&self->g, MAILBOX_VECTOR));
}

TEST_F(dom, mmio_exits)
{
	ASSERT_EQ(0, run_to_halt(&self->g, GUEST_CODE_OF(g64_mmio)))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0xffffffffULL, guest_mailbox(&self->g, 0));
	EXPECT_EQ(0xff, guest_mailbox(&self->g, 1));
	EXPECT_EQ(0x112233445566ffffULL, guest_mailbox(&self->g, 2));
	EXPECT_EQ(0, guest_mailbox(&self->g, MAILBOX_VECTOR));
}

TEST_F(dom, hypercall_exits)
{
	bool svm = expected_backend() == KESTREL_BACKEND_SVM;

	ASSERT_EQ(0, run_to_halt(&self->g, svm ? GUEST_CODE_OF(g64_vmmcall) :
						 GUEST_CODE_OF(g64_vmcall)))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0, guest_mailbox(&self->g, 0));
	EXPECT_EQ((uint64_t)-KESTREL_HC_ENOSYS, guest_mailbox(&self->g, 1));
	EXPECT_EQ(0, guest_mailbox(&self->g, MAILBOX_VECTOR));
}

static void expect_ud(struct __test_metadata *_metadata, struct guest *g,
		      struct guest_code code)
{
	ASSERT_EQ(0, run_to_halt(g, code)) TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(6 + 1, guest_mailbox(g, MAILBOX_VECTOR));
}

/* The other vendor's hypercall instruction is #UD on real hardware too. */
TEST_F(dom, foreign_hypercall_is_ud)
{
	bool svm = expected_backend() == KESTREL_BACKEND_SVM;

	expect_ud(_metadata, &self->g, svm ? GUEST_CODE_OF(g64_vmcall) :
					     GUEST_CODE_OF(g64_vmmcall));
}

TEST_F(dom, svm_vmload_is_ud)
{
	expect_ud(_metadata, &self->g, GUEST_CODE_OF(g64_vmload));
}

TEST_F(dom, svm_stgi_is_ud)
{
	expect_ud(_metadata, &self->g, GUEST_CODE_OF(g64_stgi));
}

TEST_F(dom, vmx_vmxon_is_ud)
{
	expect_ud(_metadata, &self->g, GUEST_CODE_OF(g64_vmxon));
}

TEST_F(dom, uart_input_reaches_guest)
{
	int fd;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_uart_in), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	fd = kestrel_domain_console_fd(self->g.id);
	ASSERT_LE(0, fd) TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(3, write(fd, "xyz", 3));
	close(fd);
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_BLOCKED, 20000))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0, memcmp(self->g.ram + GUEST_MAILBOX, "xyz", 3));
}

TEST_F(dom, host_writes_seen_by_guest)
{
	memcpy(self->g.ram + 0x9000, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	ASSERT_EQ(0, run_to_halt(&self->g, GUEST_CODE_OF(g64_copy)))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0x8877665544332211ULL, guest_mailbox(&self->g, 0));
}

TEST_F(dom, register_round_trip)
{
	struct kestrel_sregs sr, sr2;
	struct kestrel_regs r, r2;
	uint64_t *p = (uint64_t *)&r;
	unsigned int i;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_copy), 0));
	ASSERT_EQ(0, kestrel_vcpu_get_regs(self->g.conn, self->g.id, 0, &r, &sr));
	for (i = 0; i < 16; i++)
		p[i] = 0x0101010101010101ULL * (i + 1);
	r.rip = 0x12345;
	r.rflags = 0x202;
	sr.cr2 = 0xdead000;
	sr.fs.base = 0x7f0000001000ULL;
	sr.gs.base = 0xffff888000000000ULL;
	ASSERT_EQ(0, kestrel_vcpu_set_regs(self->g.conn, self->g.id, 0, &r, &sr));
	ASSERT_EQ(0, kestrel_vcpu_get_regs(self->g.conn, self->g.id, 0, &r2, &sr2));
	EXPECT_EQ(0, memcmp(&r, &r2, sizeof(r)));
	EXPECT_EQ(sr.cr0, sr2.cr0);
	EXPECT_EQ(sr.cr2, sr2.cr2);
	EXPECT_EQ(sr.cr3, sr2.cr3);
	EXPECT_EQ(sr.cr4, sr2.cr4);
	EXPECT_EQ(sr.efer, sr2.efer);
	EXPECT_EQ(sr.fs.base, sr2.fs.base);
	EXPECT_EQ(sr.gs.base, sr2.gs.base);
	EXPECT_EQ(sr.cs.selector, sr2.cs.selector);
	EXPECT_EQ(sr.cs.attrib, sr2.cs.attrib);
	EXPECT_EQ(sr.gdt.base, sr2.gdt.base);
	EXPECT_EQ(sr.idt.limit, sr2.idt.limit);
}

TEST_F(dom, invalid_control_registers_refused)
{
	struct kestrel_sregs sr;
	struct kestrel_regs r;

	ASSERT_EQ(0, kestrel_vcpu_get_regs(self->g.conn, self->g.id, 0, &r, &sr));
	sr.efer = 1ULL << 40;			/* reserved */
	EXPECT_EQ(-EINVAL, kestrel_vcpu_set_regs(self->g.conn, self->g.id, 0,
						 NULL, &sr));
	EXPECT_EQ(-ENOENT, kestrel_vcpu_get_regs(self->g.conn, self->g.id, 5,
						 &r, &sr));
}

TEST_F(dom, registers_refused_while_running)
{
	struct kestrel_sregs sr;
	struct kestrel_regs r;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_spin), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	EXPECT_EQ(-EBUSY, kestrel_vcpu_get_regs(self->g.conn, self->g.id, 0,
						&r, &sr));
	ASSERT_EQ(0, kestrel_domain_pause(self->g.conn, self->g.id));
	ASSERT_EQ(0, kestrel_vcpu_get_regs(self->g.conn, self->g.id, 0, &r, &sr));
	EXPECT_LE(GUEST_CODE, r.rip);
	EXPECT_GT(GUEST_CODE + 0x100, r.rip);
}

TEST_F(dom, stats_count_exits_and_time)
{
	struct kestrel_domain_stats st;

	ASSERT_EQ(0, run_to_halt(&self->g, GUEST_CODE_OF(g64_cpuid)))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, kestrel_domain_stats(self->g.conn, self->g.id, &st));
	EXPECT_EQ(4, st.exits[KESTREL_EXIT_CPUID]);	/* g64_cpuid: four */
	EXPECT_EQ(1, st.exits[KESTREL_EXIT_HLT]);
	EXPECT_EQ(1, st.nr_vcpus);
	EXPECT_LT(0, st.vcpu_time_ns[0]);
}

TEST_F(dom, events_for_start_and_crash)
{
	struct kestrel_conn *ev;
	struct kestrel_event_msg m;

	ASSERT_EQ(0, kestrel_event_open(&ev)) TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_triple_fault), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	ASSERT_EQ(0, kestrel_event_next(ev, &m, 20000));
	EXPECT_EQ(self->g.id, m.id);
	EXPECT_EQ(KESTREL_EVENT_STARTED, m.event);
	EXPECT_EQ(KESTREL_EVENT_STARTED_BOOTED, m.detail);
	ASSERT_EQ(0, kestrel_event_next(ev, &m, 20000));
	EXPECT_EQ(KESTREL_EVENT_CRASHED, m.event);
	EXPECT_EQ(KESTREL_EVENT_CRASHED_PANICKED, m.detail);
	EXPECT_STREQ("selftest", m.name);
	kestrel_close(ev);
}

TEST_F(dom, module_refuses_unload)
{
	int status = system("rmmod kestrel 2>/dev/null");

	EXPECT_NE(0, status);
	EXPECT_EQ(0, access("/dev/kestrel", F_OK));
}

TEST_F(dom, bad_input_changes_nothing)
{
	struct kestrel_domain_config cfg = {
		.name = "selftest", .memory = 64 * MB, .vcpus = 1,
	};
	struct kestrel_domain_info info;
	size_t before, after;
	struct kestrel_domain_info *list;

	ASSERT_EQ(0, kestrel_domain_list(self->g.conn, &list, &before));
	kestrel_domain_list_free(list, before);

	EXPECT_EQ(-EEXIST, kestrel_domain_create(self->g.conn, &cfg, NULL));
	cfg.name = "other";
	cfg.memory = 0;			/* out of the policy's range */
	EXPECT_EQ(-ERANGE, kestrel_domain_create(self->g.conn, &cfg, NULL));
	cfg.memory = 1 * MB;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->g.conn, &cfg, NULL));
	cfg.memory = 64 * MB + 1;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->g.conn, &cfg, NULL));
	cfg.memory = 4ULL << 40;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->g.conn, &cfg, NULL));
	cfg.memory = 512ULL << 30;	/* more than the host has */
	EXPECT_EQ(-ENOMEM, kestrel_domain_create(self->g.conn, &cfg, NULL));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "memory"));
	cfg.memory = 64 * MB;
	cfg.vcpus = KESTREL_MAX_VCPUS + 1;
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->g.conn, &cfg, NULL));
	cfg.vcpus = 1;
	cfg.name = "";
	EXPECT_EQ(-EINVAL, kestrel_domain_create(self->g.conn, &cfg, NULL));
	EXPECT_EQ(-ENOENT, kestrel_domain_get(self->g.conn, 999999, &info, false));
	EXPECT_EQ(-ENOENT, kestrel_domain_lookup(self->g.conn, "no-such-domain",
						 &info, false));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "no-such-domain"));
	EXPECT_EQ(-ENOENT, kestrel_domain_start(self->g.conn, 999999));
	EXPECT_EQ(-EINVAL, kestrel_domain_resume(self->g.conn, self->g.id));
	EXPECT_EQ(-EINVAL, kestrel_domain_pause(self->g.conn, self->g.id));

	ASSERT_EQ(0, kestrel_domain_list(self->g.conn, &list, &after));
	kestrel_domain_list_free(list, after);
	EXPECT_EQ(before, after);
}

/*
 * Boot files (KESTREL_A_DOM_BOOT_FILES): the module keeps the file and
 * checks at the first start that its bytes are those in RAM.  Each bad
 * request is refused with a message and leaves the domain startable.
 */
TEST_F(dom, boot_files_checked_at_start)
{
	struct kestrel_mem_region r[2] = {
		{ GUEST_CODE, 4096 }, { 0x100000, 64 * 1024 },
	};
	struct kestrel_boot_file f = {
		.gpa = 0x100000, .size = 64 * 1024, .offset = 4096,
	};
	char path[] = "/tmp/kestrel-bootfile.XXXXXX";
	static uint8_t buf[4096 + 64 * 1024];
	struct kestrel_domain_info info;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7 + 3;
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ((ssize_t)sizeof(buf), write(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_spin), 0));
	memcpy(self->g.ram + 0x100000, buf + 4096, 64 * 1024);
	self->g.ram[0x100000 + 100] ^= 1;	/* one byte differs */

	f.fd = fd;
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->g.conn, self->g.id,
						     r, 2, &f, 1));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "differ from those in guest RAM"))
		TH_LOG("%s", kestrel_last_error());
	self->g.ram[0x100000 + 100] ^= 1;
	f.offset = sizeof(buf) - 100;		/* past the end of the file */
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->g.conn, self->g.id,
						     r, 2, &f, 1));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "beyond the end"));
	f.offset = 4096;
	f.gpa += 4096;				/* no such region */
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->g.conn, self->g.id,
						     r, 2, &f, 1));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "names no boot region"));
	f.gpa -= 4096;
	f.fd = 1000;				/* not open */
	EXPECT_EQ(-EBADF, kestrel_domain_start_boot(self->g.conn, self->g.id,
						    r, 2, &f, 1));
	f.fd = fd;
	f.flags = 1;
	EXPECT_EQ(-EINVAL, kestrel_domain_start_boot(self->g.conn, self->g.id,
						     r, 2, &f, 1));
	f.flags = 0;
	ASSERT_EQ(0, kestrel_domain_get(self->g.conn, self->g.id, &info, false));
	EXPECT_EQ(KESTREL_STATE_SHUTOFF, info.state);

	ASSERT_EQ(0, kestrel_domain_start_boot(self->g.conn, self->g.id,
					       r, 2, &f, 1))
		TH_LOG("%s", kestrel_last_error());
	close(fd);	/* the module holds its own reference */
	/* A reset reads the file again: RAM the guest never wrote is back. */
	memset(self->g.ram + 0x100000, 0, 64 * 1024);
	ASSERT_EQ(0, kestrel_domain_reset(self->g.conn, self->g.id))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0, memcmp(self->g.ram + 0x100000, buf + 4096, 64 * 1024));
}

TEST(destroy_halted_domain_is_prompt)
{
	struct guest g;

	SKIP_WITHOUT_BACKEND();
	ASSERT_EQ(0, guest_create(&g, "halter", 32 * MB, 2));
	ASSERT_EQ(0, guest_load(&g, 0, GUEST_LONG64, GUEST_CODE_OF(g64_copy), 0));
	ASSERT_EQ(0, guest_load(&g, 1, GUEST_LONG64, GUEST_CODE_OF(g64_copy), 0));
	ASSERT_EQ(0, guest_start(&g));
	ASSERT_EQ(0, guest_wait_state(&g, KESTREL_STATE_BLOCKED, 20000));
	ASSERT_EQ(0, kestrel_domain_destroy(g.conn, g.id));
	guest_destroy(&g);
}

static int start_counters(struct guest *g, const char *name,
			  unsigned int vcpus, uint64_t magic)
{
	unsigned int i;
	int err;

	err = guest_create(g, name, 32 * MB, vcpus);
	if (err)
		return err;
	memcpy(g->ram + 0x9000, &magic, 8);
	for (i = 0; i < vcpus && !err; i++) {
		err = guest_load(g, i, GUEST_LONG64, GUEST_CODE_OF(g64_count), 0);
		if (!err)
			err = guest_set_rsi(g, i, magic);
	}
	return err ? err : guest_start(g);
}

static void check_counters(struct __test_metadata *_metadata, struct guest *g,
			   unsigned int vcpus)
{
	unsigned int i;

	EXPECT_EQ(0, guest_mailbox(g, 63)) TH_LOG("%s saw another domain's memory",
						  g->name);
	for (i = 0; i < vcpus; i++)
		EXPECT_NE(0, guest_mailbox(g, i)) TH_LOG("%s vCPU %u never ran",
							 g->name, i);
}

TEST(two_domains_two_vcpus_each)
{
	struct guest a, b;

	SKIP_WITHOUT_BACKEND();
	ASSERT_EQ(0, start_counters(&a, "pair-a", 2, 0xaaaa))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, start_counters(&b, "pair-b", 2, 0xbbbb))
		TH_LOG("%s", kestrel_last_error());
	sleep(1);
	check_counters(_metadata, &a, 2);
	check_counters(_metadata, &b, 2);
	guest_destroy(&a);
	guest_destroy(&b);
}

/* 2 x 12 vCPUs on a host whose SVM has 16 ASIDs: ASIDs must be recycled. */
TEST(more_vcpus_than_asids)
{
	struct kestrel_conn *conn;
	struct kestrel_info info;
	struct guest a, b;
	unsigned int n;

	SKIP_WITHOUT_BACKEND();
	ASSERT_EQ(0, kestrel_open(&conn));
	ASSERT_EQ(0, kestrel_get_info(conn, &info));
	kestrel_close(conn);
	n = info.nr_asids && info.nr_asids < 24 ? 12 : 4;
	ASSERT_EQ(0, start_counters(&a, "many-a", n, 0x1111))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, start_counters(&b, "many-b", n, 0x2222))
		TH_LOG("%s", kestrel_last_error());
	sleep(3);
	check_counters(_metadata, &a, n);
	check_counters(_metadata, &b, n);
	guest_destroy(&a);
	guest_destroy(&b);
}

static double harmonic(int n)
{
	volatile double s = 0;
	int i;

	for (i = 1; i <= n; i++)
		s += 1.0 / i;
	return s;
}

static long double harmonic_x87(int n)
{
	volatile long double s = 0;
	int i;

	for (i = 1; i <= n; i++)
		s += 1.0L / i;
	return s;
}

/* A host process whose FP results and MXCSR must not change. */
static int fp_checker(int seconds)
{
	double ref = harmonic(200000);
	long double ref87 = harmonic_x87(200000);
	time_t end = time(NULL) + seconds;
	unsigned int mxcsr;

	while (time(NULL) < end) {
		if (harmonic(200000) != ref || harmonic_x87(200000) != ref87)
			return 1;
		asm volatile("stmxcsr %0" : "=m" (mxcsr));
		if ((mxcsr & ~0x3f) != 0x1f80)
			return 2;
	}
	return 0;
}

TEST(fpu_gprs_and_msrs_isolated)
{
	struct guest g;
	int status;
	pid_t pid;

	SKIP_WITHOUT_BACKEND();
	ASSERT_EQ(0, guest_create(&g, "clobber", 32 * MB, 2));
	ASSERT_EQ(0, guest_load(&g, 0, GUEST_LONG64, GUEST_CODE_OF(g64_clobber), 0));
	ASSERT_EQ(0, guest_load(&g, 1, GUEST_LONG64, GUEST_CODE_OF(g64_clobber), 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(fp_checker(3));
	ASSERT_EQ(0, guest_start(&g));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("host FP state changed");
	EXPECT_EQ(0, guest_mailbox(&g, 62)) TH_LOG("guest state corrupted");
	EXPECT_LT(10, guest_mailbox(&g, 0));
	EXPECT_LT(10, guest_mailbox(&g, 1));
	EXPECT_EQ(0, guest_mailbox(&g, MAILBOX_VECTOR))
		TH_LOG("exception at %#llx (%#llx)",
		       (unsigned long long)guest_mailbox(&g, 33),
		       (unsigned long long)guest_mailbox(&g, 34));
	TH_LOG("guest XCR0 %#llx, rounds %llu + %llu",
	       (unsigned long long)guest_mailbox(&g, 2),
	       (unsigned long long)guest_mailbox(&g, 0),
	       (unsigned long long)guest_mailbox(&g, 1));
	guest_destroy(&g);
}

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(val, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* A CPU going offline and coming back while vCPUs run on it. */
TEST(cpu_hotplug_while_running)
{
	const char *cpu1 = "/sys/devices/system/cpu/cpu1/online";
	uint64_t before[2];
	struct guest g;

	SKIP_WITHOUT_BACKEND();
	if (access(cpu1, W_OK))
		SKIP(return, "CPU 1 cannot be taken offline here");
	ASSERT_EQ(0, start_counters(&g, "hotplug", 2, 0x4242))
		TH_LOG("%s", kestrel_last_error());
	usleep(200000);
	ASSERT_EQ(0, write_file(cpu1, "0"));
	before[0] = guest_mailbox(&g, 0);
	before[1] = guest_mailbox(&g, 1);
	usleep(500000);
	EXPECT_LT(before[0], guest_mailbox(&g, 0));
	EXPECT_LT(before[1], guest_mailbox(&g, 1));
	ASSERT_EQ(0, write_file(cpu1, "1"));
	usleep(300000);
	check_counters(_metadata, &g, 2);
	guest_destroy(&g);
}

static unsigned int bcd(uint64_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

TEST_F(dom, rtc_reads_host_time)
{
	time_t now = time(NULL);
	struct tm tm;
	int guest_min, host_min;

	ASSERT_EQ(0, run_to_halt(&self->g, GUEST_CODE_OF(g64_rtc)))
		TH_LOG("%s", kestrel_last_error());
	gmtime_r(&now, &tm);
	guest_min = bcd(guest_mailbox(&self->g, 0)) * 60 +
		    bcd(guest_mailbox(&self->g, 1));
	host_min = tm.tm_hour * 60 + tm.tm_min;
	EXPECT_GE(2, abs(guest_min - host_min) % (24 * 60 - 2))
		TH_LOG("guest %d min, host %d min", guest_min, host_min);
	EXPECT_EQ(tm.tm_year % 100, (int)bcd(guest_mailbox(&self->g, 2)));
}

TEST_F(dom, apic_timer_wakes_halted_guest)
{
	int i;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_apic_timer), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	for (i = 0; i < 2000 && guest_mailbox(&self->g, MAILBOX_VECTOR) != 32; i++)
		usleep(10000);
	ASSERT_EQ(32, guest_mailbox(&self->g, MAILBOX_VECTOR))
		TH_LOG("the timer interrupt never arrived");
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_BLOCKED, 20000))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_EQ(0, guest_mailbox(&self->g, 0));
}

TEST_F(dom, pvpanic_crashes_the_domain)
{
	struct kestrel_domain_info info;

	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_pvpanic), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	ASSERT_EQ(0, guest_wait_state(&self->g, KESTREL_STATE_CRASHED, 20000))
		TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, kestrel_domain_get(self->g.conn, self->g.id, &info, false));
	EXPECT_EQ(KESTREL_CRASHED_PANICKED, info.reason);
	EXPECT_EQ(1, guest_mailbox(&self->g, 0) & 0xff);	/* PANICKED */
}

TEST_F(dom, pit_channel2_counts_down)
{
	ASSERT_EQ(0, run_to_halt(&self->g, GUEST_CODE_OF(g64_pit)))
		TH_LOG("%s", kestrel_last_error());
	EXPECT_NE(0, guest_mailbox(&self->g, 0));
	EXPECT_GT(guest_mailbox(&self->g, 0), guest_mailbox(&self->g, 1));
}

TEST_F(dom, guest_poweroff_shuts_off)
{
	struct kestrel_domain_info info;
	struct kestrel_event_msg m;
	struct kestrel_conn *ev;

	ASSERT_EQ(0, kestrel_event_open(&ev)) TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(0, guest_load(&self->g, 0, GUEST_LONG64,
				GUEST_CODE_OF(g64_poweroff), 0));
	ASSERT_EQ(0, guest_start(&self->g));
	ASSERT_EQ(0, kestrel_event_next(ev, &m, 20000));
	EXPECT_EQ(KESTREL_EVENT_STARTED, m.event);
	ASSERT_EQ(0, kestrel_event_next(ev, &m, 20000));
	EXPECT_EQ(self->g.id, m.id);
	EXPECT_EQ(KESTREL_EVENT_STOPPED, m.event);
	EXPECT_EQ(KESTREL_EVENT_STOPPED_SHUTDOWN, m.detail);
	EXPECT_EQ(-ENOENT, kestrel_domain_get(self->g.conn, self->g.id, &info,
					      false));
	kestrel_close(ev);
}

TEST_HARNESS_MAIN
