/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux boot-image loader: a bzImage booted through the 64-bit boot
 * protocol (Documentation/x86/boot.rst, "64-bit Boot Protocol"), with an
 * optional initrd, a command line, an e820 map and ACPI tables, all written
 * into guest RAM by userspace (DESIGN.md, principle 1).
 *
 * Two steps, so that every error is found before a domain exists:
 *
 *   kestrel_boot_image_load()   reads and validates the files against the
 *                               guest's RAM size and chooses every address;
 *   kestrel_boot_image_write()  writes the image into a caller-provided
 *                               buffer holding guest RAM below the MMIO hole
 *                               (the domain's memory fd mmapped, or any
 *                               zeroed buffer in tests) and returns the
 *                               boot vCPU's registers.
 *
 * Guest-physical layout (RAM from 0; see uapi/linux/kestrel.h for the hole):
 *
 *   0x000000-0x000fff  left alone (real-mode IVT and BDA; zero)
 *   0x001000-0x00101f  GDT: null, null, 0x10 64-bit code, 0x18 data
 *                      (__BOOT_CS and __BOOT_DS of the boot protocol)
 *   0x007000-0x007fff  zero page (struct boot_params)
 *   0x008000-0x008fff  boot stack, RSP = 0x8ff0 (the kernel sets its own
 *                      before it pushes anything; this is a safety net)
 *   0x009000-0x009fff  PML4
 *   0x00a000-0x00afff  PDPT
 *   0x00b000-0x00efff  four page directories: 0-4 GiB identity mapped with
 *                      2 MiB pages, write-back below the hole, PCD|PWT in it
 *   0x020000-0x02ffff  command line (NUL-terminated, < 64 KiB)
 *   0x09fc00-0x0fffff  reserved in e820 (EBDA, VGA, option ROM and BIOS
 *                      areas on a PC); holds:
 *   0x0e0000-0x0fffff  ACPI tables, RSDP first at 0xe0000, where Linux's
 *                      BIOS-area scan finds it even without acpi_rsdp_addr
 *   pref_address       the protected-mode kernel (16 MiB for Debian's), or
 *                      1 MiB when the header has no usable pref_address;
 *                      nothing else is placed below the end of the kernel's
 *                      init_size region (the decompressor's workspace)
 *   top of low RAM     the initrd, 4 KiB aligned, as high as it goes below
 *                      min(initrd_addr_max + 1, end of RAM, 3 GiB) and never
 *                      below the kernel's init_size region
 *
 * Everything below 1 MiB but the reserved range is e820 RAM, as on a PC:
 * Linux copies the zero page and command line early, reserves the low
 * 64 KiB (CONFIG_X86_RESERVE_LOW) and replaces the page tables.
 *
 * e820 map (sorted, non-overlapping):
 *   RAM       0 - 0x9fc00
 *   reserved  0x9fc00 - 0x100000
 *   RAM       0x100000 - min(RAM size, 3 GiB)
 *   reserved  0xe0000000 - 0xe0100000 (PCI ECAM, bus 0; the MCFG's)
 *   reserved  0xfec00000 - 0xfec01000 (I/O APIC)
 *   reserved  0xfee00000 - 0xfee01000 (local APIC)
 *   RAM       4 GiB - 4 GiB + (RAM size - 3 GiB), when RAM exceeds 3 GiB
 * The rest of the MMIO hole (3 GiB - 0xfec00000) is left out of the map so
 * Linux sees it as the gap for device MMIO (the PCI window 0xc0000000 -
 * 0xdfffffff), as real firmware does; reserving it all would leave Linux
 * no PCI gap.  The ECAM must be reserved: Linux ignores an MCFG region
 * that neither e820 nor an ACPI motherboard resource reserves.
 *
 * The boot vCPU starts at the 64-bit entry (load address + 0x200) with
 * RSI = zero page, long mode (CR0 PE|MP|ET|NE|PG, CR4 PAE, EFER LME|LMA,
 * CR3 = PML4), CS = 0x10, DS/ES/SS/FS/GS = 0x18 flat, RFLAGS = 2
 * (interrupts off), no IDT.
 *
 * Errors (0 or -errno; the message is in kestrel_last_error()):
 *   ENOENT, EACCES, ...  a file cannot be opened or read (path in message)
 *   EINVAL     not a regular file; a RAM size or RAM buffer that cannot hold
 *              the layout; an invalid ACPI configuration
 *   ENOEXEC    not a bzImage, a protocol older than 2.12, no 64-bit entry,
 *              a truncated or corrupt image
 *   EFBIG      the kernel or the initrd does not fit in guest RAM
 *   E2BIG      the command line is longer than the kernel accepts
 *   EIO        the initrd changed size between load and write
 */
#ifndef KESTREL_LOADER_H
#define KESTREL_LOADER_H

#include <stdint.h>
#include <stddef.h>

#include <linux/kestrel.h>

#include "acpi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed guest-physical addresses (see above). */
#define KESTREL_BOOT_GDT_ADDR		0x1000
#define KESTREL_BOOT_GDT_ENTRIES	4
#define KESTREL_BOOT_ZERO_PAGE_ADDR	0x7000
#define KESTREL_BOOT_STACK_TOP		0x8ff0
#define KESTREL_BOOT_PML4_ADDR		0x9000
#define KESTREL_BOOT_PDPT_ADDR		0xa000
#define KESTREL_BOOT_PD_ADDR		0xb000	/* 4 pages */
#define KESTREL_BOOT_CMDLINE_ADDR	0x20000
#define KESTREL_BOOT_CMDLINE_MAX	0x10000	/* including the NUL */
#define KESTREL_BOOT_EBDA_START		0x9fc00
#define KESTREL_BOOT_ACPI_ADDR		0xe0000
#define KESTREL_BOOT_ACPI_SIZE		0x20000
#define KESTREL_BOOT_HIGH_START		0x100000 /* 1 MiB */

/* GDT selectors of the boot protocol. */
#define KESTREL_BOOT_CS			0x10
#define KESTREL_BOOT_DS			0x18

/* e820 types (arch/x86/include/asm/e820/types.h). */
#define KESTREL_E820_RAM		1
#define KESTREL_E820_RESERVED		2
#define KESTREL_E820_ACPI		3

/* Entries kestrel_e820_build() produces at most. */
#define KESTREL_E820_MAX		8

struct kestrel_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* A range of guest RAM that kestrel_boot_image_write() fills. */
struct kestrel_boot_region {
	uint64_t gpa;
	uint64_t len;
	const char *name;	/* "gdt", "zero page", "kernel", ... */
};

#define KESTREL_BOOT_MAX_REGIONS	8

/* Where a loaded image goes; all guest-physical. */
struct kestrel_boot_layout {
	uint64_t ram_size;		/* guest RAM, bytes */
	uint64_t low_ram_end;		/* min(ram_size, MMIO hole start) */
	uint16_t protocol;		/* boot protocol version, 0x20f = 2.15 */
	uint64_t kernel_addr;		/* protected-mode kernel */
	uint64_t kernel_size;
	uint64_t kernel_end;		/* end of its init_size region */
	uint64_t entry;			/* kernel_addr + 0x200 */
	uint64_t initrd_addr;		/* 0 without an initrd */
	uint64_t initrd_size;
	uint64_t cmdline_addr;
	uint64_t cmdline_len;		/* without the NUL */
	uint64_t zero_page;
	uint64_t rsdp_addr;		/* 0 without ACPI tables */
	unsigned int nr_regions;	/* sorted by address, disjoint */
	struct kestrel_boot_region regions[KESTREL_BOOT_MAX_REGIONS];
};

struct kestrel_boot_image;

/*
 * Read @kernel_path (a bzImage), @initrd_path (NULL: none; an empty file
 * counts as none) and take @cmdline (NULL: empty), and validate them for a
 * guest with @ram_size bytes of RAM: "HdrS" magic and 0xAA55 boot flag,
 * protocol >= 2.12, LOADED_HIGH, XLF_KERNEL_64, setup_sects and syssize
 * against the file size, kernel_alignment, pref_address and init_size
 * against RAM below the MMIO hole, the command line against cmdline_size,
 * and the initrd against the RAM left above the kernel, below
 * initrd_addr_max and the hole (XLF_CAN_BE_LOADED_ABOVE_4G is not used).
 * On success *@out holds the image (the protected-mode kernel in memory,
 * the initrd as an open file read at write time).
 */
int kestrel_boot_image_load(const char *kernel_path, const char *initrd_path,
			    const char *cmdline, uint64_t ram_size,
			    struct kestrel_boot_image **out);

/*
 * Have kestrel_boot_image_write() also build ACPI tables (see acpi.h) at
 * KESTREL_BOOT_ACPI_ADDR and point boot_params.acpi_rsdp_addr at them.
 * Validates @cfg (copied); -EINVAL on a bad one.
 */
int kestrel_boot_image_set_acpi(struct kestrel_boot_image *img,
				const struct kestrel_acpi_config *cfg);

void kestrel_boot_image_layout(const struct kestrel_boot_image *img,
			       struct kestrel_boot_layout *layout);

/*
 * Write the image into @ram_low, guest RAM from address 0, which must hold
 * at least layout.low_ram_end bytes, and fill @regs and @sregs (either may
 * be NULL) with the boot vCPU's state.  Only the regions of the layout are
 * written (the rest of RAM is expected zeroed, as a new domain's is): the
 * kernel, the initrd, the command line, the zero page with a copy of the
 * image's setup header, type_of_loader 0xff, the e820 map and
 * acpi_rsdp_addr, the page tables, the GDT, the ACPI tables.
 */
int kestrel_boot_image_write(const struct kestrel_boot_image *img,
			     uint8_t *ram_low, uint64_t ram_low_size,
			     struct kestrel_regs *regs,
			     struct kestrel_sregs *sregs);

/*
 * The regions of the image that are ranges of its files (the kernel, the
 * initrd), with the image's open descriptors, for DOMAIN_START's
 * KESTREL_A_DOM_BOOT_FILES: the module then keeps the files rather than
 * copies.  @files has room for 2; returns how many were filled in.  The
 * descriptors stay the image's.
 */
unsigned int kestrel_boot_image_files(const struct kestrel_boot_image *img,
				      struct kestrel_boot_file *files);
void kestrel_boot_image_free(struct kestrel_boot_image *img);

/*
 * @cmdline (NULL: empty) with what a Linux guest needs to know about its
 * virtual platform appended, unless the line has it already; malloc'd,
 * NULL when out of memory.
 *   tsc_early_khz=@tsc_khz (not when 0): Linux calibrates the TSC against
 *     the PIT and the PM timer, which fails or drifts when their port
 *     accesses are slow (nested virtualization), and an AMD guest has no
 *     other way to learn the rate (GET_INFO's TSC_KHZ, also in CPUID leaf
 *     0x40000010).
 *   no_timer_check: Linux's boot-time check that the PIT ticks through
 *     the I/O APIC counts ticks over a busy wait; a virtual PIT's ticks
 *     depend on host scheduling and a loaded host fails it ("IO-APIC +
 *     timer doesn't work!").  Linux skips it on KVM for the same reason.
 */
char *kestrel_boot_cmdline_pv(const char *cmdline, uint32_t tsc_khz);

/*
 * The e820 map of a guest with @ram_size bytes of RAM (at least 1 MiB):
 * up to @max entries into @table; returns the number of entries, or
 * -EINVAL (too little RAM) or -ENOSPC (@max too small).
 */
int kestrel_e820_build(uint64_t ram_size, struct kestrel_e820_entry *table,
		       unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_LOADER_H */
