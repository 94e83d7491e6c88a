// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Linux boot-image loader, without a VM: Debian's own kernel (when
 * /boot has one) and synthetic bzImages are loaded and written into a
 * plain buffer standing for guest RAM, then the zero page, e820 map,
 * command line, initrd, kernel, page tables, GDT and register state are
 * read back.  Every rejection is checked for its errno and message.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <asm/bootparam.h>

#include "kselftest_harness.h"
#include "libkestrel.h"
#include "loader.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define RAM (256 * MiB)
#define CMDLINE "console=ttyS0 earlyprintk=serial root=/dev/ram0 rdinit=/init"

/* ---- files ---- */

static void put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* A sparse file of @len bytes (a huge initrd costs no disk). */
static void sparse_file(const char *path, uint64_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, len) < 0)
		abort();
	close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		abort();
	buf = malloc(st.st_size);
	if (!buf || read(fd, buf, st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = st.st_size;
	return buf;
}

static uint8_t pattern(size_t i)
{
	return (i * 7 + 3) ^ (i >> 11);
}

/* Debian's kernel, or NULL. */
static char *find_kernel(void)
{
	glob_t g;
	char *path = NULL;
	size_t i;

	if (glob("/boot/vmlinuz-6.1.0-*-amd64", 0, NULL, &g))
		return NULL;
	for (i = 0; i < g.gl_pathc && !path; i++)
		if (access(g.gl_pathv[i], R_OK) == 0)
			path = strdup(g.gl_pathv[i]);
	globfree(&g);
	return path;
}

/* ---- synthetic bzImages ---- */

#define SYN_SETUP_SECTS	4
#define SYN_SETUP_SIZE	((SYN_SETUP_SECTS + 1) * 512)
#define SYN_PM_SIZE	(64 * 1024)

/* A header like Debian's: 2.15, relocatable, 16 MiB, 2 MiB aligned. */
static void syn_header(struct setup_header *h)
{
	memset(h, 0, sizeof(*h));
	h->setup_sects = SYN_SETUP_SECTS;
	h->syssize = SYN_PM_SIZE / 16;
	h->boot_flag = 0xaa55;
	h->jump = 0x6aeb;	/* jmp 0x26c: the header ends at 0x26c */
	h->header = 0x53726448;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 2047;
	h->pref_address = 0x1000000;
	h->init_size = 4 * MiB;
}

/* Write a bzImage with header @h, @file_len bytes of it (0: all). */
static void syn_kernel(const char *path, const struct setup_header *h,
		       size_t file_len)
{
	size_t setup = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	size_t len = setup + (size_t)h->syssize * 16, i;
	uint8_t *img = calloc(1, len < 4096 ? 4096 : len);

	if (!img)
		abort();
	memcpy(img + 0x1f1, h, sizeof(*h));
	for (i = setup; i < len; i++)
		img[i] = pattern(i - setup);
	put_file(path, img, file_len ? file_len : len);
	free(img);
}

/* ---- checks ---- */

static const struct boot_params *zero_page(const uint8_t *ram)
{
	return (const void *)(ram + KESTREL_BOOT_ZERO_PAGE_ADDR);
}

/* Sorted, disjoint, RAM and reserved where they belong, RAM adds up. */
static void check_e820(struct __test_metadata *_metadata,
		       const struct kestrel_e820_entry *e, int n,
		       uint64_t ram_size)
{
	uint64_t ram = 0, low_end = ram_size < KESTREL_MMIO_HOLE_START ?
				  ram_size : KESTREL_MMIO_HOLE_START;
	bool ioapic = false, lapic = false, high = false, ecam = false;
	int i;

	ASSERT_LT(0, n);
	ASSERT_GE(KESTREL_E820_MAX, n);
	for (i = 0; i < n; i++) {
		EXPECT_LT(0, e[i].size);
		if (i)
			EXPECT_LE(e[i - 1].addr + e[i - 1].size, e[i].addr)
				TH_LOG("entry %d overlaps or is out of order", i);
		if (e[i].type == KESTREL_E820_RAM) {
			ram += e[i].size;
			/* RAM is where the guest has RAM, never in the hole. */
			EXPECT_TRUE(e[i].addr + e[i].size <= low_end ||
				    e[i].addr >= KESTREL_MMIO_HOLE_END);
			/* The low reserved area and the ACPI tables stay out. */
			EXPECT_TRUE(e[i].addr + e[i].size <= KESTREL_BOOT_EBDA_START ||
				    e[i].addr >= 0x100000);
		} else {
			EXPECT_EQ(KESTREL_E820_RESERVED, e[i].type);
		}
		if (e[i].addr <= KESTREL_IOAPIC_ADDR &&
		    e[i].addr + e[i].size > KESTREL_IOAPIC_ADDR)
			ioapic = e[i].type == KESTREL_E820_RESERVED;
		if (e[i].addr <= KESTREL_LAPIC_ADDR &&
		    e[i].addr + e[i].size > KESTREL_LAPIC_ADDR)
			lapic = e[i].type == KESTREL_E820_RESERVED;
		if (e[i].addr == KESTREL_MMIO_HOLE_END)
			high = true;
		/* the PCI ECAM, exactly, so the PCI window stays a gap */
		if (e[i].addr <= KESTREL_PCI_ECAM_BASE &&
		    e[i].addr + e[i].size > KESTREL_PCI_ECAM_BASE) {
			ecam = e[i].type == KESTREL_E820_RESERVED;
			EXPECT_EQ(KESTREL_PCI_ECAM_BASE, e[i].addr);
			EXPECT_EQ(KESTREL_PCI_ECAM_SIZE, e[i].size);
		}
		EXPECT_FALSE(e[i].addr <= KESTREL_PCI_MMIO_END &&
			     e[i].addr + e[i].size > KESTREL_PCI_MMIO_START)
			TH_LOG("entry %d covers the PCI window", i);
	}
	/* First entry: RAM from 0; reserved 0x9fc00-1 MiB (ACPI inside). */
	EXPECT_EQ(0, e[0].addr);
	EXPECT_EQ(KESTREL_E820_RAM, e[0].type);
	EXPECT_EQ(KESTREL_BOOT_EBDA_START, e[1].addr);
	EXPECT_EQ(0x100000, e[1].addr + e[1].size);
	EXPECT_EQ(KESTREL_E820_RESERVED, e[1].type);
	EXPECT_EQ(ram_size - (0x100000 - KESTREL_BOOT_EBDA_START), ram);
	EXPECT_TRUE(ioapic);
	EXPECT_TRUE(lapic);
	EXPECT_TRUE(ecam);
	EXPECT_EQ(ram_size > KESTREL_MMIO_HOLE_START, high);
}

static void check_e820_zero_page(struct __test_metadata *_metadata,
				 const struct boot_params *bp, uint64_t ram_size)
{
	struct kestrel_e820_entry e[KESTREL_E820_MAX];
	int i, n = bp->e820_entries;

	ASSERT_GE(KESTREL_E820_MAX, n);
	for (i = 0; i < n; i++) {
		e[i].addr = bp->e820_table[i].addr;
		e[i].size = bp->e820_table[i].size;
		e[i].type = bp->e820_table[i].type;
	}
	check_e820(_metadata, e, n, ram_size);
}

/* Translate @va through the guest's page tables; ~0 if unmapped. */
static uint64_t walk(const uint8_t *ram, uint64_t cr3, uint64_t va,
		     uint64_t *pde_out)
{
	uint64_t e;

	memcpy(&e, ram + cr3 + 8 * ((va >> 39) & 511), 8);
	if (!(e & 1))
		return ~0ULL;
	memcpy(&e, ram + (e & 0xffffffffff000ULL) + 8 * ((va >> 30) & 511), 8);
	if (!(e & 1) || (e & 0x80))
		return ~0ULL;	/* we only build 2 MiB pages */
	memcpy(&e, ram + (e & 0xffffffffff000ULL) + 8 * ((va >> 21) & 511), 8);
	if (!(e & 1) || !(e & 0x80))
		return ~0ULL;
	*pde_out = e;
	return (e & 0xfffffffe00000ULL) + (va & 0x1fffff);
}

static void check_page_tables(struct __test_metadata *_metadata,
			      const uint8_t *ram, uint64_t cr3)
{
	uint64_t va, pde;

	for (va = 0; va < 4 * GiB; va += 2 * MiB) {
		ASSERT_EQ(va + 0x1234, walk(ram, cr3, va + 0x1234, &pde))
			TH_LOG("%#llx is not identity mapped", (unsigned long long)va);
		EXPECT_TRUE(pde & 2);	/* writable */
		/* Uncached in the MMIO hole, write-back in RAM. */
		EXPECT_EQ(va >= KESTREL_MMIO_HOLE_START, !!(pde & 0x10));
	}
	EXPECT_EQ(~0ULL, walk(ram, cr3, 4 * GiB, &pde));
}

static void check_gdt_and_regs(struct __test_metadata *_metadata,
			       const uint8_t *ram,
			       const struct kestrel_boot_layout *l,
			       const struct kestrel_regs *r,
			       const struct kestrel_sregs *s)
{
	uint64_t cs, ds;

	EXPECT_EQ(l->kernel_addr + 0x200, r->rip);
	EXPECT_EQ(l->entry, r->rip);
	EXPECT_EQ(KESTREL_BOOT_ZERO_PAGE_ADDR, r->rsi);
	EXPECT_EQ(2, r->rflags);
	EXPECT_EQ(0, r->rax);
	EXPECT_EQ(0, r->rdi);

	EXPECT_EQ(0x500, s->efer & 0x500);		/* LME, LMA */
	EXPECT_EQ(0x80000001, s->cr0 & 0x80000001);	/* PG, PE */
	EXPECT_TRUE(s->cr4 & 0x20);			/* PAE */
	EXPECT_EQ(KESTREL_BOOT_PML4_ADDR, s->cr3);
	check_page_tables(_metadata, ram, s->cr3);

	/* CS: 64-bit code 0x10; DS/ES/SS: flat data 0x18. */
	EXPECT_EQ(0x10, s->cs.selector);
	EXPECT_EQ(0xb, s->cs.attrib & 0xf);
	EXPECT_TRUE(s->cs.attrib & (1 << 9));		/* L */
	EXPECT_FALSE(s->cs.attrib & (1 << 10));		/* D must be 0 with L */
	EXPECT_TRUE(s->cs.attrib & (1 << 7));		/* P */
	EXPECT_EQ(0, s->cs.base);
	EXPECT_EQ(0x18, s->ds.selector);
	EXPECT_EQ(0x18, s->es.selector);
	EXPECT_EQ(0x18, s->ss.selector);
	EXPECT_EQ(0x3, s->ds.attrib & 0xf);
	EXPECT_EQ(0xffffffff, s->ds.limit);
	EXPECT_EQ(0, s->ss.base);
	EXPECT_EQ(KESTREL_BOOT_GDT_ADDR, s->gdt.base);
	EXPECT_EQ(31, s->gdt.limit);

	/* The GDT in RAM says the same. */
	memcpy(&cs, ram + s->gdt.base + 0x10, 8);
	memcpy(&ds, ram + s->gdt.base + 0x18, 8);
	EXPECT_EQ(0x9b, (cs >> 40) & 0xff);		/* P, S, code XRA */
	EXPECT_EQ(1, (cs >> 53) & 1);			/* L */
	EXPECT_EQ(0x93, (ds >> 40) & 0xff);		/* P, S, data RWA */
	EXPECT_EQ(0xfffff, (ds & 0xffff) | ((ds >> 32) & 0xf0000));
	EXPECT_EQ(1, (ds >> 55) & 1);			/* G */
}

static void check_regions(struct __test_metadata *_metadata,
			  const struct kestrel_boot_layout *l)
{
	unsigned int i;

	ASSERT_LT(0, l->nr_regions);
	for (i = 0; i < l->nr_regions; i++) {
		EXPECT_LT(0, l->regions[i].len);
		EXPECT_GE(l->low_ram_end, l->regions[i].gpa + l->regions[i].len);
		if (i)
			EXPECT_LE(l->regions[i - 1].gpa + l->regions[i - 1].len,
				  l->regions[i].gpa)
				TH_LOG("%s overlaps %s", l->regions[i - 1].name,
				       l->regions[i].name);
	}
}

/* ---- fixture: a temp dir ---- */

FIXTURE(loader) {
	char dir[64];
	char kernel[128], initrd[128], other[128];
	struct kestrel_boot_image *img;
	uint8_t *ram;
};

FIXTURE_SETUP(loader)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/kestrel-loader-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->kernel, sizeof(self->kernel), "%s/bzImage", self->dir);
	snprintf(self->initrd, sizeof(self->initrd), "%s/initrd", self->dir);
	snprintf(self->other, sizeof(self->other), "%s/other", self->dir);
	self->img = NULL;
	self->ram = NULL;
}

FIXTURE_TEARDOWN(loader)
{
	char cmd[128];

	kestrel_boot_image_free(self->img);
	free(self->ram);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

/* Expect load to fail with @err and a message containing @what. */
#define EXPECT_LOAD_FAILS(self, kernel, initrd, cmdline, ram, err, what) do {	\
	struct kestrel_boot_image *__img = (void *)1;				\
	EXPECT_EQ(-(err), kestrel_boot_image_load(kernel, initrd, cmdline,	\
						  ram, &__img));		\
	EXPECT_EQ(NULL, __img);							\
	EXPECT_EQ(err, kestrel_last_errno());					\
	EXPECT_NE(NULL, strstr(kestrel_last_error(), what))			\
		TH_LOG("message: %s", kestrel_last_error());			\
} while (0)

/* ---- Debian's kernel ---- */

TEST_F(loader, debian_kernel_with_initrd_and_acpi)
{
	struct kestrel_boot_file files[2];
	struct kestrel_acpi_config acpi;
	struct kestrel_boot_layout l;
	struct kestrel_regs r;
	struct kestrel_sregs s;
	const struct boot_params *bp;
	const struct setup_header *fh;
	char *path = find_kernel();
	uint8_t *file, *initrd;
	size_t file_len, setup, initrd_len = MiB + 123, i;

	if (!path)
		SKIP(return, "no /boot/vmlinuz-6.1.0-*-amd64 (Debian's linux-image-amd64) to load");
	file = read_file(path, &file_len);
	ASSERT_NE(NULL, file);
	fh = (const void *)(file + 0x1f1);
	initrd = malloc(initrd_len);
	ASSERT_NE(NULL, initrd);
	for (i = 0; i < initrd_len; i++)
		initrd[i] = pattern(i) ^ 0x5a;
	put_file(self->initrd, initrd, initrd_len);

	ASSERT_EQ(0, kestrel_boot_image_load(path, self->initrd, CMDLINE, RAM,
					     &self->img))
		TH_LOG("%s", kestrel_last_error());
	kestrel_acpi_config_default(&acpi, 2);
	ASSERT_EQ(0, kestrel_boot_image_set_acpi(self->img, &acpi));
	self->ram = calloc(1, RAM);
	ASSERT_NE(NULL, self->ram);
	ASSERT_EQ(0, kestrel_boot_image_write(self->img, self->ram, RAM, &r, &s))
		TH_LOG("%s", kestrel_last_error());
	kestrel_boot_image_layout(self->img, &l);
	bp = zero_page(self->ram);

	/* The setup header, copied from the image, and what we set in it. */
	EXPECT_EQ(fh->header, bp->hdr.header);
	EXPECT_EQ(0x53726448, bp->hdr.header);
	EXPECT_EQ(fh->version, bp->hdr.version);
	EXPECT_LE(0x20c, bp->hdr.version);
	EXPECT_EQ(fh->version, l.protocol);
	EXPECT_EQ(fh->setup_sects, bp->hdr.setup_sects);
	EXPECT_EQ(fh->syssize, bp->hdr.syssize);
	EXPECT_EQ(fh->kernel_alignment, bp->hdr.kernel_alignment);
	EXPECT_EQ(fh->xloadflags, bp->hdr.xloadflags);
	EXPECT_EQ(fh->init_size, bp->hdr.init_size);
	EXPECT_EQ(fh->pref_address, bp->hdr.pref_address);
	EXPECT_EQ(fh->cmdline_size, bp->hdr.cmdline_size);
	EXPECT_EQ(fh->initrd_addr_max, bp->hdr.initrd_addr_max);
	EXPECT_EQ(0, memcmp((const uint8_t *)bp + 0x250, file + 0x250, 0x26c - 0x250));
	EXPECT_EQ(0xff, bp->hdr.type_of_loader);
	EXPECT_TRUE(bp->hdr.loadflags & LOADED_HIGH);
	EXPECT_EQ(0, bp->sentinel);
	EXPECT_EQ(KESTREL_BOOT_ACPI_ADDR, bp->acpi_rsdp_addr);
	EXPECT_EQ(0, memcmp(self->ram + bp->acpi_rsdp_addr, "RSD PTR ", 8));

	check_e820_zero_page(_metadata, bp, RAM);

	/* Command line. */
	EXPECT_EQ(KESTREL_BOOT_CMDLINE_ADDR, bp->hdr.cmd_line_ptr);
	EXPECT_EQ(0, bp->ext_cmd_line_ptr);
	EXPECT_STREQ(CMDLINE, (char *)self->ram + bp->hdr.cmd_line_ptr);
	EXPECT_EQ(strlen(CMDLINE), l.cmdline_len);

	/* Kernel at pref_address (16 MiB), exactly the file's bytes. */
	setup = (fh->setup_sects + 1) * 512;
	EXPECT_EQ(fh->pref_address, l.kernel_addr);
	EXPECT_EQ(l.kernel_addr, bp->hdr.code32_start);
	EXPECT_EQ((uint64_t)fh->syssize * 16, l.kernel_size);
	EXPECT_EQ(0, memcmp(self->ram + l.kernel_addr, file + setup, l.kernel_size));
	EXPECT_EQ(l.kernel_addr + fh->init_size, l.kernel_end);

	/* Initrd: page aligned, above the kernel, at the top of RAM. */
	EXPECT_EQ(l.initrd_addr, bp->hdr.ramdisk_image);
	EXPECT_EQ(initrd_len, bp->hdr.ramdisk_size);
	EXPECT_EQ(0, bp->ext_ramdisk_image);
	EXPECT_EQ(0, bp->hdr.ramdisk_image % 4096);
	EXPECT_LE(l.kernel_end, bp->hdr.ramdisk_image);
	EXPECT_GE(RAM, bp->hdr.ramdisk_image + initrd_len);
	EXPECT_LT(RAM - 4096, bp->hdr.ramdisk_image + initrd_len);
	EXPECT_GE((uint64_t)fh->initrd_addr_max + 1, bp->hdr.ramdisk_image + initrd_len);
	EXPECT_EQ(0, memcmp(self->ram + bp->hdr.ramdisk_image, initrd, initrd_len));

	/* The kernel and initrd regions as file ranges, for the module. */
	ASSERT_EQ(2, kestrel_boot_image_files(self->img, files));
	for (i = 0; i < 2; i++) {
		uint8_t *buf = malloc(files[i].size);

		ASSERT_NE(NULL, buf);
		ASSERT_EQ((ssize_t)files[i].size,
			  pread(files[i].fd, buf, files[i].size, files[i].offset));
		EXPECT_EQ(0, memcmp(self->ram + files[i].gpa, buf, files[i].size));
		EXPECT_EQ(0, files[i].flags);
		free(buf);
	}
	EXPECT_EQ(l.kernel_addr, files[0].gpa);
	EXPECT_EQ(l.kernel_size, files[0].size);
	EXPECT_EQ(setup, files[0].offset);
	EXPECT_EQ(l.initrd_addr, files[1].gpa);
	EXPECT_EQ(l.initrd_size, files[1].size);

	check_gdt_and_regs(_metadata, self->ram, &l, &r, &s);
	check_regions(_metadata, &l);
	EXPECT_EQ(7, l.nr_regions);
	free(initrd);
	free(file);
	free(path);
}

TEST_F(loader, debian_kernel_alone)
{
	struct kestrel_boot_layout l;
	const struct boot_params *bp;
	struct kestrel_regs r;
	char *path = find_kernel();

	if (!path)
		SKIP(return, "no /boot/vmlinuz-6.1.0-*-amd64 (Debian's linux-image-amd64) to load");
	ASSERT_EQ(0, kestrel_boot_image_load(path, NULL, NULL, RAM, &self->img))
		TH_LOG("%s", kestrel_last_error());
	self->ram = calloc(1, RAM);
	ASSERT_NE(NULL, self->ram);
	/* sregs are optional. */
	ASSERT_EQ(0, kestrel_boot_image_write(self->img, self->ram, RAM, &r, NULL));
	kestrel_boot_image_layout(self->img, &l);
	bp = zero_page(self->ram);
	EXPECT_EQ(0, bp->hdr.ramdisk_image);
	EXPECT_EQ(0, bp->hdr.ramdisk_size);
	EXPECT_EQ(0, bp->acpi_rsdp_addr);
	EXPECT_EQ(0, l.rsdp_addr);
	EXPECT_STREQ("", (char *)self->ram + bp->hdr.cmd_line_ptr);
	EXPECT_EQ(l.entry, r.rip);
	/* Nothing written where ACPI tables would go. */
	EXPECT_EQ(0, self->ram[KESTREL_BOOT_ACPI_ADDR]);
	check_regions(_metadata, &l);
	EXPECT_EQ(5, l.nr_regions);
	free(path);
}

TEST_F(loader, debian_kernel_truncated)
{
	char *path = find_kernel(), want[256];
	uint8_t *file;
	size_t len;

	if (!path)
		SKIP(return, "no /boot/vmlinuz-6.1.0-*-amd64 (Debian's linux-image-amd64) to load");
	file = read_file(path, &len);
	ASSERT_NE(NULL, file);
	ASSERT_LT(4 * MiB, len);
	put_file(self->kernel, file, 4 * MiB);
	snprintf(want, sizeof(want), "kernel image '%s' truncated: header says ",
		 self->kernel);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC, want);
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "file has 4 MiB (4194304 bytes)"));
	free(file);
	free(path);
}

TEST_F(loader, debian_kernel_needs_more_ram)
{
	char *path = find_kernel();

	if (!path)
		SKIP(return, "no /boot/vmlinuz-6.1.0-*-amd64 (Debian's linux-image-amd64) to load");
	/* 16 MiB + ~64 MiB of init_size does not fit in 64 MiB. */
	EXPECT_LOAD_FAILS(self, path, NULL, NULL, 64 * MiB, EFBIG,
			  "does not fit in guest memory (64 MiB)");
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "of init_size from 16 MiB"));
	free(path);
}

/* ---- synthetic images: where things go ---- */

TEST_F(loader, synthetic_layout_and_bytes)
{
	struct setup_header h;
	struct kestrel_boot_layout l;
	struct kestrel_regs r;
	struct kestrel_sregs s;
	const struct boot_params *bp;
	uint8_t initrd[10000];
	size_t i;

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = pattern(i + 1);
	put_file(self->initrd, initrd, sizeof(initrd));
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, self->initrd, "x",
					     64 * MiB, &self->img));
	self->ram = calloc(1, 64 * MiB);
	ASSERT_NE(NULL, self->ram);
	/* A bigger buffer than needed is fine. */
	ASSERT_EQ(0, kestrel_boot_image_write(self->img, self->ram, 64 * MiB, &r, &s));
	kestrel_boot_image_layout(self->img, &l);
	bp = zero_page(self->ram);
	EXPECT_EQ(0x1000000, l.kernel_addr);
	EXPECT_EQ(SYN_PM_SIZE, l.kernel_size);
	EXPECT_EQ(0x1000000 + 4 * MiB, l.kernel_end);
	for (i = 0; i < SYN_PM_SIZE; i++)
		if (self->ram[l.kernel_addr + i] != pattern(i))
			break;
	EXPECT_EQ(SYN_PM_SIZE, i);
	/* Top of RAM, page aligned: 64 MiB - 12 KiB. */
	EXPECT_EQ(64 * MiB - 3 * 4096, l.initrd_addr);
	EXPECT_EQ(sizeof(initrd), l.initrd_size);
	EXPECT_EQ(0, memcmp(self->ram + l.initrd_addr, initrd, sizeof(initrd)));
	EXPECT_STREQ("x", (char *)self->ram + bp->hdr.cmd_line_ptr);
	EXPECT_EQ(0x20f, bp->hdr.version);
	EXPECT_EQ(0xff, bp->hdr.type_of_loader);
	check_e820_zero_page(_metadata, bp, 64 * MiB);
	check_gdt_and_regs(_metadata, self->ram, &l, &r, &s);
	check_regions(_metadata, &l);
}

TEST_F(loader, initrd_below_initrd_addr_max)
{
	struct setup_header h;
	struct kestrel_boot_layout l;

	syn_header(&h);
	h.initrd_addr_max = 0x2ffffff;	/* 48 MiB - 1 */
	syn_kernel(self->kernel, &h, 0);
	sparse_file(self->initrd, 5 * MiB + 1);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, self->initrd, NULL,
					     RAM, &self->img));
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(43 * MiB - 4096, l.initrd_addr);
	EXPECT_GE(48 * MiB, l.initrd_addr + l.initrd_size);
}

TEST_F(loader, placement_without_usable_pref_address)
{
	struct setup_header h;
	struct kestrel_boot_layout l;

	/* Relocatable, no pref_address: 1 MiB, runs from 2 MiB. */
	syn_header(&h);
	h.pref_address = 0;
	syn_kernel(self->kernel, &h, 0);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, NULL, NULL, RAM, &self->img));
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(0x100000, l.kernel_addr);
	EXPECT_EQ(0x100200, l.entry);
	EXPECT_EQ(2 * MiB + 4 * MiB, l.kernel_end);
	kestrel_boot_image_free(self->img);
	self->img = NULL;

	/*
	 * pref_address not a multiple of kernel_alignment: 1 MiB, and it
	 * still decompresses at pref_address.
	 */
	syn_header(&h);
	h.pref_address = 0x1100000;
	syn_kernel(self->kernel, &h, 0);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, NULL, NULL, RAM, &self->img));
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(0x100000, l.kernel_addr);
	EXPECT_EQ(0x1100000 + 4 * MiB, l.kernel_end);
	kestrel_boot_image_free(self->img);
	self->img = NULL;

	/* Not relocatable: at pref_address whatever its alignment. */
	syn_header(&h);
	h.relocatable_kernel = 0;
	h.kernel_alignment = 0;
	h.pref_address = 0x1100000;
	syn_kernel(self->kernel, &h, 0);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, NULL, NULL, RAM, &self->img));
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(0x1100000, l.kernel_addr);
	EXPECT_EQ(0x1100000 + 4 * MiB, l.kernel_end);
}

TEST_F(loader, empty_initrd_and_longest_cmdline)
{
	struct setup_header h;
	struct kestrel_boot_layout l;
	char cmdline[2048];

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	put_file(self->initrd, "", 0);
	memset(cmdline, 'a', 2047);
	cmdline[2047] = '\0';
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, self->initrd, cmdline,
					     RAM, &self->img))
		TH_LOG("%s", kestrel_last_error());
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(0, l.initrd_addr);
	EXPECT_EQ(0, l.initrd_size);
	EXPECT_EQ(2047, l.cmdline_len);
}

/* More RAM than fits below the hole: RAM above 4 GiB in the e820 map. */
TEST_F(loader, ram_above_4g)
{
	const uint64_t ram_size = 4 * GiB + 512 * MiB;
	struct kestrel_boot_layout l;
	struct kestrel_regs r;
	struct kestrel_sregs s;
	struct setup_header h;
	uint8_t *ram;

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	sparse_file(self->initrd, 3 * MiB);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, self->initrd, NULL,
					     ram_size, &self->img));
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(KESTREL_MMIO_HOLE_START, l.low_ram_end);
	/* Below initrd_addr_max (2 GiB - 1), not at the top of low RAM. */
	EXPECT_EQ(2 * GiB - 3 * MiB, l.initrd_addr);

	/* Only the pages written are touched: reserve, don't commit. */
	ram = mmap(NULL, KESTREL_MMIO_HOLE_START, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, ram);
	EXPECT_EQ(-EINVAL, kestrel_boot_image_write(self->img, ram,
						    KESTREL_MMIO_HOLE_START - 4096,
						    &r, &s));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "RAM buffer"));
	ASSERT_EQ(0, kestrel_boot_image_write(self->img, ram,
					      KESTREL_MMIO_HOLE_START, &r, &s));
	check_e820_zero_page(_metadata, zero_page(ram), ram_size);
	EXPECT_EQ(KESTREL_MMIO_HOLE_END,
		  zero_page(ram)->e820_table[zero_page(ram)->e820_entries - 1].addr);
	check_gdt_and_regs(_metadata, ram, &l, &r, &s);
	munmap(ram, KESTREL_MMIO_HOLE_START);
}

TEST(e820_maps)
{
	static const uint64_t sizes[] = {
		1 * MiB, 2 * MiB, 256 * MiB, 3 * GiB - 4096, 3 * GiB,
		3 * GiB + 2 * MiB, 8 * GiB, 1ULL << 40,
	};
	struct kestrel_e820_entry e[KESTREL_E820_MAX];
	unsigned int i;
	int n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = kestrel_e820_build(sizes[i], e, KESTREL_E820_MAX);
		ASSERT_LT(0, n) TH_LOG("%s", kestrel_last_error());
		check_e820(_metadata, e, n, sizes[i]);
	}
	n = kestrel_e820_build(8 * GiB, e, KESTREL_E820_MAX);
	ASSERT_EQ(7, n);
	EXPECT_EQ(0x100000, e[2].addr);
	EXPECT_EQ(3 * GiB - 0x100000, e[2].size);
	EXPECT_EQ(KESTREL_PCI_ECAM_BASE, e[3].addr);
	EXPECT_EQ(KESTREL_PCI_ECAM_SIZE, e[3].size);
	EXPECT_EQ(KESTREL_E820_RESERVED, e[3].type);
	EXPECT_EQ(4 * GiB, e[6].addr);
	EXPECT_EQ(5 * GiB, e[6].size);

	EXPECT_EQ(-EINVAL, kestrel_e820_build(MiB - 4096, e, KESTREL_E820_MAX));
	EXPECT_EQ(-ENOSPC, kestrel_e820_build(8 * GiB, e, 5));
}

/* ---- rejections ---- */

TEST_F(loader, missing_files)
{
	struct setup_header h;
	char want[200];

	snprintf(want, sizeof(want), "cannot open kernel image '%s': No such file",
		 self->kernel);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOENT, want);

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	snprintf(want, sizeof(want), "cannot open initrd '%s': No such file",
		 self->initrd);
	EXPECT_LOAD_FAILS(self, self->kernel, self->initrd, NULL, RAM, ENOENT, want);

	EXPECT_LOAD_FAILS(self, self->dir, NULL, NULL, RAM, EINVAL,
			  "is not a regular file");
	EXPECT_LOAD_FAILS(self, self->kernel, self->dir, NULL, RAM, EINVAL,
			  "is not a regular file");
}

TEST_F(loader, not_a_bzimage)
{
	struct setup_header h;
	uint8_t junk[8192];

	memset(junk, 0x42, sizeof(junk));
	put_file(self->kernel, junk, sizeof(junk));
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "is not a Linux kernel image (bzImage): no \"HdrS\" signature");

	put_file(self->kernel, junk, 100);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "is not a Linux kernel image (bzImage): only 100 bytes");

	syn_header(&h);
	h.boot_flag = 0;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "boot flag 0 at offset 0x1fe");

	syn_header(&h);
	h.loadflags = 0;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "is a zImage");
}

TEST_F(loader, old_protocol)
{
	struct setup_header h;

	syn_header(&h);
	h.version = 0x020b;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "uses boot protocol 2.11; the 64-bit boot protocol needs 2.12 or later");
}

TEST_F(loader, kernel_32bit_only)
{
	struct setup_header h;

	syn_header(&h);
	h.xloadflags = 0;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "has no 64-bit entry point (XLF_KERNEL_64 clear)");
}

TEST_F(loader, truncated_image)
{
	struct setup_header h;
	char want[256];

	syn_header(&h);
	h.syssize = 9 * MiB / 16;
	syn_kernel(self->kernel, &h, 4 * MiB);
	snprintf(want, sizeof(want),
		 "kernel image '%s' truncated: header says 9.0 MiB (%llu bytes), file has 4 MiB (4194304 bytes)",
		 self->kernel, (unsigned long long)(9 * MiB + SYN_SETUP_SIZE));
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC, want);

	/* Cut inside the setup sectors. */
	syn_header(&h);
	h.setup_sects = 60;
	syn_kernel(self->kernel, &h, 8192);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "truncated: header says");
}

TEST_F(loader, corrupt_header_fields)
{
	struct setup_header h;

	syn_header(&h);
	h.syssize = 0;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "syssize is 0");

	syn_header(&h);
	h.kernel_alignment = 0x300000;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "kernel_alignment 0x300000 is not a power of two");

	syn_header(&h);
	h.pref_address = 0xc0000000;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "pref_address 0xc0000000");

	syn_header(&h);
	h.jump = 0x50eb;	/* header would end at 0x252 */
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, ENOEXEC,
			  "setup header ends at 0x252");
}

TEST_F(loader, kernel_too_big_for_ram)
{
	struct setup_header h;

	syn_header(&h);
	h.init_size = 300 * MiB;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, RAM, EFBIG,
			  "does not fit in guest memory (256 MiB): it needs RAM up to 316 MiB (300 MiB of init_size from 16 MiB)");
	/* It does fit in 4 GiB, whose RAM below the hole ends at 3 GiB. */
	h.init_size = 3 * GiB;
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, 4 * GiB, EFBIG,
			  "below the MMIO hole at 3 GiB");

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, NULL, 512 * 1024, EINVAL,
			  "guest memory (512 KiB) is too small");
}

TEST_F(loader, initrd_does_not_fit)
{
	struct setup_header h;

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	sparse_file(self->initrd, 300 * MiB);
	EXPECT_LOAD_FAILS(self, self->kernel, self->initrd, NULL, RAM, EFBIG,
			  "(300 MiB) does not fit in guest memory (256 MiB) above the kernel");
	/* RAM left above the kernel (ends at 20 MiB): 236 MiB. */
	sparse_file(self->initrd, 236 * MiB + 1);
	EXPECT_LOAD_FAILS(self, self->kernel, self->initrd, NULL, RAM, EFBIG,
			  "236 MiB free between 20 MiB and 256 MiB");
	sparse_file(self->initrd, 236 * MiB);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, self->initrd, NULL,
					     RAM, &self->img));

	/* initrd_addr_max can be what stops it. */
	syn_header(&h);
	h.initrd_addr_max = 0x17fffff;
	syn_kernel(self->kernel, &h, 0);
	sparse_file(self->initrd, 8 * MiB);
	EXPECT_LOAD_FAILS(self, self->kernel, self->initrd, NULL, RAM, EFBIG,
			  "(the kernel's initrd_addr_max)");
}

TEST_F(loader, cmdline_too_long)
{
	struct setup_header h;
	char cmdline[2049];

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	memset(cmdline, 'a', 2048);
	cmdline[2048] = '\0';
	EXPECT_LOAD_FAILS(self, self->kernel, NULL, cmdline, RAM, E2BIG,
			  "kernel command line is 2048 bytes; this kernel accepts at most 2047");
}

TEST_F(loader, initrd_shrinks_before_write)
{
	struct setup_header h;
	uint8_t *ram;

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	sparse_file(self->initrd, MiB);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, self->initrd, NULL,
					     64 * MiB, &self->img));
	sparse_file(self->initrd, 4096);
	ram = calloc(1, 64 * MiB);
	ASSERT_NE(NULL, ram);
	EXPECT_EQ(-EIO, kestrel_boot_image_write(self->img, ram, 64 * MiB, NULL, NULL));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "is shorter than when it was loaded"));
	free(ram);
}

TEST_F(loader, bad_acpi_config)
{
	struct kestrel_acpi_config acpi;
	struct kestrel_boot_layout l;
	struct setup_header h;

	syn_header(&h);
	syn_kernel(self->kernel, &h, 0);
	ASSERT_EQ(0, kestrel_boot_image_load(self->kernel, NULL, NULL, RAM, &self->img));
	kestrel_acpi_config_default(&acpi, 0);
	EXPECT_EQ(-EINVAL, kestrel_boot_image_set_acpi(self->img, &acpi));
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(0, l.rsdp_addr);
	/* Setting it twice keeps one ACPI region. */
	kestrel_acpi_config_default(&acpi, 1);
	ASSERT_EQ(0, kestrel_boot_image_set_acpi(self->img, &acpi));
	kestrel_acpi_config_default(&acpi, 64);
	ASSERT_EQ(0, kestrel_boot_image_set_acpi(self->img, &acpi));
	kestrel_boot_image_layout(self->img, &l);
	EXPECT_EQ(KESTREL_BOOT_ACPI_ADDR, l.rsdp_addr);
	EXPECT_EQ(6, l.nr_regions);
	check_regions(_metadata, &l);
}

/* What the controller appends to a Linux guest's command line. */
TEST(cmdline_pv_appends_once)
{
	char *l;

	l = kestrel_boot_cmdline_pv("console=ttyS0", 2596124);
	ASSERT_NE(NULL, l);
	EXPECT_STREQ("console=ttyS0 tsc_early_khz=2596124 no_timer_check", l);
	free(l);
	/* The user's own settings win; nothing is added twice. */
	l = kestrel_boot_cmdline_pv("tsc_early_khz=1000 no_timer_check", 2596124);
	ASSERT_NE(NULL, l);
	EXPECT_STREQ("tsc_early_khz=1000 no_timer_check", l);
	free(l);
	/* An unknown rate adds no tsc_early_khz; an empty line stays tidy. */
	l = kestrel_boot_cmdline_pv(NULL, 0);
	ASSERT_NE(NULL, l);
	EXPECT_STREQ("no_timer_check", l);
	free(l);
}

TEST_HARNESS_MAIN
