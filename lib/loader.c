// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Linux 64-bit boot protocol: validate a bzImage, an initrd and a
 * command line against the guest's RAM, then write them, the zero page,
 * the e820 map, identity page tables, a GDT and (optionally) the ACPI
 * tables into guest RAM.  Layout and errors: loader.h.
 *
 * The setup header and boot_params are the kernel's own UAPI structures
 * (<asm/bootparam.h> from linux-libc-dev), so field offsets are the ABI's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <asm/bootparam.h>

#include "libkestrel.h"
#include "loader.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PAGE_SIZE 4096ULL

#define HDR_OFFSET		0x1f1	/* struct setup_header in the image and the zero page */
#define HDR_MAGIC		0x53726448	/* "HdrS" */
#define BOOT_FLAG		0xaa55
#define MIN_PROTOCOL		0x020c	/* 2.12: xloadflags, XLF_KERNEL_64 */
#define ENTRY_64_OFFSET		0x200
#define OLD_INITRD_ADDR_MAX	0x37ffffff
#define TYPE_OF_LOADER_UNDEF	0xff
#define IMAGE_HEAD		1024	/* read before anything else */
#define HDR_END_MAX		(HDR_OFFSET + sizeof(struct setup_header))
/* The 2.12 header must reach at least to the end of init_size. */
#define HDR_END_MIN		0x264

/* Page-table entry bits. */
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PS		(1ULL << 7)

/* Control registers of the 64-bit entry. */
#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* VMCB-format segment attributes: type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1. */
#define SEG_S		(1 << 4)
#define SEG_P		(1 << 7)
#define SEG_L		(1 << 9)
#define SEG_DB		(1 << 10)
#define SEG_G		(1 << 11)
#define SEG_CODE_XRA	0xb	/* execute/read, accessed */
#define SEG_DATA_RWA	0x3	/* read/write, accessed */
#define SEG_TSS64_BUSY	0xb
#define SEG_LDT		0x2

/* The same segments as GDT descriptors. */
#define GDT_CODE64	0x00af9b000000ffffULL	/* 0x10: __BOOT_CS */
#define GDT_DATA	0x00cf93000000ffffULL	/* 0x18: __BOOT_DS */

struct kestrel_boot_image {
	char *kernel_path;
	char *initrd_path;
	uint8_t setup[sizeof(struct setup_header)];	/* the image's header */
	size_t setup_len;				/* bytes of it present */
	uint8_t *kernel;				/* protected-mode kernel */
	int kernel_fd;					/* kept for the module */
	uint64_t kernel_offset;				/* of @kernel in it */
	int initrd_fd;					/* -1: no initrd */
	char *cmdline;
	bool acpi;
	struct kestrel_acpi_config acpi_cfg;
	struct kestrel_boot_layout layout;
};

/* "9 MiB", "63.6 MiB", "4 GiB", "512 KiB", "17 bytes" */
static const char *fmt_size(char buf[32], uint64_t v)
{
	if (v >= GiB && v % GiB == 0)
		snprintf(buf, 32, "%llu GiB", (unsigned long long)(v / GiB));
	else if (v >= MiB && v % MiB == 0)
		snprintf(buf, 32, "%llu MiB", (unsigned long long)(v / MiB));
	else if (v >= MiB)
		snprintf(buf, 32, "%.1f MiB", (double)v / MiB);
	else if (v >= KiB && v % KiB == 0)
		snprintf(buf, 32, "%llu KiB", (unsigned long long)(v / KiB));
	else if (v >= KiB)
		snprintf(buf, 32, "%.1f KiB", (double)v / KiB);
	else
		snprintf(buf, 32, "%llu bytes", (unsigned long long)v);
	return buf;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t low_ram_end(uint64_t ram_size)
{
	return ram_size < KESTREL_MMIO_HOLE_START ? ram_size : KESTREL_MMIO_HOLE_START;
}

/* Read exactly @len bytes at @off; -errno, or -ENODATA at end of file. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Open a regular file for reading; its size in *@size. */
static int open_file(const char *what, const char *path, uint64_t *size)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return kestrel_fail(err, "cannot open %s '%s': %s", what, path,
				    strerror(err));
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return kestrel_fail(err, "cannot stat %s '%s': %s", what, path,
				    strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return kestrel_fail(EINVAL, "%s '%s' is not a regular file", what, path);
	}
	*size = st.st_size;
	return fd;
}

/* ---- e820 ---- */

int kestrel_e820_build(uint64_t ram_size, struct kestrel_e820_entry *table,
		       unsigned int max)
{
	struct kestrel_e820_entry e[KESTREL_E820_MAX];
	uint64_t low_end = low_ram_end(ram_size);
	unsigned int n = 0;

	if (ram_size < KESTREL_BOOT_HIGH_START)
		return kestrel_fail(EINVAL, "e820: guest RAM of %llu bytes is below the 1 MiB the boot layout uses",
				    (unsigned long long)ram_size);
	e[n++] = (struct kestrel_e820_entry){ 0, KESTREL_BOOT_EBDA_START, KESTREL_E820_RAM };
	e[n++] = (struct kestrel_e820_entry){
		KESTREL_BOOT_EBDA_START,
		KESTREL_BOOT_HIGH_START - KESTREL_BOOT_EBDA_START,
		KESTREL_E820_RESERVED };
	if (low_end > KESTREL_BOOT_HIGH_START)
		e[n++] = (struct kestrel_e820_entry){
			KESTREL_BOOT_HIGH_START, low_end - KESTREL_BOOT_HIGH_START,
			KESTREL_E820_RAM };
	/* PCI ECAM: Linux uses the MCFG's region only when it is reserved */
	e[n++] = (struct kestrel_e820_entry){ KESTREL_PCI_ECAM_BASE,
					      KESTREL_PCI_ECAM_SIZE,
					      KESTREL_E820_RESERVED };
	e[n++] = (struct kestrel_e820_entry){ KESTREL_IOAPIC_ADDR, PAGE_SIZE,
					      KESTREL_E820_RESERVED };
	e[n++] = (struct kestrel_e820_entry){ KESTREL_LAPIC_ADDR, PAGE_SIZE,
					      KESTREL_E820_RESERVED };
	if (ram_size > KESTREL_MMIO_HOLE_START)
		e[n++] = (struct kestrel_e820_entry){
			KESTREL_MMIO_HOLE_END, ram_size - KESTREL_MMIO_HOLE_START,
			KESTREL_E820_RAM };
	if (n > max)
		return kestrel_fail(ENOSPC, "e820: %u entries, room for %u", n, max);
	memcpy(table, e, n * sizeof(e[0]));
	return n;
}

/* ---- load ---- */

static int load_kernel(struct kestrel_boot_image *img, const char *path,
		       uint64_t ram_size)
{
	struct kestrel_boot_layout *l = &img->layout;
	uint8_t head[IMAGE_HEAD];
	struct setup_header h;
	uint64_t file_size, setup_size, pm_size, image_size, init_size;
	uint64_t load, runtime, end, low_end = low_ram_end(ram_size);
	unsigned int setup_sects, hdr_end;
	char a[32], b[32], c[32], d[32];
	int fd, err;

	fd = open_file("kernel image", path, &file_size);
	if (fd < 0)
		return fd;
	if (file_size < IMAGE_HEAD) {
		err = kestrel_fail(ENOEXEC, "'%s' is not a Linux kernel image (bzImage): only %llu bytes",
				   path, (unsigned long long)file_size);
		goto out;
	}
	err = read_at(fd, head, sizeof(head), 0);
	if (err) {
		err = kestrel_fail(err == -ENODATA ? EIO : -err,
				   "cannot read kernel image '%s': %s", path,
				   strerror(err == -ENODATA ? EIO : -err));
		goto out;
	}
	memcpy(&h, head + HDR_OFFSET, sizeof(h));

	if (h.header != HDR_MAGIC) {
		err = kestrel_fail(ENOEXEC, "'%s' is not a Linux kernel image (bzImage): no \"HdrS\" signature at offset 0x202",
				   path);
		goto out;
	}
	if (h.boot_flag != BOOT_FLAG) {
		err = kestrel_fail(ENOEXEC, "'%s' is not a Linux kernel image (bzImage): boot flag %#x at offset 0x1fe, expected 0xaa55",
				   path, h.boot_flag);
		goto out;
	}
	l->protocol = h.version;
	if (h.version < MIN_PROTOCOL) {
		err = kestrel_fail(ENOEXEC, "kernel '%s' uses boot protocol %u.%02u; the 64-bit boot protocol needs 2.12 or later (Linux 3.8+)",
				   path, h.version >> 8, h.version & 0xff);
		goto out;
	}
	if (!(h.loadflags & LOADED_HIGH)) {
		err = kestrel_fail(ENOEXEC, "kernel '%s' is a zImage (LOADED_HIGH clear); only bzImages are supported",
				   path);
		goto out;
	}
	if (!(h.xloadflags & XLF_KERNEL_64)) {
		err = kestrel_fail(ENOEXEC, "kernel '%s' has no 64-bit entry point (XLF_KERNEL_64 clear): a 32-bit kernel cannot boot through the 64-bit boot protocol",
				   path);
		goto out;
	}
	/* The header ends at 0x202 + the jump's 8-bit displacement. */
	hdr_end = 0x202 + head[0x201];
	if (hdr_end < HDR_END_MIN) {
		err = kestrel_fail(ENOEXEC, "kernel image '%s' is corrupt: its setup header ends at %#x, before init_size",
				   path, hdr_end);
		goto out;
	}
	if (hdr_end > HDR_END_MAX)
		hdr_end = HDR_END_MAX;
	img->setup_len = hdr_end - HDR_OFFSET;
	memcpy(img->setup, head + HDR_OFFSET, img->setup_len);

	setup_sects = h.setup_sects ? h.setup_sects : 4;
	setup_size = (setup_sects + 1) * 512ULL;
	pm_size = (uint64_t)h.syssize * 16;
	image_size = setup_size + pm_size;
	if (!pm_size) {
		err = kestrel_fail(ENOEXEC, "kernel image '%s' is corrupt: syssize is 0 (no protected-mode kernel)",
				   path);
		goto out;
	}
	if (file_size < image_size) {
		err = kestrel_fail(ENOEXEC, "kernel image '%s' truncated: header says %s (%llu bytes), file has %s (%llu bytes)",
				   path, fmt_size(a, image_size),
				   (unsigned long long)image_size,
				   fmt_size(b, file_size),
				   (unsigned long long)file_size);
		goto out;
	}
	if (h.relocatable_kernel &&
	    (!h.kernel_alignment || (h.kernel_alignment & (h.kernel_alignment - 1)))) {
		err = kestrel_fail(ENOEXEC, "kernel image '%s' is corrupt: kernel_alignment %#x is not a power of two",
				   path, h.kernel_alignment);
		goto out;
	}
	if (h.pref_address &&
	    (h.pref_address < KESTREL_BOOT_HIGH_START ||
	     h.pref_address >= KESTREL_MMIO_HOLE_START ||
	     (h.pref_address & (PAGE_SIZE - 1)))) {
		err = kestrel_fail(ENOEXEC, "kernel image '%s' is corrupt or unsupported: pref_address %#llx is not a page-aligned address between 1 MiB and 3 GiB",
				   path, (unsigned long long)h.pref_address);
		goto out;
	}

	/*
	 * Load at pref_address when the kernel may run there (relocatable
	 * and aligned, or not relocatable: it moves itself there anyway),
	 * else at 1 MiB.  The kernel runs (decompresses) from @runtime: a
	 * relocatable kernel from its load address aligned up to
	 * kernel_alignment but never below LOAD_PHYSICAL_ADDR (=
	 * pref_address), a fixed one from pref_address.  init_size counts
	 * from there.
	 */
	if (h.pref_address &&
	    (!h.relocatable_kernel || !(h.pref_address & (h.kernel_alignment - 1))))
		load = h.pref_address;
	else
		load = KESTREL_BOOT_HIGH_START;
	if (h.relocatable_kernel)
		runtime = align_up(load, h.kernel_alignment);
	else
		runtime = load;
	if (runtime < h.pref_address)
		runtime = h.pref_address;
	init_size = h.init_size > pm_size ? h.init_size : pm_size;
	end = runtime + init_size;
	if (end < load + pm_size)
		end = load + pm_size;
	end = align_up(end, PAGE_SIZE);
	if (end > low_end) {
		err = kestrel_fail(EFBIG, "kernel '%s' does not fit in guest memory (%s): it needs RAM up to %s (%s of init_size from %s)%s",
				   path, fmt_size(a, ram_size), fmt_size(b, end),
				   fmt_size(c, init_size), fmt_size(d, runtime),
				   ram_size > low_end ? ", below the MMIO hole at 3 GiB" : "");
		goto out;
	}

	img->kernel = malloc(pm_size);
	if (!img->kernel) {
		err = kestrel_fail(ENOMEM, "out of memory reading kernel '%s'", path);
		goto out;
	}
	err = read_at(fd, img->kernel, pm_size, setup_size);
	if (err) {
		int e = err == -ENODATA ? EIO : -err;

		err = kestrel_fail(e, "cannot read kernel image '%s': %s", path,
				   strerror(e));
		goto out;
	}
	l->kernel_addr = load;
	l->kernel_size = pm_size;
	l->kernel_end = end;
	l->entry = load + ENTRY_64_OFFSET;
	/* The module keeps the file, not a copy, for reboots. */
	img->kernel_fd = fd;
	img->kernel_offset = setup_size;
	return 0;
out:
	close(fd);
	return err;
}

/* Append " @word" to *@line (malloc'd) unless it holds @key already. */
static int cmdline_add(char **line, const char *key, const char *word)
{
	char *out;

	if (strstr(*line, key))
		return 0;
	if (asprintf(&out, "%s%s%s", *line, **line ? " " : "", word) < 0)
		return -1;
	free(*line);
	*line = out;
	return 0;
}

char *kestrel_boot_cmdline_pv(const char *cmdline, uint32_t tsc_khz)
{
	char word[32], *out = strdup(cmdline ? cmdline : "");

	snprintf(word, sizeof(word), "tsc_early_khz=%u", tsc_khz);
	if (!out || (tsc_khz && cmdline_add(&out, "tsc_early_khz=", word)) ||
	    cmdline_add(&out, "no_timer_check", "no_timer_check")) {
		free(out);
		kestrel_fail(ENOMEM, "out of memory");
		return NULL;
	}
	return out;
}

static int load_cmdline(struct kestrel_boot_image *img, const char *cmdline)
{
	const struct setup_header *h = (const void *)img->setup;
	size_t len = cmdline ? strlen(cmdline) : 0;

	if (len > h->cmdline_size)
		return kestrel_fail(E2BIG, "kernel command line is %zu bytes; this kernel accepts at most %u (cmdline_size)",
				    len, h->cmdline_size);
	if (len >= KESTREL_BOOT_CMDLINE_MAX)
		return kestrel_fail(E2BIG, "kernel command line is %zu bytes; the boot layout holds at most %u",
				    len, KESTREL_BOOT_CMDLINE_MAX - 1);
	img->cmdline = strdup(cmdline ? cmdline : "");
	if (!img->cmdline)
		return kestrel_fail(ENOMEM, "out of memory");
	img->layout.cmdline_addr = KESTREL_BOOT_CMDLINE_ADDR;
	img->layout.cmdline_len = len;
	return 0;
}

static int load_initrd(struct kestrel_boot_image *img, const char *path)
{
	const struct setup_header *h = (const void *)img->setup;
	struct kestrel_boot_layout *l = &img->layout;
	uint64_t size, max, top, addr, low_end = l->low_ram_end;
	char a[32], b[32], c[32], d[32], e[32];
	int fd;

	fd = open_file("initrd", path, &size);
	if (fd < 0)
		return fd;
	if (!size) {
		close(fd);
		return 0;
	}
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	max = h->initrd_addr_max ? h->initrd_addr_max : OLD_INITRD_ADDR_MAX;
	top = max + 1 < low_end ? max + 1 : low_end;
	addr = size <= top ? (top - size) & ~(PAGE_SIZE - 1) : 0;
	if (size > top || addr < l->kernel_end) {
		close(fd);
		return kestrel_fail(EFBIG, "initrd '%s' (%s) does not fit in guest memory (%s) above the kernel: %s free between %s and %s%s",
				    path, fmt_size(a, size), fmt_size(b, l->ram_size),
				    fmt_size(c, top > l->kernel_end ? top - l->kernel_end : 0),
				    fmt_size(d, l->kernel_end), fmt_size(e, top),
				    top < low_end ? " (the kernel's initrd_addr_max)" : "");
	}
	img->initrd_fd = fd;
	l->initrd_addr = addr;
	l->initrd_size = size;
	return 0;
}

static void add_region(struct kestrel_boot_layout *l, uint64_t gpa,
		       uint64_t len, const char *name)
{
	struct kestrel_boot_region *r = &l->regions[l->nr_regions++];
	unsigned int i;

	r->gpa = gpa;
	r->len = len;
	r->name = name;
	/* Keep them sorted by address (insertion sort, a handful). */
	for (i = l->nr_regions - 1; i > 0 && l->regions[i - 1].gpa > gpa; i--) {
		struct kestrel_boot_region t = l->regions[i - 1];

		l->regions[i - 1] = l->regions[i];
		l->regions[i] = t;
	}
}

static void remove_region(struct kestrel_boot_layout *l, const char *name)
{
	unsigned int i;

	for (i = 0; i < l->nr_regions; i++) {
		if (strcmp(l->regions[i].name, name))
			continue;
		memmove(&l->regions[i], &l->regions[i + 1],
			(l->nr_regions - i - 1) * sizeof(l->regions[0]));
		l->nr_regions--;
		return;
	}
}

int kestrel_boot_image_load(const char *kernel_path, const char *initrd_path,
			    const char *cmdline, uint64_t ram_size,
			    struct kestrel_boot_image **out)
{
	struct kestrel_boot_image *img;
	struct kestrel_boot_layout *l;
	char a[32];
	int err;

	*out = NULL;
	if (!kernel_path)
		return kestrel_fail(EINVAL, "no kernel image given");
	if (ram_size < KESTREL_BOOT_HIGH_START)
		return kestrel_fail(EINVAL, "guest memory (%s) is too small to boot Linux: the boot layout alone takes the first 1 MiB",
				    fmt_size(a, ram_size));
	if (ram_size > KESTREL_MAX_MEMORY)
		return kestrel_fail(EINVAL, "guest memory (%s) is above Kestrel's limit of %s",
				    fmt_size(a, ram_size), "1024 GiB");
	img = calloc(1, sizeof(*img));
	if (!img)
		return kestrel_fail(ENOMEM, "out of memory");
	img->kernel_fd = -1;
	img->initrd_fd = -1;
	l = &img->layout;
	l->ram_size = ram_size;
	l->low_ram_end = low_ram_end(ram_size);
	l->zero_page = KESTREL_BOOT_ZERO_PAGE_ADDR;
	img->kernel_path = strdup(kernel_path);
	img->initrd_path = initrd_path ? strdup(initrd_path) : NULL;
	if (!img->kernel_path || (initrd_path && !img->initrd_path)) {
		err = kestrel_fail(ENOMEM, "out of memory");
		goto fail;
	}

	err = load_kernel(img, kernel_path, ram_size);
	if (!err)
		err = load_cmdline(img, cmdline);
	if (!err && initrd_path)
		err = load_initrd(img, initrd_path);
	if (err)
		goto fail;

	add_region(l, KESTREL_BOOT_GDT_ADDR, KESTREL_BOOT_GDT_ENTRIES * 8, "gdt");
	add_region(l, KESTREL_BOOT_ZERO_PAGE_ADDR, PAGE_SIZE, "zero page");
	add_region(l, KESTREL_BOOT_PML4_ADDR,
		   KESTREL_BOOT_PD_ADDR + 4 * PAGE_SIZE - KESTREL_BOOT_PML4_ADDR,
		   "page tables");
	add_region(l, KESTREL_BOOT_CMDLINE_ADDR, l->cmdline_len + 1, "command line");
	add_region(l, l->kernel_addr, l->kernel_size, "kernel");
	if (l->initrd_size)
		add_region(l, l->initrd_addr, l->initrd_size, "initrd");
	*out = img;
	return 0;
fail:
	kestrel_boot_image_free(img);
	return err;
}

int kestrel_boot_image_set_acpi(struct kestrel_boot_image *img,
				const struct kestrel_acpi_config *cfg)
{
	struct kestrel_boot_layout *l = &img->layout;
	size_t size;
	int err;

	err = kestrel_acpi_config_check(cfg);
	if (err)
		return err;
	size = kestrel_acpi_size(cfg, KESTREL_BOOT_ACPI_ADDR);
	if (size > KESTREL_BOOT_ACPI_SIZE)
		return kestrel_fail(ENOSPC, "ACPI tables of %zu bytes exceed the %u-byte ACPI area",
				    size, KESTREL_BOOT_ACPI_SIZE);
	img->acpi = true;
	img->acpi_cfg = *cfg;
	remove_region(l, "acpi");
	add_region(l, KESTREL_BOOT_ACPI_ADDR, size, "acpi");
	l->rsdp_addr = KESTREL_BOOT_ACPI_ADDR;
	return 0;
}

void kestrel_boot_image_layout(const struct kestrel_boot_image *img,
			       struct kestrel_boot_layout *layout)
{
	*layout = img->layout;
}

unsigned int kestrel_boot_image_files(const struct kestrel_boot_image *img,
				      struct kestrel_boot_file *files)
{
	const struct kestrel_boot_layout *l = &img->layout;
	unsigned int n = 0;

	if (img->kernel_fd >= 0)
		files[n++] = (struct kestrel_boot_file){
			.gpa = l->kernel_addr, .size = l->kernel_size,
			.offset = img->kernel_offset, .fd = img->kernel_fd,
		};
	if (img->initrd_fd >= 0 && l->initrd_size)
		files[n++] = (struct kestrel_boot_file){
			.gpa = l->initrd_addr, .size = l->initrd_size,
			.offset = 0, .fd = img->initrd_fd,
		};
	return n;
}

void kestrel_boot_image_free(struct kestrel_boot_image *img)
{
	if (!img)
		return;
	if (img->kernel_fd >= 0)
		close(img->kernel_fd);
	if (img->initrd_fd >= 0)
		close(img->initrd_fd);
	free(img->kernel);
	free(img->cmdline);
	free(img->kernel_path);
	free(img->initrd_path);
	free(img);
}

/* ---- write ---- */

static void write_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));	/* x86: little-endian */
}

static void write_gdt(uint8_t *ram)
{
	uint8_t *gdt = ram + KESTREL_BOOT_GDT_ADDR;

	memset(gdt, 0, KESTREL_BOOT_GDT_ENTRIES * 8);
	write_u64(gdt + KESTREL_BOOT_CS, GDT_CODE64);
	write_u64(gdt + KESTREL_BOOT_DS, GDT_DATA);
}

static void write_page_tables(uint8_t *ram)
{
	uint8_t *pml4 = ram + KESTREL_BOOT_PML4_ADDR;
	uint8_t *pdpt = ram + KESTREL_BOOT_PDPT_ADDR;
	uint8_t *pd = ram + KESTREL_BOOT_PD_ADDR;
	uint64_t i;

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	write_u64(pml4, KESTREL_BOOT_PDPT_ADDR | PTE_P | PTE_RW);
	for (i = 0; i < 4; i++)
		write_u64(pdpt + 8 * i,
			  (KESTREL_BOOT_PD_ADDR + i * PAGE_SIZE) | PTE_P | PTE_RW);
	for (i = 0; i < 4 * 512; i++) {
		uint64_t addr = i << 21;
		uint64_t pte = addr | PTE_P | PTE_RW | PTE_PS;

		if (addr >= KESTREL_MMIO_HOLE_START)
			pte |= PTE_PCD | PTE_PWT;
		write_u64(pd + 8 * i, pte);
	}
}

static void write_zero_page(const struct kestrel_boot_image *img, uint8_t *ram)
{
	const struct kestrel_boot_layout *l = &img->layout;
	struct boot_params *bp = (void *)(ram + KESTREL_BOOT_ZERO_PAGE_ADDR);
	struct kestrel_e820_entry e820[KESTREL_E820_MAX];
	int i, n;

	memset(bp, 0, PAGE_SIZE);
	memcpy((uint8_t *)bp + HDR_OFFSET, img->setup, img->setup_len);
	bp->hdr.type_of_loader = TYPE_OF_LOADER_UNDEF;
	bp->hdr.vid_mode = 0xffff;		/* "normal" */
	bp->hdr.code32_start = l->kernel_addr;
	bp->hdr.cmd_line_ptr = l->cmdline_addr;
	bp->hdr.ramdisk_image = l->initrd_addr;
	bp->hdr.ramdisk_size = l->initrd_size;
	bp->hdr.setup_data = 0;			/* no setup_data list */
	bp->acpi_rsdp_addr = l->rsdp_addr;

	/* Cannot fail: RAM >= 1 MiB was checked and the array is big enough. */
	n = kestrel_e820_build(l->ram_size, e820, KESTREL_E820_MAX);
	for (i = 0; i < n; i++) {
		bp->e820_table[i].addr = e820[i].addr;
		bp->e820_table[i].size = e820[i].size;
		bp->e820_table[i].type = e820[i].type;
	}
	bp->e820_entries = n > 0 ? n : 0;
}

static void segment(struct kestrel_segment *s, uint16_t sel, uint16_t attrib)
{
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->attrib = attrib;
}

static void boot_regs(const struct kestrel_boot_layout *l,
		      struct kestrel_regs *regs, struct kestrel_sregs *sregs)
{
	if (regs) {
		memset(regs, 0, sizeof(*regs));
		regs->rip = l->entry;
		regs->rsi = l->zero_page;
		regs->rsp = KESTREL_BOOT_STACK_TOP;
		regs->rflags = 2;		/* reserved bit 1; IF clear */
	}
	if (!sregs)
		return;
	memset(sregs, 0, sizeof(*sregs));
	segment(&sregs->cs, KESTREL_BOOT_CS,
		SEG_CODE_XRA | SEG_S | SEG_P | SEG_L | SEG_G);
	segment(&sregs->ds, KESTREL_BOOT_DS,
		SEG_DATA_RWA | SEG_S | SEG_P | SEG_DB | SEG_G);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	/* The TR and LDTR a VMRUN/VM entry accepts: busy TSS, present LDT. */
	sregs->tr.limit = 0xffff;
	sregs->tr.attrib = SEG_TSS64_BUSY | SEG_P;
	sregs->ldt.limit = 0xffff;
	sregs->ldt.attrib = SEG_LDT | SEG_P;
	sregs->gdt.base = KESTREL_BOOT_GDT_ADDR;
	sregs->gdt.limit = KESTREL_BOOT_GDT_ENTRIES * 8 - 1;
	sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	sregs->cr3 = KESTREL_BOOT_PML4_ADDR;
	sregs->cr4 = CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;
}

int kestrel_boot_image_write(const struct kestrel_boot_image *img,
			     uint8_t *ram_low, uint64_t ram_low_size,
			     struct kestrel_regs *regs,
			     struct kestrel_sregs *sregs)
{
	const struct kestrel_boot_layout *l = &img->layout;
	char a[32], b[32];
	int err;

	if (ram_low_size < l->low_ram_end)
		return kestrel_fail(EINVAL, "the RAM buffer has %s; the image is laid out for %s of RAM below the MMIO hole",
				    fmt_size(a, ram_low_size),
				    fmt_size(b, l->low_ram_end));
	if (img->initrd_fd >= 0) {
		err = read_at(img->initrd_fd, ram_low + l->initrd_addr,
			      l->initrd_size, 0);
		if (err == -ENODATA)
			return kestrel_fail(EIO, "initrd '%s' is shorter than when it was loaded (%s)",
					    img->initrd_path,
					    fmt_size(a, l->initrd_size));
		if (err)
			return kestrel_fail(err, "cannot read initrd '%s': %s",
					    img->initrd_path, strerror(-err));
	}
	if (img->acpi) {
		uint64_t rsdp;

		err = kestrel_acpi_build(&img->acpi_cfg,
					 ram_low + KESTREL_BOOT_ACPI_ADDR,
					 KESTREL_BOOT_ACPI_SIZE,
					 KESTREL_BOOT_ACPI_ADDR, &rsdp);
		if (err)
			return err;
	}
	memcpy(ram_low + l->kernel_addr, img->kernel, l->kernel_size);
	memcpy(ram_low + l->cmdline_addr, img->cmdline, l->cmdline_len + 1);
	write_zero_page(img, ram_low);
	write_page_tables(ram_low);
	write_gdt(ram_low);
	boot_regs(l, regs, sregs);
	return 0;
}
