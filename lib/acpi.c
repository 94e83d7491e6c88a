// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ACPI table builder: RSDP, FACS, RSDT, XSDT, FADT, MADT and a DSDT whose
 * AML is encoded here by hand.  See acpi.h for what each table says and
 * the contract with the emulated PM device.
 *
 * Tables are written field by field in little-endian at the offsets of the
 * ACPI 6.0 specification (the comments give them), never through C
 * structs, so the layout does not depend on the compiler's packing.
 */
#include <errno.h>
#include <string.h>

#include "libkestrel.h"
#include "acpi.h"

#define OEM_ID		"KESTRL"	/* 6 bytes */
#define OEM_TABLE_ID	"KESTREL "	/* 8 bytes */
#define OEM_REVISION	1
#define CREATOR_ID	"KSTL"
#define CREATOR_REV	1

#define HDR_LEN		36		/* system description table header */
#define RSDP_LEN	36
#define RSDP_V1_LEN	20		/* what the first checksum covers */
#define FACS_LEN	64
#define FADT_LEN	276		/* ACPI 6.0, FADT major 6 minor 0 */
#define MADT_LAPIC_LEN	8
#define MADT_IOAPIC_LEN	12
#define MADT_ISO_LEN	10
#define MADT_NMI_LEN	6
#define MCFG_LEN	(HDR_LEN + 8 + 16)	/* one allocation */
#define NR_TABLES	3		/* RSDT/XSDT entries: FADT, MADT, MCFG */

/* FADT Flags (ACPI 6.0, table 5-35). */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_SLP_BUTTON		(1u << 5)
#define FADT_TMR_VAL_EXT	(1u << 8)
#define FADT_RESET_REG_SUP	(1u << 10)

/* Generic Address Structure address spaces and access sizes. */
#define GAS_SYSTEM_IO	1
#define GAS_ACCESS_BYTE	1
#define GAS_ACCESS_WORD	2
#define GAS_ACCESS_DWORD 3

/* MADT */
#define MADT_PCAT_COMPAT	1
#define MADT_TYPE_LAPIC		0
#define MADT_TYPE_IOAPIC	1
#define MADT_TYPE_ISO		2
#define MADT_TYPE_LAPIC_NMI	4
#define MADT_ENABLED		1
/* MPS INTI flags: polarity bits 0-1 (1 high, 3 low), trigger bits 2-3 (1 edge, 3 level). */
#define MPS_CONFORMING		0x0
#define MPS_HIGH_LEVEL		0xd

/* AML opcodes (ACPI 6.0, 20.3). */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_QWORD_PREFIX	0x0e
#define AML_PACKAGE_OP		0x12
#define AML_BUFFER_OP		0x11
#define AML_EXT_OP		0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_OP */
#define AML_ROOT_CHAR		'\\'
#define AML_DUAL_NAME		0x2e

/* Resource descriptors (ACPI 6.0, 6.4). */
#define RES_IO			0x47	/* small: I/O port, 7 bytes */
#define RES_END			0x79	/* small: end tag, 1 byte */
#define RES_DWORD_ADDR		0x87	/* large: DWord address space */
#define RES_WORD_ADDR		0x88	/* large: Word address space */
#define RES_TYPE_MEM		0
#define RES_TYPE_IO		1
#define RES_TYPE_BUS		2
#define RES_MIN_MAX_FIXED	0x0c	/* producer, positive decode */
#define RES_IO_ENTIRE		0x03	/* ISA and non-ISA ranges */
#define RES_MEM_RW		0x01	/* read/write, non-cacheable */

/* EISAID("PNP0A08") and EISAID("PNP0A03"): "PNP" compressed, then 0A0x. */
#define EISAID_PNP0A08		0x080ad041u
#define EISAID_PNP0A03		0x030ad041u

static void put8(uint8_t *p, uint8_t v)
{
	p[0] = v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint8_t kestrel_acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static void checksum(uint8_t *table, size_t len, size_t at)
{
	table[at] = 0;
	table[at] = -kestrel_acpi_sum(table, len);
}

/* The 36-byte header; the checksum is set by finish(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	put8(t + 8, rev);
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, OEM_REVISION);
	memcpy(t + 28, CREATOR_ID, 4);
	put32(t + 32, CREATOR_REV);
}

static void finish(uint8_t *t)
{
	uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;

	checksum(t, len, 9);
}

/* A register-format GAS: @bytes wide at system I/O @port. */
static void gas_io(uint8_t *p, uint16_t port, uint8_t bytes, uint8_t access)
{
	put8(p, GAS_SYSTEM_IO);
	put8(p + 1, bytes * 8);
	put8(p + 2, 0);
	put8(p + 3, access);
	put64(p + 4, port);
}

/* ---- AML ---- */

size_t kestrel_aml_pkglength(uint8_t out[4], size_t content_len)
{
	size_t n, total;

	/*
	 * One byte holds up to 63 in bits 0-5.  Longer lengths take 1-3 more
	 * bytes: bits 6-7 of the lead byte say how many, its bits 0-3 are
	 * the low nibble, each following byte the next 8 bits.
	 */
	if (content_len + 1 <= 0x3f) {
		out[0] = content_len + 1;
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = content_len + n;
		if (total < (1ul << (4 + 8 * (n - 1)))) {
			size_t i;

			out[0] = (n - 1) << 6 | (total & 0xf);
			for (i = 1; i < n; i++)
				out[i] = total >> (4 + 8 * (i - 1));
			return n;
		}
	}
	return 0;
}

/* An AML integer in its shortest encoding; returns bytes written. */
static size_t aml_integer(uint8_t *p, uint64_t v)
{
	if (v == 0) {
		p[0] = AML_ZERO_OP;
		return 1;
	}
	if (v == 1) {
		p[0] = AML_ONE_OP;
		return 1;
	}
	if (v <= 0xff) {
		p[0] = AML_BYTE_PREFIX;
		p[1] = v;
		return 2;
	}
	if (v <= 0xffff) {
		p[0] = AML_WORD_PREFIX;
		put16(p + 1, v);
		return 3;
	}
	if (v <= 0xffffffff) {
		p[0] = AML_DWORD_PREFIX;
		put32(p + 1, v);
		return 5;
	}
	p[0] = AML_QWORD_PREFIX;
	put64(p + 1, v);
	return 9;
}

/* Package () { v[0], ... }: PackageOp PkgLength NumElements elements. */
static size_t aml_package(uint8_t *p, const uint64_t *v, uint8_t count)
{
	uint8_t body[1 + 9 * 255], pkglen[4];
	size_t len = 0, n;
	unsigned int i;

	body[len++] = count;
	for (i = 0; i < count; i++)
		len += aml_integer(body + len, v[i]);
	p[0] = AML_PACKAGE_OP;
	n = kestrel_aml_pkglength(pkglen, len);
	memcpy(p + 1, pkglen, n);
	memcpy(p + 1 + n, body, len);
	return 1 + n + len;
}

/* Name (NAME, ...): NameOp NameSeg; the object follows. */
static size_t aml_name(uint8_t *p, const char seg[4])
{
	p[0] = AML_NAME_OP;
	memcpy(p + 1, seg, 4);
	return 5;
}

/*
 * The pvpanic device, as QEMU describes it (Linux's pvpanic-mmio driver
 * binds to _HID QEMU0001 and writes 1 to its port when the kernel panics):
 *   Device (\_SB.PEVT) {
 *     Name (_HID, "QEMU0001")
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, P, P, 1, 1) })
 *   }
 * with P = KESTREL_ACPI_PVPANIC_PORT, hand-assembled: DeviceOp, PkgLength
 * 0x2d, the root-prefixed dual name, then the two Name()s; the buffer
 * holds an I/O port descriptor (0x47) and the end tag (0x79).
 */
static size_t aml_pvpanic(uint8_t *p)
{
	static const uint8_t dev[] = {
		0x5b, 0x82, 0x2d,				/* Device */
		'\\', 0x2e, '_', 'S', 'B', '_', 'P', 'E', 'V', 'T',
		0x08, '_', 'H', 'I', 'D',			/* Name _HID */
		0x0d, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00,
		0x08, '_', 'C', 'R', 'S',			/* Name _CRS */
		0x11, 0x0d, 0x0a, 0x0a,				/* Buffer (10) */
		0x47, 0x01,					/* IO Decode16 */
		KESTREL_ACPI_PVPANIC_PORT & 0xff, KESTREL_ACPI_PVPANIC_PORT >> 8,
		KESTREL_ACPI_PVPANIC_PORT & 0xff, KESTREL_ACPI_PVPANIC_PORT >> 8,
		0x01, 0x01,					/* align, length */
		0x79, 0x00,					/* end tag */
	};

	memcpy(p, dev, sizeof(dev));
	return sizeof(dev);
}

/* Name (NAME, Integer) */
static size_t aml_name_int(uint8_t *p, const char seg[4], uint64_t v)
{
	size_t len = aml_name(p, seg);

	if (v > 0xff && v <= 0xffffffff) {	/* EISA IDs: always a DWord */
		p[len] = AML_DWORD_PREFIX;
		put32(p + len + 1, v);
		return len + 5;
	}
	return len + aml_integer(p + len, v);
}

/* Word address space descriptor: [@min, @max], producer, fixed. */
static size_t res_word(uint8_t *p, uint8_t type, uint8_t tflags,
		       uint16_t min, uint16_t max)
{
	p[0] = RES_WORD_ADDR;
	put16(p + 1, 13);
	p[3] = type;
	p[4] = RES_MIN_MAX_FIXED;
	p[5] = tflags;
	put16(p + 6, 0);			/* granularity */
	put16(p + 8, min);
	put16(p + 10, max);
	put16(p + 12, 0);			/* translation */
	put16(p + 14, max - min + 1);		/* length */
	return 16;
}

/* DWord memory descriptor: [@min, @max], producer, fixed, read/write. */
static size_t res_dword_mem(uint8_t *p, uint32_t min, uint32_t max)
{
	p[0] = RES_DWORD_ADDR;
	put16(p + 1, 23);
	p[3] = RES_TYPE_MEM;
	p[4] = RES_MIN_MAX_FIXED;
	p[5] = RES_MEM_RW;
	put32(p + 6, 0);			/* granularity */
	put32(p + 10, min);
	put32(p + 14, max);
	put32(p + 18, 0);			/* translation */
	put32(p + 22, max - min + 1);		/* length */
	return 26;
}

/*
 * The PCI host bridge (kmod dev/pci: bus 0, ECAM at KESTREL_PCI_ECAM_BASE
 * as the MCFG says, mechanism #1 at 0xcf8):
 *   Device (\_SB.PCI0) {
 *     Name (_HID, EisaId ("PNP0A08"))	PCI Express root bridge
 *     Name (_CID, EisaId ("PNP0A03"))	PCI root bridge
 *     Name (_SEG, Zero)  Name (_BBN, Zero)  Name (_UID, Zero)
 *     Name (_CRS, ResourceTemplate () {
 *       WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                      0, 0, 0, 0, 1)
 *       IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
 *       WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *               EntireRange, 0, 0x0000, 0x0CF7, 0, 0x0CF8)
 *       WordIO (..., 0, 0x0D00, 0xFFFF, 0, 0xF300)
 *       DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
 *                    NonCacheable, ReadWrite, 0, KESTREL_PCI_MMIO_START,
 *                    KESTREL_PCI_MMIO_END, 0, window size)
 *     })
 *   }
 * The I/O windows pass every port but the configuration ports to the
 * legacy devices behind the bridge; the memory window is where BARs live.
 */
static size_t aml_pci0(uint8_t *p)
{
	static const uint8_t name[] = {
		AML_ROOT_CHAR, AML_DUAL_NAME, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
	};
	uint8_t body[256], res[128], pkglen[4];
	size_t len = 0, rlen = 0, n;

	rlen += res_word(res + rlen, RES_TYPE_BUS, 0, 0, 0);
	res[rlen++] = RES_IO;
	res[rlen++] = 0x01;			/* 16-bit decode */
	put16(res + rlen, KESTREL_PCI_CFG_PORT);
	put16(res + rlen + 2, KESTREL_PCI_CFG_PORT);
	res[rlen + 4] = 1;			/* alignment */
	res[rlen + 5] = 8;			/* length */
	rlen += 6;
	rlen += res_word(res + rlen, RES_TYPE_IO, RES_IO_ENTIRE, 0,
			 KESTREL_PCI_CFG_PORT - 1);
	rlen += res_word(res + rlen, RES_TYPE_IO, RES_IO_ENTIRE,
			 KESTREL_PCI_CFG_PORT + 8, 0xffff);
	rlen += res_dword_mem(res + rlen, KESTREL_PCI_MMIO_START,
			      KESTREL_PCI_MMIO_END);
	res[rlen++] = RES_END;
	res[rlen++] = 0;			/* checksum: none */

	memcpy(body, name, sizeof(name));
	len = sizeof(name);
	len += aml_name_int(body + len, "_HID", EISAID_PNP0A08);
	len += aml_name_int(body + len, "_CID", EISAID_PNP0A03);
	len += aml_name_int(body + len, "_SEG", 0);
	len += aml_name_int(body + len, "_BBN", 0);
	len += aml_name_int(body + len, "_UID", 0);
	len += aml_name(body + len, "_CRS");
	/* Buffer (rlen) { res }: BufferOp PkgLength BufferSize bytes */
	body[len++] = AML_BUFFER_OP;
	n = kestrel_aml_pkglength(pkglen, 2 + rlen);
	memcpy(body + len, pkglen, n);
	len += n;
	body[len++] = AML_BYTE_PREFIX;
	body[len++] = rlen;
	memcpy(body + len, res, rlen);
	len += rlen;

	p[0] = AML_EXT_OP;
	p[1] = AML_DEVICE_OP;
	n = kestrel_aml_pkglength(pkglen, len);
	memcpy(p + 2, pkglen, n);
	memcpy(p + 2 + n, body, len);
	return 2 + n + len;
}

/*
 * The DSDT's AML (without header):
 *   Name (_S5, Package (0x04) { S5, S5, Zero, Zero })
 * 08 '_S5_' 12 08 04 0A 05 0A 05 00 00 for SLP_TYP 5.  The two last
 * elements are reserved; the first two are SLP_TYPa and SLP_TYPb.
 */
static size_t dsdt_aml(uint8_t *p)
{
	static const uint64_t s5[] = {
		KESTREL_ACPI_SLP_TYP_S5, KESTREL_ACPI_SLP_TYP_S5, 0, 0,
	};
	size_t len = 0;

	len += aml_name(p + len, "_S5_");
	len += aml_package(p + len, s5, 4);
	len += aml_pvpanic(p + len);
	len += aml_pci0(p + len);
	return len;
}

/* ---- layout ---- */

struct acpi_layout {
	size_t rsdp, facs, rsdt, xsdt, fadt, madt, mcfg, dsdt, end;
	size_t rsdt_len, xsdt_len, madt_len, dsdt_len;
};

static size_t madt_len(const struct kestrel_acpi_config *cfg)
{
	return HDR_LEN + 8 + cfg->nr_vcpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN +
	       2 * MADT_ISO_LEN + MADT_NMI_LEN;
}

/* Offsets from the buffer start; alignment is of the guest address. */
static void layout(const struct kestrel_acpi_config *cfg, uint64_t gpa,
		   struct acpi_layout *l)
{
	uint8_t aml[512];

	l->rsdp = 0;
	l->facs = align_up(gpa + RSDP_LEN, 64) - gpa;
	l->rsdt_len = HDR_LEN + 4 * NR_TABLES;
	l->xsdt_len = HDR_LEN + 8 * NR_TABLES;
	l->madt_len = madt_len(cfg);
	l->dsdt_len = HDR_LEN + dsdt_aml(aml);
	l->rsdt = align_up(gpa + l->facs + FACS_LEN, 16) - gpa;
	l->xsdt = align_up(gpa + l->rsdt + l->rsdt_len, 16) - gpa;
	l->fadt = align_up(gpa + l->xsdt + l->xsdt_len, 16) - gpa;
	l->madt = align_up(gpa + l->fadt + FADT_LEN, 16) - gpa;
	l->mcfg = align_up(gpa + l->madt + l->madt_len, 16) - gpa;
	l->dsdt = align_up(gpa + l->mcfg + MCFG_LEN, 16) - gpa;
	l->end = l->dsdt + l->dsdt_len;
}

void kestrel_acpi_config_default(struct kestrel_acpi_config *cfg,
				 unsigned int nr_vcpus)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = nr_vcpus;
	cfg->lapic_addr = KESTREL_LAPIC_ADDR;
	cfg->ioapic_addr = KESTREL_IOAPIC_ADDR;
	cfg->pm1a_evt_port = KESTREL_ACPI_PM1A_EVT_PORT;
	cfg->pm1a_cnt_port = KESTREL_ACPI_PM1A_CNT_PORT;
	cfg->pm_tmr_port = KESTREL_ACPI_PM_TMR_PORT;
	cfg->sci_irq = KESTREL_ACPI_SCI_IRQ;
	cfg->reset_port = KESTREL_ACPI_RESET_PORT;
	cfg->reset_value = KESTREL_ACPI_RESET_VALUE;
	cfg->pm_tmr_32bit = true;
	cfg->iapc_boot_arch = KESTREL_ACPI_BOOT_LEGACY_DEVICES |
			      KESTREL_ACPI_BOOT_8042 | KESTREL_ACPI_BOOT_NO_VGA;
}

int kestrel_acpi_config_check(const struct kestrel_acpi_config *cfg)
{
	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > KESTREL_MAX_VCPUS)
		return kestrel_fail(EINVAL, "ACPI: %u vCPUs; the MADT describes 1 to %u",
				    cfg->nr_vcpus, KESTREL_MAX_VCPUS);
	if (!cfg->lapic_addr || (cfg->lapic_addr & 0xfff))
		return kestrel_fail(EINVAL, "ACPI: local APIC address %#x is not page aligned",
				    cfg->lapic_addr);
	if (!cfg->ioapic_addr || (cfg->ioapic_addr & 0xfff))
		return kestrel_fail(EINVAL, "ACPI: I/O APIC address %#x is not page aligned",
				    cfg->ioapic_addr);
	if (!cfg->pm1a_evt_port || !cfg->pm1a_cnt_port || !cfg->pm_tmr_port)
		return kestrel_fail(EINVAL, "ACPI: the PM1a event, PM1a control and PM timer ports are all required");
	if ((cfg->pm1a_evt_port & 3) || (cfg->pm1a_cnt_port & 1) ||
	    (cfg->pm_tmr_port & 3))
		return kestrel_fail(EINVAL, "ACPI: PM ports must be aligned to their width (PM1a_EVT %#x and PM_TMR %#x to 4, PM1a_CNT %#x to 2)",
				    cfg->pm1a_evt_port, cfg->pm_tmr_port,
				    cfg->pm1a_cnt_port);
	if (cfg->sci_irq < 1 || cfg->sci_irq > 15 || cfg->sci_irq == 2)
		return kestrel_fail(EINVAL, "ACPI: SCI IRQ %u is not an ISA IRQ other than 0 and 2",
				    cfg->sci_irq);
	if (!cfg->reset_port)
		return kestrel_fail(EINVAL, "ACPI: no reset port");
	return 0;
}

size_t kestrel_acpi_size(const struct kestrel_acpi_config *cfg, uint64_t gpa)
{
	struct acpi_layout l;

	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > KESTREL_MAX_VCPUS)
		return 0;
	layout(cfg, gpa, &l);
	return l.end;
}

/* ---- tables ---- */

static void build_rsdp(uint8_t *t, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, OEM_ID, 6);
	put8(t + 15, 2);			/* Revision: ACPI 2.0+ */
	put32(t + 16, rsdt);			/* RsdtAddress */
	put32(t + 20, RSDP_LEN);		/* Length */
	put64(t + 24, xsdt);			/* XsdtAddress */
	checksum(t, RSDP_V1_LEN, 8);		/* Checksum: bytes 0-19 */
	checksum(t, RSDP_LEN, 32);		/* Extended Checksum */
}

static void build_facs(uint8_t *t)
{
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_LEN);			/* Length */
	/* Hardware Signature, waking vectors, Global Lock, Flags: 0 */
	put8(t + 32, 2);			/* Version (ACPI 6.0) */
}

static void build_sdt(uint8_t *t, const char *sig, const uint64_t *tables,
		      size_t entry)
{
	uint32_t len = HDR_LEN + entry * NR_TABLES;
	unsigned int i;

	header(t, sig, len, 1);
	for (i = 0; i < NR_TABLES; i++) {
		if (entry == 4)
			put32(t + HDR_LEN + 4 * i, tables[i]);
		else
			put64(t + HDR_LEN + 8 * i, tables[i]);
	}
	finish(t);
}

static void build_fadt(uint8_t *t, const struct kestrel_acpi_config *cfg,
		       uint64_t facs, uint64_t dsdt)
{
	uint32_t flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
			 FADT_RESET_REG_SUP;

	if (cfg->pm_tmr_32bit)
		flags |= FADT_TMR_VAL_EXT;
	header(t, "FACP", FADT_LEN, 6);
	put32(t + 36, facs);			/* FIRMWARE_CTRL */
	put32(t + 40, dsdt);			/* DSDT */
	/* 44 reserved, 45 Preferred_PM_Profile: 0 (unspecified) */
	put16(t + 46, cfg->sci_irq);		/* SCI_INT */
	/* 48 SMI_CMD = 0: no SMM, always in ACPI mode; 52-55 unused */
	put32(t + 56, cfg->pm1a_evt_port);	/* PM1a_EVT_BLK */
	put32(t + 64, cfg->pm1a_cnt_port);	/* PM1a_CNT_BLK */
	put32(t + 76, cfg->pm_tmr_port);	/* PM_TMR_BLK */
	put8(t + 88, 4);			/* PM1_EVT_LEN */
	put8(t + 89, 2);			/* PM1_CNT_LEN */
	put8(t + 91, 4);			/* PM_TMR_LEN */
	put16(t + 96, 0xfff);			/* P_LVL2_LAT > 100: no C2 */
	put16(t + 98, 0x3e9);			/* P_LVL3_LAT > 1000: no C3 */
	put8(t + 108, cfg->rtc_century);	/* CENTURY */
	put16(t + 109, cfg->iapc_boot_arch);	/* IAPC_BOOT_ARCH */
	put32(t + 112, flags);			/* Flags */
	gas_io(t + 116, cfg->reset_port, 1, GAS_ACCESS_BYTE); /* RESET_REG */
	put8(t + 128, cfg->reset_value);	/* RESET_VALUE */
	/* 129 ARM_BOOT_ARCH 0, 131 FADT Minor Version 0 */
	put64(t + 132, facs);			/* X_FIRMWARE_CTRL */
	put64(t + 140, dsdt);			/* X_DSDT */
	gas_io(t + 148, cfg->pm1a_evt_port, 4, GAS_ACCESS_WORD); /* X_PM1a_EVT_BLK */
	gas_io(t + 172, cfg->pm1a_cnt_port, 2, GAS_ACCESS_WORD); /* X_PM1a_CNT_BLK */
	gas_io(t + 208, cfg->pm_tmr_port, 4, GAS_ACCESS_DWORD);  /* X_PM_TMR_BLK */
	/* X_PM1b, X_PM2, X_GPE0/1, SLEEP_CONTROL/STATUS, hypervisor ID: 0 */
	finish(t);
}

static void build_madt(uint8_t *t, const struct kestrel_acpi_config *cfg,
		       size_t len)
{
	uint8_t *e = t + HDR_LEN + 8;
	unsigned int i;

	header(t, "APIC", len, 4);
	put32(t + 36, cfg->lapic_addr);		/* Local Interrupt Controller Address */
	put32(t + 40, MADT_PCAT_COMPAT);	/* Flags */
	for (i = 0; i < cfg->nr_vcpus; i++, e += MADT_LAPIC_LEN) {
		put8(e, MADT_TYPE_LAPIC);
		put8(e + 1, MADT_LAPIC_LEN);
		put8(e + 2, i);			/* ACPI Processor UID */
		put8(e + 3, i);			/* APIC ID */
		put32(e + 4, MADT_ENABLED);
	}
	put8(e, MADT_TYPE_IOAPIC);
	put8(e + 1, MADT_IOAPIC_LEN);
	put8(e + 2, cfg->nr_vcpus);		/* I/O APIC ID */
	put32(e + 4, cfg->ioapic_addr);
	put32(e + 8, 0);			/* Global System Interrupt Base */
	e += MADT_IOAPIC_LEN;

	put8(e, MADT_TYPE_ISO);			/* the PIT's IRQ0 is pin 2 */
	put8(e + 1, MADT_ISO_LEN);
	put8(e + 2, 0);				/* Bus: ISA */
	put8(e + 3, 0);				/* Source */
	put32(e + 4, 2);			/* GSI */
	put16(e + 8, MPS_CONFORMING);
	e += MADT_ISO_LEN;

	put8(e, MADT_TYPE_ISO);			/* the SCI: level, active high */
	put8(e + 1, MADT_ISO_LEN);
	put8(e + 2, 0);
	put8(e + 3, cfg->sci_irq);
	put32(e + 4, cfg->sci_irq);
	put16(e + 8, MPS_HIGH_LEVEL);
	e += MADT_ISO_LEN;

	put8(e, MADT_TYPE_LAPIC_NMI);		/* NMI on LINT1, all processors */
	put8(e + 1, MADT_NMI_LEN);
	put8(e + 2, 0xff);			/* ACPI Processor UID: all */
	put16(e + 3, MPS_CONFORMING);
	put8(e + 5, 1);				/* LINT# */
	finish(t);
}

/*
 * MCFG (PCI Firmware Specification 3.0, 4.1.2): one ECAM allocation,
 * segment 0, buses 0-0.
 */
static void build_mcfg(uint8_t *t)
{
	uint8_t *e = t + HDR_LEN + 8;		/* after 8 reserved bytes */

	header(t, "MCFG", MCFG_LEN, 1);
	put64(e, KESTREL_PCI_ECAM_BASE);	/* Base Address */
	put16(e + 8, 0);			/* PCI Segment Group */
	put8(e + 10, 0);			/* Start Bus Number */
	put8(e + 11, 0);			/* End Bus Number */
	finish(t);
}

static void build_dsdt(uint8_t *t, size_t len)
{
	header(t, "DSDT", len, 2);
	dsdt_aml(t + HDR_LEN);
	finish(t);
}

int kestrel_acpi_build(const struct kestrel_acpi_config *cfg, uint8_t *buf,
		       size_t len, uint64_t gpa, uint64_t *rsdp_gpa)
{
	struct acpi_layout l;
	uint64_t tables[NR_TABLES];
	int err;

	err = kestrel_acpi_config_check(cfg);
	if (err)
		return err;
	if (gpa & 15)
		return kestrel_fail(EINVAL, "ACPI: tables at %#llx: the RSDP must be 16-byte aligned",
				    (unsigned long long)gpa);
	layout(cfg, gpa, &l);
	if (l.end > len)
		return kestrel_fail(ENOSPC, "ACPI: the tables need %zu bytes, the buffer has %zu",
				    l.end, len);
	if (gpa >= 0x100000000ULL || l.end > 0x100000000ULL - gpa)
		return kestrel_fail(EINVAL, "ACPI: tables at %#llx end above 4 GiB; the RSDT and FADT hold 32-bit addresses",
				    (unsigned long long)gpa);

	memset(buf, 0, l.end);
	build_facs(buf + l.facs);
	build_dsdt(buf + l.dsdt, l.dsdt_len);
	build_fadt(buf + l.fadt, cfg, gpa + l.facs, gpa + l.dsdt);
	build_madt(buf + l.madt, cfg, l.madt_len);
	build_mcfg(buf + l.mcfg);
	tables[0] = gpa + l.fadt;
	tables[1] = gpa + l.madt;
	tables[2] = gpa + l.mcfg;
	build_sdt(buf + l.rsdt, "RSDT", tables, 4);
	build_sdt(buf + l.xsdt, "XSDT", tables, 8);
	build_rsdp(buf + l.rsdp, gpa + l.rsdt, gpa + l.xsdt);
	if (rsdp_gpa)
		*rsdp_gpa = gpa + l.rsdp;
	return 0;
}
