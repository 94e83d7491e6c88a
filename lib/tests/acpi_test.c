// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ACPI table builder: every table's signature, length and checksum,
 * the pointers between them, the MADT's entries, the FADT's fields and the
 * DSDT's \_S5, for 1, 2 and 64 vCPUs.  When acpica-tools is installed, iasl
 * disassembles the tables (and flags any bad checksum) and acpiexec
 * evaluates \_S5.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libkestrel.h"
#include "acpi.h"

#define GPA	0xe0000ULL
#define BUFLEN	0x20000

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The bytes at guest address @a, or NULL if outside the buffer. */
static uint8_t *at(uint8_t *buf, uint64_t a)
{
	return a >= GPA && a < GPA + BUFLEN ? buf + (a - GPA) : NULL;
}

FIXTURE(acpi) {
	struct kestrel_acpi_config cfg;
	uint8_t *buf;
	uint64_t rsdp;
	uint8_t *fadt, *madt, *mcfg, *dsdt, *facs;
};

FIXTURE_VARIANT(acpi) {
	unsigned int vcpus;
};

FIXTURE_VARIANT_ADD(acpi, one) { .vcpus = 1 };
FIXTURE_VARIANT_ADD(acpi, two) { .vcpus = 2 };
FIXTURE_VARIANT_ADD(acpi, max) { .vcpus = KESTREL_MAX_VCPUS };

/* A system description table at @a: signature, a sane length, checksum. */
static uint8_t *table(struct __test_metadata *_metadata, uint8_t *buf,
		      uint64_t a, const char *sig)
{
	uint8_t *t = at(buf, a);
	uint32_t len;

	EXPECT_NE(NULL, t) TH_LOG("%s at %#llx, outside the buffer", sig,
				  (unsigned long long)a);
	if (!t)
		return NULL;
	EXPECT_EQ(0, memcmp(t, sig, 4)) TH_LOG("expected %s at %#llx, found %.4s",
					       sig, (unsigned long long)a, t);
	len = get32(t + 4);
	EXPECT_LE(36, len);
	EXPECT_GE(BUFLEN - (a - GPA), len);
	EXPECT_EQ(0, kestrel_acpi_sum(t, len)) TH_LOG("%s checksum", sig);
	EXPECT_EQ(0, memcmp(t + 10, "KESTRL", 6));
	return t;
}

FIXTURE_SETUP(acpi)
{
	self->buf = malloc(BUFLEN);
	ASSERT_NE(NULL, self->buf);
	memset(self->buf, 0xa5, BUFLEN);	/* the builder must zero what it uses */
	kestrel_acpi_config_default(&self->cfg, variant->vcpus);
	ASSERT_EQ(0, kestrel_acpi_build(&self->cfg, self->buf, BUFLEN, GPA,
					&self->rsdp)) TH_LOG("%s", kestrel_last_error());
	ASSERT_EQ(GPA, self->rsdp);
}

FIXTURE_TEARDOWN(acpi)
{
	free(self->buf);
}

/* RSDP -> XSDT/RSDT -> FADT, MADT, MCFG; FADT -> DSDT, FACS. */
static void walk(struct __test_metadata *_metadata, FIXTURE_DATA(acpi) *self)
{
	uint8_t *rsdp = self->buf, *xsdt, *rsdt;
	int i;

	ASSERT_EQ(0, memcmp(rsdp, "RSD PTR ", 8));
	ASSERT_EQ(2, rsdp[15]);
	ASSERT_EQ(0, kestrel_acpi_sum(rsdp, 20));
	ASSERT_EQ(36, get32(rsdp + 20));
	ASSERT_EQ(0, kestrel_acpi_sum(rsdp, 36));
	xsdt = table(_metadata, self->buf, get64(rsdp + 24), "XSDT");
	rsdt = table(_metadata, self->buf, get32(rsdp + 16), "RSDT");
	ASSERT_NE(NULL, xsdt);
	ASSERT_NE(NULL, rsdt);
	ASSERT_EQ(36 + 3 * 8, get32(xsdt + 4));
	ASSERT_EQ(36 + 3 * 4, get32(rsdt + 4));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(get64(xsdt + 36 + 8 * i), get32(rsdt + 36 + 4 * i));
	self->fadt = table(_metadata, self->buf, get64(xsdt + 36), "FACP");
	self->madt = table(_metadata, self->buf, get64(xsdt + 44), "APIC");
	self->mcfg = table(_metadata, self->buf, get64(xsdt + 52), "MCFG");
	ASSERT_NE(NULL, self->mcfg);
	ASSERT_NE(NULL, self->fadt);
	ASSERT_NE(NULL, self->madt);
	self->dsdt = table(_metadata, self->buf, get64(self->fadt + 140), "DSDT");
	ASSERT_NE(NULL, self->dsdt);
	self->facs = at(self->buf, get64(self->fadt + 132));
	ASSERT_NE(NULL, self->facs);
}

TEST_F(acpi, pointers_signatures_checksums)
{
	uint64_t facs_gpa;

	walk(_metadata, self);
	/* FACS: no checksum, 64 bytes, 64-byte aligned. */
	facs_gpa = get64(self->fadt + 132);
	EXPECT_EQ(0, facs_gpa % 64);
	EXPECT_EQ(0, memcmp(self->facs, "FACS", 4));
	EXPECT_EQ(64, get32(self->facs + 4));
	EXPECT_EQ(2, self->facs[32]);
	/* Everything fits in what kestrel_acpi_size() announced. */
	EXPECT_GE(kestrel_acpi_size(&self->cfg, GPA),
		  (size_t)(self->dsdt - self->buf) + get32(self->dsdt + 4));
	EXPECT_GE(KESTREL_ACPI_MAX_SIZE, kestrel_acpi_size(&self->cfg, GPA));
	/* And nothing beyond it was touched. */
	EXPECT_EQ(0xa5, self->buf[kestrel_acpi_size(&self->cfg, GPA)]);
}

TEST_F(acpi, madt_entries)
{
	unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	uint32_t len;
	uint8_t *e, *end;

	walk(_metadata, self);
	len = get32(self->madt + 4);
	EXPECT_EQ(KESTREL_LAPIC_ADDR, get32(self->madt + 36));
	EXPECT_EQ(1, get32(self->madt + 40));	/* PCAT_COMPAT */
	end = self->madt + len;
	for (e = self->madt + 44; e < end; e += e[1]) {
		ASSERT_LE(2, e[1]);
		ASSERT_GE(end, e + e[1]);
		switch (e[0]) {
		case 0:
			ASSERT_EQ(8, e[1]);
			EXPECT_EQ(lapics, e[2]);	/* processor UID */
			EXPECT_EQ(lapics, e[3]);	/* APIC ID */
			EXPECT_EQ(1, get32(e + 4));	/* enabled */
			lapics++;
			break;
		case 1:
			ASSERT_EQ(12, e[1]);
			EXPECT_EQ(variant->vcpus, e[2]);
			EXPECT_EQ(KESTREL_IOAPIC_ADDR, get32(e + 4));
			EXPECT_EQ(0, get32(e + 8));
			ioapics++;
			break;
		case 2:
			ASSERT_EQ(10, e[1]);
			EXPECT_EQ(0, e[2]);		/* ISA */
			if (e[3] == 0) {
				EXPECT_EQ(2, get32(e + 4));
				EXPECT_EQ(0, get16(e + 8));
			} else {
				EXPECT_EQ(KESTREL_ACPI_SCI_IRQ, e[3]);
				EXPECT_EQ(KESTREL_ACPI_SCI_IRQ, get32(e + 4));
				EXPECT_EQ(0xd, get16(e + 8));	/* level, high */
			}
			isos++;
			break;
		case 4:
			ASSERT_EQ(6, e[1]);
			EXPECT_EQ(0xff, e[2]);
			EXPECT_EQ(1, e[5]);
			nmis++;
			break;
		default:
			EXPECT_TRUE(false) TH_LOG("unexpected MADT entry type %u", e[0]);
		}
	}
	EXPECT_EQ(end, e);
	EXPECT_EQ(variant->vcpus, lapics);
	EXPECT_EQ(1, ioapics);
	EXPECT_EQ(2, isos);
	EXPECT_EQ(1, nmis);
}

/* A system-I/O GAS of @bits at @port. */
static void expect_gas(struct __test_metadata *_metadata, const uint8_t *g,
		       uint16_t port, uint8_t bits)
{
	EXPECT_EQ(1, g[0]);
	EXPECT_EQ(bits, g[1]);
	EXPECT_EQ(0, g[2]);
	EXPECT_EQ(port, get64(g + 4));
}

TEST_F(acpi, fadt_fields)
{
	const uint8_t *f;
	uint32_t flags;

	walk(_metadata, self);
	f = self->fadt;
	EXPECT_EQ(276, get32(f + 4));
	EXPECT_EQ(6, f[8]);				/* revision */
	EXPECT_EQ(get64(f + 140), get32(f + 40));	/* DSDT == X_DSDT */
	EXPECT_EQ(get64(f + 132), get32(f + 36));	/* FACS == X_FACS */
	EXPECT_EQ(KESTREL_ACPI_SCI_IRQ, get16(f + 46));
	EXPECT_EQ(0, get32(f + 48));			/* SMI_CMD */
	EXPECT_EQ(KESTREL_ACPI_PM1A_EVT_PORT, get32(f + 56));
	EXPECT_EQ(0, get32(f + 60));
	EXPECT_EQ(KESTREL_ACPI_PM1A_CNT_PORT, get32(f + 64));
	EXPECT_EQ(0, get32(f + 68));
	EXPECT_EQ(KESTREL_ACPI_PM_TMR_PORT, get32(f + 76));
	EXPECT_EQ(0, get32(f + 80));			/* no GPE0 */
	EXPECT_EQ(4, f[88]);
	EXPECT_EQ(2, f[89]);
	EXPECT_EQ(4, f[91]);
	EXPECT_EQ(KESTREL_ACPI_BOOT_LEGACY_DEVICES | KESTREL_ACPI_BOOT_8042 |
		  KESTREL_ACPI_BOOT_NO_VGA, get16(f + 109));
	flags = get32(f + 112);
	EXPECT_TRUE(flags & (1 << 0));		/* WBINVD */
	EXPECT_FALSE(flags & (1 << 4));		/* fixed power button */
	EXPECT_TRUE(flags & (1 << 5));		/* no sleep button */
	EXPECT_TRUE(flags & (1 << 8));		/* 32-bit PM timer */
	EXPECT_TRUE(flags & (1 << 10));		/* RESET_REG_SUP */
	EXPECT_FALSE(flags & (1 << 20));	/* not hardware-reduced */
	expect_gas(_metadata, f + 116, KESTREL_ACPI_RESET_PORT, 8);
	EXPECT_EQ(KESTREL_ACPI_RESET_VALUE, f[128]);
	expect_gas(_metadata, f + 148, KESTREL_ACPI_PM1A_EVT_PORT, 32);
	expect_gas(_metadata, f + 172, KESTREL_ACPI_PM1A_CNT_PORT, 16);
	expect_gas(_metadata, f + 208, KESTREL_ACPI_PM_TMR_PORT, 32);
	EXPECT_EQ(0, get64(f + 160 + 4));		/* no PM1b */
	EXPECT_EQ(0, get64(f + 220 + 4));		/* no GPE0 */
}

TEST_F(acpi, dsdt_has_s5)
{
	/* Name (_S5, Package (0x04) { 5, 5, Zero, Zero }) */
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
		0x0a, KESTREL_ACPI_SLP_TYP_S5, 0x0a, KESTREL_ACPI_SLP_TYP_S5,
		0x00, 0x00,
	};

	walk(_metadata, self);
	EXPECT_EQ(2, self->dsdt[8]);		/* 64-bit integers */
	/* \_S5, then the pvpanic device (47 bytes of AML), then PCI0 */
	ASSERT_LT(36 + sizeof(s5) + 47, get32(self->dsdt + 4));
	EXPECT_EQ(0, memcmp(self->dsdt + 36, s5, sizeof(s5)));
	EXPECT_EQ(0, memcmp(self->dsdt + 36 + sizeof(s5) + 47, "\x5b\x82", 2));
}

TEST_F(acpi, mcfg)
{
	const uint8_t *e;

	walk(_metadata, self);
	EXPECT_EQ(60, get32(self->mcfg + 4));
	EXPECT_EQ(1, self->mcfg[8]);
	EXPECT_EQ(0, get64(self->mcfg + 36));		/* reserved */
	e = self->mcfg + 44;
	EXPECT_EQ(KESTREL_PCI_ECAM_BASE, get64(e));
	EXPECT_EQ(0, get16(e + 8));			/* segment */
	EXPECT_EQ(0, e[10]);				/* buses 0-0 */
	EXPECT_EQ(0, e[11]);
	EXPECT_EQ(0, get32(e + 12));
}

/* The PCI0 _CRS: the resource template's bytes, found by their start. */
TEST_F(acpi, pci0_resources)
{
	static const uint8_t crs[] = {
		/* WordBusNumber 0-0 */
		0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
		/* IO (Decode16, 0xcf8, 0xcf8, 1, 8) */
		0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
		/* WordIO 0x0000-0x0cf7 */
		0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00, 0x00, 0xf7, 0x0c,
		0, 0, 0xf8, 0x0c,
		/* WordIO 0x0d00-0xffff */
		0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00, 0x0d, 0xff, 0xff,
		0, 0, 0x00, 0xf3,
		/* DWordMemory 0xc0000000-0xdfffffff */
		0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff, 0xdf,
		0, 0, 0, 0, 0x00, 0x00, 0x00, 0x20,
		0x79, 0x00,
	};
	static const uint8_t hid[] = {
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08,
		0x08, '_', 'C', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,
	};
	uint32_t len;

	walk(_metadata, self);
	len = get32(self->dsdt + 4);
	EXPECT_NE(NULL, memmem(self->dsdt, len, crs, sizeof(crs)));
	EXPECT_NE(NULL, memmem(self->dsdt, len, hid, sizeof(hid)));
	EXPECT_NE(NULL, memmem(self->dsdt, len, "\\\x2e_SB_PCI0", 10));
}

/* ---- with acpica-tools ---- */

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static void dump(const char *dir, const char *name, const uint8_t *t,
		 size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fwrite(t, 1, len, f);
	fclose(f);
}

/* Run @cmd; its output (stdout and stderr) malloc'd in *@out. */
static int run(const char *cmd, char **out)
{
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	FILE *p;

	if (!buf)
		abort();
	p = popen(cmd, "r");
	if (!p)
		abort();
	while ((n = fread(buf + len, 1, cap - 1 - len, p)) > 0) {
		len += n;
		if (len == cap - 1) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
	}
	buf[len] = '\0';
	*out = buf;
	return pclose(p);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	if (!buf)
		abort();
	if (f) {
		if (fread(buf, 1, (1 << 16) - 1, f) == 0)
			buf[0] = '\0';
		fclose(f);
	}
	return buf;
}

TEST_F(acpi, iasl_disassembles_every_table)
{
	static const char *const names[] = { "facp", "apic", "dsdt", "mcfg" };
	char dir[] = "/tmp/kestrel-acpi-XXXXXX", cmd[512], path[300], *out, *dsl;
	const uint8_t *tables[4];
	unsigned int i;

	if (!have("iasl"))
		SKIP(return, "iasl not found (Debian package acpica-tools)");
	walk(_metadata, self);
	tables[0] = self->fadt;
	tables[1] = self->madt;
	tables[2] = self->dsdt;
	tables[3] = self->mcfg;
	ASSERT_NE(NULL, mkdtemp(dir));
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s.dat", names[i]);
		dump(dir, path, tables[i], get32(tables[i] + 4));
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat 2>&1",
			 dir, names[i]);
		EXPECT_EQ(0, run(cmd, &out)) TH_LOG("%s", out);
		/* ACPICA warns about bad checksums and lengths. */
		EXPECT_EQ(NULL, strstr(out, "Incorrect checksum")) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "Warning")) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "Error")) TH_LOG("%s", out);
		free(out);
		snprintf(path, sizeof(path), "%s/%s.dsl", dir, names[i]);
		dsl = slurp(path);
		EXPECT_EQ(NULL, strstr(dsl, "Incorrect")) TH_LOG("%s", dsl);
		switch (i) {
		case 0:
			EXPECT_NE(NULL, strstr(dsl, "PM1A Event Block Address : 00000600"));
			EXPECT_NE(NULL, strstr(dsl, "Control Method Power Button (V1) : 0"));
			EXPECT_NE(NULL, strstr(dsl, "Hardware Reduced (V5) : 0"));
			EXPECT_NE(NULL, strstr(dsl, "Reset Register Supported (V2) : 1"));
			EXPECT_NE(NULL, strstr(dsl, "Value to cause reset : 06"));
			break;
		case 1:
			EXPECT_NE(NULL, strstr(dsl, "[I/O APIC]"));
			EXPECT_NE(NULL, strstr(dsl, "[Local APIC NMI]"));
			break;
		case 2:
			EXPECT_NE(NULL, strstr(dsl, "Name (_S5, Package (0x04)"))
				TH_LOG("%s", dsl);
			/* The pvpanic device Linux's pvpanic-mmio binds to. */
			EXPECT_NE(NULL, strstr(dsl, "Device (\\_SB.PEVT)"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "Name (_HID, \"QEMU0001\")"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "0x0505,             // Range Minimum"))
				TH_LOG("%s", dsl);
			/* The PCI host bridge. */
			EXPECT_NE(NULL, strstr(dsl, "Device (\\_SB.PCI0)"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "Name (_HID, EisaId (\"PNP0A08\")"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "Name (_CID, EisaId (\"PNP0A03\")"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "0xDFFFFFFF,         // Range Maximum"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "0x0D00,             // Range Minimum"))
				TH_LOG("%s", dsl);
			break;
		case 3:
			EXPECT_NE(NULL, strstr(dsl, "Base Address : 00000000E0000000"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "End Bus Number : 00"))
				TH_LOG("%s", dsl);
			break;
		}
		free(dsl);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
}

TEST_F(acpi, acpiexec_evaluates_s5)
{
	char dir[] = "/tmp/kestrel-acpi-XXXXXX", cmd[512], *out;

	if (!have("acpiexec"))
		SKIP(return, "acpiexec not found (Debian package acpica-tools)");
	walk(_metadata, self);
	ASSERT_NE(NULL, mkdtemp(dir));
	dump(dir, "dsdt.aml", self->dsdt, get32(self->dsdt + 4));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && timeout 60 acpiexec -b 'evaluate \\_S5' dsdt.aml 2>&1 </dev/null",
		 dir);
	EXPECT_EQ(0, run(cmd, &out));
	EXPECT_NE(NULL, strstr(out, "[Package] Contains 4 Elements")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "[Integer] = 0000000000000005")) TH_LOG("%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
}

/* ---- configuration and buffer errors ---- */

TEST(other_ports_and_irq)
{
	struct kestrel_acpi_config cfg;
	uint8_t *buf = calloc(1, BUFLEN), *rsdp, *xsdt, *fadt;
	uint64_t r;

	ASSERT_NE(NULL, buf);
	kestrel_acpi_config_default(&cfg, 4);
	cfg.pm1a_evt_port = 0xb000;
	cfg.pm1a_cnt_port = 0xb004;
	cfg.pm_tmr_port = 0xb008;
	cfg.sci_irq = 10;
	cfg.pm_tmr_32bit = false;
	cfg.rtc_century = 0x32;
	/* Any 16-byte aligned address below 4 GiB works. */
	ASSERT_EQ(0, kestrel_acpi_build(&cfg, buf, BUFLEN, 0x7ff0, &r));
	EXPECT_EQ(0x7ff0, r);
	rsdp = buf;
	xsdt = buf + (get64(rsdp + 24) - 0x7ff0);
	fadt = buf + (get64(xsdt + 36) - 0x7ff0);
	EXPECT_EQ(0, memcmp(fadt, "FACP", 4));
	EXPECT_EQ(0, kestrel_acpi_sum(fadt, 276));
	EXPECT_EQ(10, get16(fadt + 46));
	EXPECT_EQ(0xb000, get32(fadt + 56));
	EXPECT_EQ(0xb004, get32(fadt + 64));
	EXPECT_EQ(0xb008, get32(fadt + 76));
	EXPECT_EQ(0x32, fadt[108]);
	EXPECT_FALSE(get32(fadt + 112) & (1 << 8));
	EXPECT_EQ(0, get64(fadt + 132) % 64);	/* FACS stays aligned */
	free(buf);
}

TEST(bad_configs)
{
	struct kestrel_acpi_config cfg;
	uint8_t buf[KESTREL_ACPI_MAX_SIZE];
	uint64_t r;

	kestrel_acpi_config_default(&cfg, 0);
	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf), GPA, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "0 vCPUs"));
	EXPECT_EQ(0, kestrel_acpi_size(&cfg, GPA));

	kestrel_acpi_config_default(&cfg, KESTREL_MAX_VCPUS + 1);
	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf), GPA, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "vCPUs"));

	kestrel_acpi_config_default(&cfg, 1);
	cfg.sci_irq = 2;
	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf), GPA, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "SCI IRQ 2"));

	kestrel_acpi_config_default(&cfg, 1);
	cfg.pm_tmr_port = 0x60a;
	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf), GPA, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "aligned"));

	kestrel_acpi_config_default(&cfg, 1);
	cfg.lapic_addr = 0xfee00800;
	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf), GPA, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "local APIC"));

	kestrel_acpi_config_default(&cfg, 1);
	cfg.reset_port = 0;
	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf), GPA, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "reset"));
}

TEST(bad_buffers)
{
	struct kestrel_acpi_config cfg;
	uint8_t buf[KESTREL_ACPI_MAX_SIZE];
	size_t need;
	uint64_t r;

	kestrel_acpi_config_default(&cfg, 8);
	need = kestrel_acpi_size(&cfg, GPA);
	ASSERT_LT(100, need);
	EXPECT_EQ(-ENOSPC, kestrel_acpi_build(&cfg, buf, need - 1, GPA, &r));
	EXPECT_EQ(ENOSPC, kestrel_last_errno());
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "need"));
	EXPECT_EQ(0, kestrel_acpi_build(&cfg, buf, need, GPA, &r));

	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf), GPA + 8, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "16-byte aligned"));

	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf),
					      0xffffff00ULL, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "4 GiB"));
	EXPECT_EQ(-EINVAL, kestrel_acpi_build(&cfg, buf, sizeof(buf),
					      0xfffffffffffffff0ULL, &r));
	EXPECT_NE(NULL, strstr(kestrel_last_error(), "4 GiB"));
}

/* Decode a PkgLength the way an AML interpreter does. */
static size_t decode_pkglength(const uint8_t *p, size_t *nbytes)
{
	size_t n = (p[0] >> 6) + 1, v, i;

	if (n == 1) {
		*nbytes = 1;
		return p[0] & 0x3f;
	}
	v = p[0] & 0x0f;
	for (i = 1; i < n; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	*nbytes = n;
	return v;
}

TEST(aml_pkglength)
{
	static const size_t lens[] = {
		0, 1, 61, 62, 63, 64, 200, 4090, 4093, 4094, 4095, 70000,
		(1 << 20) - 4, (1 << 20) - 3, (1 << 20), (1 << 28) - 5,
	};
	static const size_t widths[] = {
		1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4,
	};
	uint8_t out[4];
	size_t i, n, nbytes;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = kestrel_aml_pkglength(out, lens[i]);
		EXPECT_EQ(widths[i], n) TH_LOG("content %zu", lens[i]);
		EXPECT_EQ(lens[i] + n, decode_pkglength(out, &nbytes))
			TH_LOG("content %zu", lens[i]);
		EXPECT_EQ(n, nbytes);
	}
	/* Two-byte form: bits 6-7 = 1, low nibble first. */
	ASSERT_EQ(2, kestrel_aml_pkglength(out, 63));
	EXPECT_EQ(0x41, out[0]);
	EXPECT_EQ(0x04, out[1]);
	EXPECT_EQ(0, kestrel_aml_pkglength(out, 1 << 28));
}

TEST_HARNESS_MAIN
