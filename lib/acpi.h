/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACPI tables for a Kestrel guest, built in userspace and written into
 * guest RAM (DESIGN.md, principle 1).
 *
 * What is built, in this order from the start of the buffer:
 *
 *   RSDP  revision 2 (ACPI 2.0+), 36 bytes, at the buffer's start (the
 *         buffer's guest address must be 16-byte aligned, as a BIOS-area
 *         scan expects); points at both the RSDT and the XSDT.
 *   FACS  64 bytes, 64-byte aligned: required on a platform that is not
 *         hardware-reduced (waking vector, global lock).
 *   RSDT, XSDT  the same three entries: FADT, MADT, MCFG.
 *   FADT  revision 6.0 (276 bytes).  Full fixed hardware, not
 *         hardware-reduced: a PM1a event block (4 bytes), a PM1a control
 *         block (2 bytes) and a PM timer (4 bytes) at the configured I/O
 *         ports, SCI on the configured ISA IRQ, SMI_CMD 0 (the platform is
 *         always in ACPI mode, so PM1a_CNT.SCI_EN must read as 1), a fixed
 *         power button (PWR_BUTTON flag clear), no sleep button (SLP_BUTTON
 *         set), no GPE blocks, C2/C3 not supported, WBINVD, C1 (HLT) on
 *         every processor, RESET_REG_SUP with RESET_REG a byte-wide system
 *         I/O register.  Both the 32-bit and the X_ (GAS) fields are filled
 *         with the same values.
 *   MADT  revision 4: local APIC address, PCAT_COMPAT (dual 8259s present
 *         and masked by the OS), one enabled Processor Local APIC per vCPU
 *         (ACPI processor UID = APIC ID = vCPU index), one I/O APIC (ID
 *         nr_vcpus, GSI base 0), interrupt source overrides IRQ0 -> GSI 2
 *         (bus-conforming: edge, active high) and SCI -> GSI sci_irq
 *         (level triggered, active high, as QEMU describes its SCI), and a
 *         Local APIC NMI on LINT1 of every processor.
 *   MCFG  revision 1: one ECAM allocation at KESTREL_PCI_ECAM_BASE
 *         (uapi/linux/kestrel.h), segment 0, buses 0-0.  lib/loader.c
 *         reserves the same range in the e820 map (Linux uses MMCONFIG
 *         only when it is reserved there or by a motherboard resource).
 *   DSDT  revision 2 (64-bit integers), AML: Name (_S5, Package () {
 *         KESTREL_ACPI_SLP_TYP_S5, KESTREL_ACPI_SLP_TYP_S5, 0, 0 }), the
 *         pvpanic device \_SB.PEVT and the PCI host bridge \_SB.PCI0
 *         (PNP0A08, compatible PNP0A03; segment 0, bus 0) whose _CRS holds
 *         bus 0-0, the configuration ports 0xcf8-0xcff (consumed), the
 *         I/O windows 0x0000-0x0cf7 and 0x0d00-0xffff and the memory
 *         window KESTREL_PCI_MMIO_START-KESTREL_PCI_MMIO_END.
 *
 * Contract with the emulated PM device (kmod dev/acpi_pm):
 *   - PM1a_EVT_BLK: PM1_STS (2 bytes) then PM1_EN (2 bytes).  PWRBTN_STS
 *     is bit 8 of PM1_STS (write 1 to clear), PWRBTN_EN bit 8 of PM1_EN;
 *     the SCI is asserted while a status bit and its enable bit are set.
 *   - PM1a_CNT_BLK: SCI_EN (bit 0) reads as 1.  A write with SLP_EN (bit
 *     13) set and SLP_TYP (bits 10-12) == KESTREL_ACPI_SLP_TYP_S5 powers
 *     the domain off; Linux writes (5 << 10) | (1 << 13) = 0x3400.
 *   - PM_TMR_BLK: a free-running 3.579545 MHz counter, 32 bits wide when
 *     pm_tmr_32bit is set (TMR_VAL_EXT), 24 bits otherwise.
 *   - RESET_REG: writing reset_value to reset_port resets the domain.  The
 *     default, 0x06 at 0xcf9, is the PC reset control register, which
 *     Linux's reboot=pci also writes.
 */
#ifndef KESTREL_ACPI_H
#define KESTREL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed platform addresses (in the MMIO hole). */
#define KESTREL_LAPIC_ADDR		0xfee00000u
#define KESTREL_IOAPIC_ADDR		0xfec00000u

/* Defaults of kestrel_acpi_config_default(): a PIIX4-like PM block. */
#define KESTREL_ACPI_PM1A_EVT_PORT	0x600
#define KESTREL_ACPI_PM1A_CNT_PORT	0x604
#define KESTREL_ACPI_PM_TMR_PORT	0x608
#define KESTREL_ACPI_SCI_IRQ		9
#define KESTREL_ACPI_RESET_PORT		0xcf9
#define KESTREL_ACPI_PVPANIC_PORT	0x505	/* QEMU's pvpanic port */
#define KESTREL_ACPI_RESET_VALUE	0x06
#define KESTREL_PCI_CFG_PORT		0xcf8	/* mechanism #1, 8 ports */

/* SLP_TYP of \_S5 (soft off), as the PM1a_CNT emulation must recognise. */
#define KESTREL_ACPI_SLP_TYP_S5		5
#define KESTREL_ACPI_PM1_CNT_SCI_EN	(1u << 0)
#define KESTREL_ACPI_PM1_CNT_SLP_TYP(v)	(((v) >> 10) & 7)
#define KESTREL_ACPI_PM1_CNT_SLP_EN	(1u << 13)

/* FADT IAPC_BOOT_ARCH bits. */
#define KESTREL_ACPI_BOOT_LEGACY_DEVICES (1u << 0)	/* ISA devices (UART, RTC, PIT) */
#define KESTREL_ACPI_BOOT_8042		(1u << 1)	/* i8042 at 0x60/0x64 */
#define KESTREL_ACPI_BOOT_NO_VGA	(1u << 2)	/* do not probe VGA */
#define KESTREL_ACPI_BOOT_NO_CMOS_RTC	(1u << 5)

/* Upper bound of what kestrel_acpi_build() writes for any valid config. */
#define KESTREL_ACPI_MAX_SIZE		0x1000

struct kestrel_acpi_config {
	unsigned int nr_vcpus;		/* 1..KESTREL_MAX_VCPUS */
	uint32_t lapic_addr;		/* KESTREL_LAPIC_ADDR */
	uint32_t ioapic_addr;		/* KESTREL_IOAPIC_ADDR */
	uint16_t pm1a_evt_port;		/* 4 bytes: PM1_STS, PM1_EN */
	uint16_t pm1a_cnt_port;		/* 2 bytes: PM1_CNT */
	uint16_t pm_tmr_port;		/* 4 bytes: PM_TMR */
	uint8_t sci_irq;		/* ISA IRQ of the SCI: 1..15, not 2 */
	uint16_t reset_port;		/* RESET_REG (system I/O, 8 bits) */
	uint8_t reset_value;
	bool pm_tmr_32bit;		/* TMR_VAL_EXT: the PM timer has 32 bits */
	uint16_t iapc_boot_arch;	/* KESTREL_ACPI_BOOT_* */
	uint8_t rtc_century;		/* CMOS index of the century, 0: none */
};

/*
 * Fill @cfg with Kestrel's platform: the addresses and ports above, a 32-bit
 * PM timer, IAPC_BOOT_ARCH = LEGACY_DEVICES | 8042 | NO_VGA, no century.
 */
void kestrel_acpi_config_default(struct kestrel_acpi_config *cfg,
				 unsigned int nr_vcpus);

/* Check @cfg; 0 or -EINVAL with a message. */
int kestrel_acpi_config_check(const struct kestrel_acpi_config *cfg);

/*
 * Bytes kestrel_acpi_build() needs for @cfg when the buffer sits at guest
 * address @gpa (alignment padding depends on it); 0 if @cfg is invalid.
 */
size_t kestrel_acpi_size(const struct kestrel_acpi_config *cfg, uint64_t gpa);

/*
 * Build the tables into @buf (@len bytes), which the guest will see at
 * guest-physical address @gpa (16-byte aligned, the whole range below
 * 4 GiB: the RSDT and FADT hold 32-bit pointers).  Zeroes what it uses and
 * sets *@rsdp_gpa to the RSDP's guest address (== @gpa).
 * Errors: -EINVAL (bad config or address), -ENOSPC (buffer too small).
 */
int kestrel_acpi_build(const struct kestrel_acpi_config *cfg, uint8_t *buf,
		       size_t len, uint64_t gpa, uint64_t *rsdp_gpa);

/* Sum of @len bytes, mod 256 (a valid ACPI table sums to 0). */
uint8_t kestrel_acpi_sum(const void *p, size_t len);

/*
 * AML PkgLength of a package whose contents (after the PkgLength) are
 * @content_len bytes: writes 1-4 bytes to @out and returns how many; 0 if
 * the length cannot be encoded (>= 2^28 bytes).  The encoded value counts
 * the PkgLength bytes themselves (ACPI 6.x, 20.2.4).
 */
size_t kestrel_aml_pkglength(uint8_t out[4], size_t content_len);

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_ACPI_H */
