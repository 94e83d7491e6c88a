// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-cost benchmark: the same guest loop on a Kestrel domain and on a
 * KVM guest (through /dev/kvm, kvm_amd or kvm_intel), in one test-host
 * boot.  Each row is TSC cycles per exit, measured by the guest itself
 * around N exits, best of several runs, with KVM's figure beside it.
 *
 * Rows: CPUID; the vendor's hypercall (VMMCALL/VMCALL, a no-op in both);
 * an in-kernel port read (Kestrel: the UART's line status; KVM: the
 * in-kernel PIC's mask register); an in-kernel MMIO read (Kestrel: the
 * MMIO bus; KVM: the in-kernel I/O APIC's select register).
 *
 * Usage: exitcost [--iterations N] [--runs R] [--no-kvm]
 * Run inside a test host with the kestrel module loaded; it loads
 * kvm_amd/kvm_intel itself after the Kestrel rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "guest.h"

#define MB (1ULL << 20)
#define RAM (64 * MB)

/*
 * RSI = iterations, RBX = MMIO address.  The guest writes the cycles of
 * the whole loop to the mailbox, says so on port 0xf4 (a userspace exit
 * on KVM, whose in-kernel LAPIC would make HLT wait forever; dropped on
 * Kestrel) and halts.
 */
#define LOOP(name, body)						\
	GUEST_ASM(name, code64,						\
		"mov %rsi, %r8\n"					\
		"rdtsc\n shl $32, %rdx\n or %rax, %rdx\n mov %rdx, %r9\n" \
		"1:\n" body "\n"					\
		"dec %r8\n jnz 1b\n"					\
		"rdtsc\n shl $32, %rdx\n or %rax, %rdx\n sub %r9, %rdx\n" \
		"mov %rdx, 0x8000\n"					\
		"out %al, $0xf4\n"					\
		"hlt\n")

LOOP(b_cpuid, "xor %eax, %eax\n cpuid");
LOOP(b_vmmcall, "xor %eax, %eax\n vmmcall");
LOOP(b_vmcall, "xor %eax, %eax\n vmcall");
LOOP(b_pio_uart, "mov $0x3fd, %dx\n in %dx, %al");
LOOP(b_pio_pic, "mov $0x21, %dx\n in %dx, %al");
LOOP(b_mmio, "mov (%rbx), %eax");

enum { ROW_CPUID, ROW_HYPERCALL, ROW_PIO, ROW_MMIO, NROWS };

static const char *const row_names[NROWS] = {
	"CPUID", "hypercall", "port read (in-kernel)", "MMIO read (in-kernel)",
};

static bool is_svm;

/*
 * The guest loop of @row: the same instructions for both, except the
 * device each reads in-kernel (@kvm picks KVM's) and the vendor's
 * hypercall instruction.
 */
static struct guest_code row_code(int row, bool kvm, uint64_t *mmio)
{
	/* Kestrel: the MMIO bus; KVM: its in-kernel I/O APIC. */
	*mmio = kvm ? 0xfec00000 : 0xfebf0000;
	switch (row) {
	case ROW_CPUID:
		return GUEST_CODE_OF(b_cpuid);
	case ROW_HYPERCALL:
		return is_svm ? GUEST_CODE_OF(b_vmmcall) : GUEST_CODE_OF(b_vmcall);
	case ROW_PIO:
		return kvm ? GUEST_CODE_OF(b_pio_pic) : GUEST_CODE_OF(b_pio_uart);
	default:
		return GUEST_CODE_OF(b_mmio);
	}
}

/* One run on Kestrel: cycles per exit, or 0 on failure. */
static double kestrel_run(int row, uint64_t iters)
{
	struct kestrel_regs r;
	struct guest g;
	uint64_t mmio, cycles = 0;
	char name[32];

	snprintf(name, sizeof(name), "bench-%d", row);
	if (guest_create(&g, name, RAM, 1) ||
	    guest_load(&g, 0, GUEST_LONG64, row_code(row, false, &mmio), 0) ||
	    kestrel_vcpu_get_regs(g.conn, g.id, 0, &r, NULL))
		goto fail;
	r.rsi = iters;
	r.rbx = mmio;
	if (kestrel_vcpu_set_regs(g.conn, g.id, 0, &r, NULL) ||
	    guest_start(&g) ||
	    guest_wait_state(&g, KESTREL_STATE_BLOCKED, 120000))
		goto fail;
	cycles = guest_mailbox(&g, 0);
	guest_destroy(&g);
	return (double)cycles / iters;
fail:
	fprintf(stderr, "kestrel: %s\n", kestrel_last_error());
	guest_destroy(&g);
	return 0;
}

static void kvm_seg(struct kvm_segment *k, const struct kestrel_segment *s)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->attrib & 0xf;
	k->s = (s->attrib >> 4) & 1;
	k->dpl = (s->attrib >> 5) & 3;
	k->present = (s->attrib >> 7) & 1;
	k->avl = (s->attrib >> 8) & 1;
	k->l = (s->attrib >> 9) & 1;
	k->db = (s->attrib >> 10) & 1;
	k->g = (s->attrib >> 11) & 1;
}

/* The same loop on KVM: cycles per exit, or 0 on failure. */
static double kvm_run_one(int row, uint64_t iters)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kestrel_sregs ks;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct guest_code code;
	struct kvm_run *run;
	uint64_t mmio, cycles;
	int kvm, vm = -1, vcpu = -1, size;
	uint8_t *ram;
	double ret = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 0;
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (ram == MAP_FAILED || vm < 0)
		goto out;
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000) < 0 && errno != EINVAL)
		goto out;
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		goto out;
	region.memory_size = RAM;
	region.userspace_addr = (uintptr_t)ram;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto out;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || size <= 0)
		goto out;
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		goto out;

	code = row_code(row, true, &mmio);
	memcpy(ram + GUEST_CODE, code.start, code.end - code.start);
	guest_layout_write(ram);
	guest_mode_sregs(GUEST_LONG64, &ks);
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		goto out_run;
	kvm_seg(&sregs.cs, &ks.cs);
	kvm_seg(&sregs.ds, &ks.ds);
	kvm_seg(&sregs.es, &ks.es);
	kvm_seg(&sregs.fs, &ks.fs);
	kvm_seg(&sregs.gs, &ks.gs);
	kvm_seg(&sregs.ss, &ks.ss);
	sregs.gdt.base = ks.gdt.base;
	sregs.gdt.limit = ks.gdt.limit;
	sregs.idt.base = ks.idt.base;
	sregs.idt.limit = ks.idt.limit;
	sregs.cr0 = ks.cr0;
	sregs.cr3 = ks.cr3;
	sregs.cr4 = ks.cr4;
	sregs.efer = ks.efer;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		goto out_run;
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rsp = GUEST_STACK;
	regs.rflags = 2;
	regs.rsi = iters;
	regs.rbx = mmio;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		goto out_run;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			goto out_run;
		if (run->exit_reason == KVM_EXIT_HLT ||
		    (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xf4))
			break;
		if (run->exit_reason != KVM_EXIT_IO &&
		    run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "kvm: unexpected exit %u\n",
				run->exit_reason);
			goto out_run;
		}
		/* A userspace exit here means the row is not in-kernel. */
		fprintf(stderr, "kvm: row %s left the kernel (exit %u)\n",
			row_names[row], run->exit_reason);
		goto out_run;
	}
	memcpy(&cycles, ram + GUEST_MAILBOX, 8);
	ret = (double)cycles / iters;
out_run:
	munmap(run, size);
out:
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (ram != MAP_FAILED)
		munmap(ram, RAM);
	close(kvm);
	return ret;
}

static double best(double (*fn)(int, uint64_t), int row, uint64_t iters,
		   int runs)
{
	double b = 0;
	int i;

	for (i = 0; i < runs; i++) {
		double c = fn(row, iters);

		if (c > 0 && (b == 0 || c < b))
			b = c;
	}
	return b;
}

int main(int argc, char **argv)
{
	double k[NROWS], v[NROWS];
	struct kestrel_conn *conn;
	struct kestrel_info info;
	uint64_t iters = 2000;
	int runs = 3, i, ret = 0;
	bool with_kvm = true;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iters = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-kvm"))
			with_kvm = false;
		else {
			fprintf(stderr, "usage: %s [--iterations N] [--runs R] [--no-kvm]\n",
				argv[0]);
			return 2;
		}
	}
	if (kestrel_open(&conn) || kestrel_get_info(conn, &info)) {
		fprintf(stderr, "error: %s\n", kestrel_last_error());
		return 1;
	}
	kestrel_close(conn);
	if (info.backend == KESTREL_BACKEND_NONE) {
		fprintf(stderr, "error: no virtualization backend: %s\n",
			info.backend_detail);
		return 1;
	}
	is_svm = info.backend == KESTREL_BACKEND_SVM;

	for (i = 0; i < NROWS; i++) {
		k[i] = best(kestrel_run, i, iters, runs);
		fprintf(stderr, "kestrel %s: %.0f\n", row_names[i], k[i]);
	}
	/* Kestrel's domains are gone, so it has released SVM/VMX: KVM next. */
	memset(v, 0, sizeof(v));
	if (with_kvm) {
		if (system(is_svm ? "modprobe kvm_amd" : "modprobe kvm_intel"))
			fprintf(stderr, "warning: cannot load KVM; no peer figures\n");
		for (i = 0; i < NROWS; i++) {
			v[i] = best(kvm_run_one, i, iters, runs);
			fprintf(stderr, "kvm %s: %.0f\n", row_names[i], v[i]);
		}
	}

	printf("Exit cost, TSC cycles per exit (%s, %llu exits, best of %d)\n",
	       is_svm ? "SVM" : "VMX", (unsigned long long)iters, runs);
	printf("%-24s %12s %12s %8s\n", "exit", "kestrel", is_svm ? "kvm_amd" :
	       "kvm_intel", "ratio");
	for (i = 0; i < NROWS; i++) {
		printf("%-24s %12.0f %12.0f ", row_names[i], k[i], v[i]);
		if (k[i] > 0 && v[i] > 0)
			printf("%8.2f\n", k[i] / v[i]);
		else
			printf("%8s\n", "-");
		if (k[i] <= 0)
			ret = 1;
	}
	return ret;
}
