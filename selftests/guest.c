// SPDX-License-Identifier: GPL-2.0
/* The selftests' guest library: see guest.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int guest_create(struct guest *g, const char *name, uint64_t memory,
		 unsigned int vcpus)
{
	struct kestrel_domain_config cfg = {
		.name = name, .memory = memory, .vcpus = vcpus,
	};
	struct kestrel_domain_info info;
	uint64_t low = memory < KESTREL_MMIO_HOLE_START ?
		       memory : KESTREL_MMIO_HOLE_START;
	int err;

	memset(g, 0, sizeof(*g));
	g->memfd = -1;
	err = kestrel_open(&g->conn);
	if (err)
		return err;
	err = kestrel_domain_create(g->conn, &cfg, &info);
	if (err)
		goto err_close;
	g->id = info.id;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->ram_size = memory;
	g->vcpus = vcpus;
	g->memfd = kestrel_domain_memory_fd(g->id);
	if (g->memfd < 0) {
		err = g->memfd;
		goto err_destroy;
	}
	g->ram = mmap(NULL, low, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (g->ram == MAP_FAILED) {
		err = kestrel_fail(errno, "mmap of guest RAM: %s", strerror(errno));
		g->ram = NULL;
		goto err_destroy;
	}
	return 0;

err_destroy:
	kestrel_domain_destroy(g->conn, g->id);
err_close:
	if (g->memfd >= 0)
		close(g->memfd);
	kestrel_close(g->conn);
	g->conn = NULL;
	return err;
}

void guest_destroy(struct guest *g)
{
	uint64_t low = g->ram_size < KESTREL_MMIO_HOLE_START ?
		       g->ram_size : KESTREL_MMIO_HOLE_START;

	if (!g->conn)
		return;
	kestrel_domain_destroy(g->conn, g->id);
	if (g->ram)
		munmap(g->ram, low);
	if (g->memfd >= 0)
		close(g->memfd);
	kestrel_close(g->conn);
	g->conn = NULL;
}

/* VMCB-format attributes: type, S, DPL, P, AVL, L, D/B, G. */
#define ATTR(type, l, db, g) ((type) | 1 << 4 | 1 << 7 | (l) << 9 | (db) << 10 | (g) << 11)

static void write_gdt(uint8_t *ram)
{
	uint64_t *gdt = (uint64_t *)(ram + GUEST_GDT);

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;	/* 0x08: 32-bit code, flat */
	gdt[2] = 0x00cf93000000ffffULL;	/* 0x10: data, flat */
	gdt[3] = 0x00af9b000000ffffULL;	/* 0x18: 64-bit code */
}

static void write_page_tables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + GUEST_PML4);
	uint64_t *pdpt = (uint64_t *)(ram + GUEST_PDPT);
	uint64_t *pd = (uint64_t *)(ram + GUEST_PD);
	int i;

	memset(pml4, 0, 4096 * 2);
	pml4[0] = GUEST_PDPT | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (GUEST_PD + 4096 * i) | 3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* P RW PS */
}

/*
 * Vector v's handler (64 bytes each) records the two words on top of the
 * stack (RIP, or the error code then RIP) in mailbox slots 33 and 34, then
 * v + 1 in slot MAILBOX_VECTOR (so 0 means "no exception"), and halts.
 */
static void write_idt(uint8_t *ram)
{
	static const uint8_t save_stack[] = {
		0x48, 0x8b, 0x04, 0x24,				/* mov (%rsp), %rax */
		0x48, 0x89, 0x04, 0x25, 0x08, 0x81, 0, 0,	/* mov %rax, 0x8108 */
		0x48, 0x8b, 0x44, 0x24, 0x08,			/* mov 8(%rsp), %rax */
		0x48, 0x89, 0x04, 0x25, 0x10, 0x81, 0, 0,	/* mov %rax, 0x8110 */
	};
	uint8_t *h = ram + GUEST_HANDLERS;
	uint8_t *idt = ram + GUEST_IDT;
	uint32_t slot = GUEST_MAILBOX + 8 * MAILBOX_VECTOR;
	int v;

	for (v = 0; v < 32; v++) {
		uint8_t *p = h + 64 * v;
		uint64_t addr = GUEST_HANDLERS + 64 * v;
		uint8_t *gate = idt + 16 * v;
		uint32_t imm = v + 1;

		memcpy(p, save_stack, sizeof(save_stack));
		p += sizeof(save_stack);
		p[0] = 0x48;		/* movq $imm32, slot */
		p[1] = 0xc7;
		p[2] = 0x04;
		p[3] = 0x25;
		memcpy(p + 4, &slot, 4);
		memcpy(p + 8, &imm, 4);
		p[12] = 0xf4;		/* hlt */
		p[13] = 0xeb;		/* jmp . */
		p[14] = 0xfe;
		memset(gate, 0, 16);
		gate[0] = addr & 0xff;
		gate[1] = (addr >> 8) & 0xff;
		gate[2] = 0x18;		/* 64-bit code selector */
		gate[5] = 0x8e;		/* present, interrupt gate */
		gate[6] = (addr >> 16) & 0xff;
		gate[7] = (addr >> 24) & 0xff;
	}
}

static void seg(struct kestrel_segment *s, uint16_t sel, uint32_t limit,
		uint16_t attrib)
{
	s->base = 0;
	s->selector = sel;
	s->limit = limit;
	s->attrib = attrib;
}

void guest_layout_write(uint8_t *ram)
{
	write_gdt(ram);
	write_page_tables(ram);
	write_idt(ram);
}

void guest_mode_sregs(enum guest_mode mode, struct kestrel_sregs *sr)
{
	memset(sr, 0, sizeof(*sr));
	sr->gdt.base = GUEST_GDT;
	sr->gdt.limit = 4 * 8 - 1;
	/* The TR and LDTR a VMRUN/VM entry accepts: busy TSS, present LDT. */
	sr->tr.limit = 0xffff;
	sr->tr.attrib = 0xb | 1 << 7;
	sr->ldt.limit = 0xffff;
	sr->ldt.attrib = 0x2 | 1 << 7;

	switch (mode) {
	case GUEST_REAL:
		seg(&sr->cs, 0, 0xffff, ATTR(0xb, 0, 0, 0));
		seg(&sr->ds, 0, 0xffff, ATTR(0x3, 0, 0, 0));
		sr->cr0 = 0x10;
		sr->idt.limit = 0x3ff;
		break;
	case GUEST_PROT32:
		seg(&sr->cs, 0x08, 0xffffffff, ATTR(0xb, 0, 1, 1));
		seg(&sr->ds, 0x10, 0xffffffff, ATTR(0x3, 0, 1, 1));
		sr->cr0 = 0x11;		/* PE ET */
		sr->cr4 = 0x600;	/* OSFXSR OSXMMEXCPT */
		break;
	case GUEST_LONG64:
		seg(&sr->cs, 0x18, 0xffffffff, ATTR(0xb, 1, 0, 1));
		seg(&sr->ds, 0x10, 0xffffffff, ATTR(0x3, 0, 1, 1));
		sr->cr0 = 0x80000033;	/* PG NE ET MP PE */
		sr->cr3 = GUEST_PML4;
		sr->cr4 = 0x620;	/* PAE OSFXSR OSXMMEXCPT */
		sr->efer = 0x500;	/* LME LMA */
		sr->idt.base = GUEST_IDT;
		sr->idt.limit = 32 * 16 - 1;
		break;
	}
	sr->es = sr->ds;
	sr->fs = sr->ds;
	sr->gs = sr->ds;
	sr->ss = sr->ds;
}

int guest_load(struct guest *g, unsigned int vcpu, enum guest_mode mode,
	       struct guest_code code, uint64_t offset)
{
	struct kestrel_sregs sr;
	struct kestrel_regs r;
	size_t len = code.end - code.start;

	if (GUEST_CODE + offset + len > GUEST_STACK - 0x10000)
		return kestrel_fail(E2BIG, "guest code too large");
	memcpy(g->ram + GUEST_CODE + offset, code.start, len);
	guest_layout_write(g->ram);
	guest_mode_sregs(mode, &sr);
	memset(&r, 0, sizeof(r));
	r.rdi = vcpu;
	r.rip = GUEST_CODE + offset;
	if (mode == GUEST_REAL) {
		/* CS = DS = the code's paragraph, IP = 0: 16-bit offsets work. */
		if ((GUEST_CODE + offset) & 0xf)
			return kestrel_fail(EINVAL, "real-mode code must be 16-byte aligned");
		sr.cs.base = GUEST_CODE + offset;
		sr.cs.selector = sr.cs.base >> 4;
		sr.ds = sr.cs;
		sr.ds.attrib = sr.es.attrib;
		sr.es = sr.ds;
		r.rip = 0;
	}
	r.rflags = 2;
	/* Each vCPU its own 16 KiB of stack. */
	r.rsp = GUEST_STACK - vcpu * 0x4000;
	return kestrel_vcpu_set_regs(g->conn, g->id, vcpu, &r, &sr);
}

int guest_set_rsi(struct guest *g, unsigned int vcpu, uint64_t val)
{
	struct kestrel_regs r;
	int err = kestrel_vcpu_get_regs(g->conn, g->id, vcpu, &r, NULL);

	if (err)
		return err;
	r.rsi = val;
	return kestrel_vcpu_set_regs(g->conn, g->id, vcpu, &r, NULL);
}

int guest_start(struct guest *g)
{
	return kestrel_domain_start(g->conn, g->id);
}

int guest_wait_state(struct guest *g, int want_state, int timeout_ms)
{
	struct kestrel_domain_info info;
	uint64_t end = now_ms() + timeout_ms;
	int err;

	for (;;) {
		err = kestrel_domain_get(g->conn, g->id, &info, false);
		if (err)
			return err;
		if ((int)info.state == want_state)
			return 0;
		if (now_ms() > end)
			return kestrel_fail(ETIMEDOUT, "domain state is %s, not %s",
					    kestrel_state_name(info.state),
					    kestrel_state_name(want_state));
		usleep(2000);
	}
}

int guest_console_wait(struct guest *g, const char *needle, char *buf,
		       size_t len, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	size_t used = 0;
	int fd, ret = 0;

	fd = kestrel_domain_console_fd(g->id);
	if (fd < 0)
		return fd;
	buf[0] = '\0';
	while (!strstr(buf, needle)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());
		ssize_t n;

		if (left <= 0 || used + 1 >= len) {
			ret = kestrel_fail(ETIMEDOUT, "no '%s' on the console; got '%s'",
					   needle, buf);
			break;
		}
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(fd, buf + used, len - used - 1);
		if (n <= 0) {
			ret = kestrel_fail(EIO, "console closed; got '%s'", buf);
			break;
		}
		used += n;
		buf[used] = '\0';
	}
	close(fd);
	return ret ? ret : (int)used;
}

uint64_t guest_mailbox(struct guest *g, unsigned int slot)
{
	return ((volatile uint64_t *)(g->ram + GUEST_MAILBOX))[slot];
}
