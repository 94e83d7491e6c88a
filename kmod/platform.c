// SPDX-License-Identifier: GPL-2.0
/*
 * The PC platform of a domain: which device answers at which port or MMIO
 * address, and how the byte-wide legacy devices see wider accesses.
 *
 *   0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1  8259A PIC pair and its ELCR
 *   0x40-0x43, 0x61                    8254 PIT (and its port B bits)
 *   0x70-0x71                          CMOS RTC
 *   0x3f8-0x3ff                        16550A UART (COM1), the console
 *   0x600-0x60b, 0xcf9                 ACPI PM block, reset register
 *   0x505                              pvpanic (QEMU's; lib/acpi.c's DSDT)
 *   0xcf8-0xcff                        PCI configuration mechanism #1
 *                                      (0xcf9 byte accesses: the reset
 *                                      register, passed to the ACPI PM)
 *   0xc0000000-0xdfffffff              PCI BARs (dev/pci.c assigns them)
 *   0xe0000000 (1 MiB)                 PCI ECAM, bus 0
 *   0xfec00000                         I/O APIC
 *
 * The devices of the domain's configuration (dom->devs) are virtio-pci
 * devices on bus 0 (virtio/pci.c), their models in virtio/, interrupts
 * by MSI-X straight to the local APICs.
 *
 * The interrupt lines go through irq.c: PIT IRQ 0, UART IRQ 4, RTC IRQ 8,
 * SCI IRQ 9 (lib/acpi.c announces the same numbers).  The local APICs are
 * per vCPU and not on the domain's MMIO bus: exit.c hands accesses to the
 * vCPU's own.  Everything here is created before the domain is visible
 * and freed after its vCPUs stopped, so the buses never change while a
 * vCPU looks at them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>

#include "domain.h"
#include "platform.h"
#include "console.h"
#include "dev/uart.h"
#include "dev/pic.h"
#include "dev/pit.h"
#include "dev/rtc.h"
#include "dev/acpi_pm.h"
#include "dev/ioapic.h"
#include "dev/lapic.h"
#include "interrupt.h"
#include "dev/pci.h"
#include "virtio/virtio.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/console.h"

#define COM1_BASE	0x3f8
#define COM1_IRQ	4
#define RTC_IRQ		8
#define SCI_IRQ		9
#define PVPANIC_PORT	0x505
#define PVPANIC_PANICKED	BIT(0)
#define PM_BLOCK_LEN	12
#define PCI_CONFIG_PORT	0xcf8	/* 0xcf9 inside: the reset register */

/* Byte devices: a wider access is that many byte accesses, low first. */
#define BYTE_DEVICE(name, type, rd, wr)					\
static u64 name##_pio_read(void *opaque, u64 addr, unsigned int len)	\
{									\
	u64 val = 0;							\
	unsigned int i;							\
									\
	for (i = 0; i < len; i++)					\
		val |= (u64)rd((type *)opaque, addr + i) << (8 * i);	\
	return val;							\
}									\
									\
static void name##_pio_write(void *opaque, u64 addr, unsigned int len,	\
			     u64 val)					\
{									\
	unsigned int i;							\
									\
	for (i = 0; i < len; i++)					\
		wr((type *)opaque, addr + i, val >> (8 * i));		\
}

static u8 pic_rd(struct kestrel_pic *p, u64 port)
{
	return kestrel_pic_read(p, port);
}

static void pic_wr(struct kestrel_pic *p, u64 port, u8 v)
{
	kestrel_pic_write(p, port, v);
}

static u8 pit_rd(struct kestrel_pit *p, u64 port)
{
	return kestrel_pit_read(p, port);
}

static void pit_wr(struct kestrel_pit *p, u64 port, u8 v)
{
	kestrel_pit_write(p, port, v);
}

static u8 rtc_rd(struct kestrel_rtc *r, u64 port)
{
	return kestrel_rtc_read(r, port);
}

static void rtc_wr(struct kestrel_rtc *r, u64 port, u8 v)
{
	kestrel_rtc_write(r, port, v);
}

static u8 uart_rd(struct kestrel_uart *u, u64 off)
{
	return kestrel_uart_read(u, off);
}

static void uart_wr(struct kestrel_uart *u, u64 off, u8 v)
{
	kestrel_uart_write(u, off, v);
}

BYTE_DEVICE(pic, struct kestrel_pic, pic_rd, pic_wr)
BYTE_DEVICE(pit, struct kestrel_pit, pit_rd, pit_wr)
BYTE_DEVICE(rtc, struct kestrel_rtc, rtc_rd, rtc_wr)
BYTE_DEVICE(uart, struct kestrel_uart, uart_rd, uart_wr)

static u64 pm_pio_read(void *opaque, u64 port, unsigned int len)
{
	return kestrel_acpi_pm_read(opaque, port, len);
}

static void pm_pio_write(void *opaque, u64 port, unsigned int len, u64 val)
{
	kestrel_acpi_pm_write(opaque, port, len, val);
}

/* @absolute: the device decodes the port itself (PIC, PIT, RTC, PM). */
static int claim(struct kestrel_bus *bus, u64 base, u64 len, bool absolute,
		 u64 (*rd)(void *, u64, unsigned int),
		 void (*wr)(void *, u64, unsigned int, u64), void *opaque)
{
	struct kestrel_io_range r = {
		.base = base, .len = len, .absolute = absolute,
		.read = rd, .write = wr, .opaque = opaque,
	};

	return kestrel_bus_register(bus, &r);
}

/* Called from the vCPU thread with preemption off: only flag and kick. */
static void pm_poweroff(void *opaque)
{
	kestrel_domain_shutdown_from_guest(opaque, false);
}

static void pm_reset(void *opaque)
{
	kestrel_domain_shutdown_from_guest(opaque, true);
}

static void pm_sci(void *opaque, bool level)
{
	kestrel_isa_irq(opaque, SCI_IRQ, level);
}

static const struct kestrel_acpi_pm_ops pm_ops = {
	.sci = pm_sci,
	.poweroff = pm_poweroff,
	.reset = pm_reset,
};

/*
 * pvpanic: reads give the events it reports (panicked), a write with
 * PANICKED set is the guest's kernel panic: the domain crashes and its
 * on_crash action follows.  Called from the vCPU thread.
 */
static u64 pvpanic_read(void *opaque, u64 port, unsigned int len)
{
	return PVPANIC_PANICKED;
}

static void pvpanic_write(void *opaque, u64 port, unsigned int len, u64 val)
{
	if (val & PVPANIC_PANICKED)
		kestrel_domain_crash(opaque, "the guest kernel panicked (pvpanic)");
}

static void pit_irq(void *opaque, bool level)
{
	kestrel_isa_irq(opaque, 0, level);
}

static void uart_irq(void *opaque, bool level)
{
	kestrel_isa_irq(opaque, COM1_IRQ, level);
}

static void rtc_irq(void *opaque, bool level)
{
	kestrel_isa_irq(opaque, RTC_IRQ, level);
}

static void pci_deliver(void *opaque, const struct kestrel_irq_msg *msg)
{
	kestrel_irq_deliver(opaque, msg);
}

/* The virtio console on the domain's console stream (hvc0). */
static void vcon_output(void *con, const u8 *buf, size_t len)
{
	kestrel_console_output(con, buf, len);
}

static int vcon_input_get(void *con)
{
	return kestrel_console_input_get(con);
}

static void vcon_input_notify(void *vc)
{
	kestrel_virtio_console_input_ready(vc);
}

/* The device models of dom->devs on the PCI bus; undone by _free. */
/*
 * The blk hook: a backend request failed.  Any context: count it and let
 * the work item send the event.
 */
static void blk_io_error(void *data, int err)
{
	struct kestrel_dev_state *ds = data;

	WRITE_ONCE(ds->io_error_last, err);
	atomic_inc(&ds->io_errors);
	queue_work(kestrel_wq, &ds->dom->io_error_work);
}

/* One io-error event per disk that had errors since the last run. */
static void platform_io_error_work(struct work_struct *work)
{
	struct kestrel_domain *dom = container_of(work, struct kestrel_domain,
						  io_error_work);
	unsigned int i;

	for (i = 0; i < dom->nr_devs; i++) {
		struct kestrel_dev_state *ds = &dom->dev_state[i];
		int n = atomic_xchg(&ds->io_errors, 0);

		if (n)
			kestrel_genl_notify_io_error(dom, dom->devs[i].slot,
						     READ_ONCE(ds->io_error_last),
						     n);
	}
}

void kestrel_platform_prepare(struct kestrel_domain *dom)
{
	unsigned int i;

	INIT_WORK(&dom->io_error_work, platform_io_error_work);
	for (i = 0; i < KESTREL_MAX_DEVICES; i++)
		dom->dev_state[i].dom = dom;
}

static int platform_devices_init(struct kestrel_domain *dom)
{
	struct kestrel_virtio_dev *vdev;
	char name[KESTREL_NAME_MAX + 16];
	unsigned int i;
	int err;

	for (i = 0; i < dom->nr_devs; i++) {
		const struct kestrel_dev_config *c = &dom->devs[i];

		switch (c->type) {
		case KESTREL_DEV_RNG: {
			struct kestrel_virtio_rng_params p = {
				.rate_bytes = c->rate_bytes,
				.period_ms = c->rate_period,
			};
			struct kestrel_virtio_rng *rng;

			snprintf(name, sizeof(name), "%s: rng%u", dom->name, i);
			rng = kestrel_virtio_rng_create(&p, name);
			if (IS_ERR(rng))
				return PTR_ERR(rng);
			dom->dev_state[i].model = rng;
			vdev = kestrel_virtio_rng_vdev(rng);
			break;
		}
		case KESTREL_DEV_BLOCK: {
			struct kestrel_virtio_blk_params p = {
				.file = get_file(c->file),
				.readonly = c->readonly,
				.num_queues = c->queues ?: min(dom->nr_vcpus, 64U),
				.domid = dom->id,
				.index = i,
				.io_error = blk_io_error,
				.io_error_data = &dom->dev_state[i],
			};
			struct kestrel_virtio_blk *blk;

			strscpy(p.serial, c->serial, sizeof(p.serial));
			snprintf(name, sizeof(name), "%s: blk%u", dom->name, i);
			blk = kestrel_virtio_blk_create(&p, name);
			if (IS_ERR(blk)) {
				fput(p.file);	/* not taken over */
				return PTR_ERR(blk);
			}
			dom->dev_state[i].model = blk;
			vdev = kestrel_virtio_blk_vdev(blk);
			break;
		}
		case KESTREL_DEV_NET: {
			struct kestrel_virtio_net_params p = {
				.nr_pairs = c->nr_taps,
				.link_down = c->link_down,
				.domid = dom->id,
				.index = i,
			};
			struct kestrel_virtio_net *net;
			unsigned int q;

			memcpy(p.mac, c->mac, sizeof(p.mac));
			for (q = 0; q < c->nr_taps; q++)
				p.taps[q] = get_file(c->taps[q]);
			snprintf(name, sizeof(name), "%s: net%u", dom->name, i);
			net = kestrel_virtio_net_create(&p, name);
			if (IS_ERR(net)) {
				for (q = 0; q < c->nr_taps; q++)
					fput(p.taps[q]);	/* not taken over */
				return PTR_ERR(net);
			}
			dom->dev_state[i].model = net;
			vdev = kestrel_virtio_net_vdev(net);
			break;
		}
		case KESTREL_DEV_CONSOLE: {
			struct kestrel_virtio_console_params p = {
				.output = vcon_output,
				.input_get = vcon_input_get,
				.opaque = dom->console,
			};
			struct kestrel_virtio_console *vc;

			snprintf(name, sizeof(name), "%s: console%u", dom->name,
				 i);
			vc = kestrel_virtio_console_create(&p, name);
			if (IS_ERR(vc))
				return PTR_ERR(vc);
			dom->dev_state[i].model = vc;
			/* Host input goes to hvc0 now, not to the UART. */
			kestrel_uart_output_only(dom->uart);
			kestrel_console_set_input_notify(dom->console,
							 vcon_input_notify, vc);
			vdev = kestrel_virtio_console_vdev(vc);
			break;
		}
		default:
			return -EINVAL;		/* genl.c checked the type */
		}
		vdev->mem = &dom->mem;
		err = kestrel_virtio_pci_create(dom->pci, vdev, c->slot,
						&dom->dev_state[i].vp);
		if (err)
			return err;
	}
	return 0;
}

static void platform_devices_free(struct kestrel_domain *dom)
{
	unsigned int i;

	for (i = 0; i < dom->nr_devs; i++) {
		if (dom->dev_state[i].vp)
			kestrel_virtio_pci_destroy(dom->dev_state[i].vp);
		dom->dev_state[i].vp = NULL;
		if (!dom->dev_state[i].model)
			continue;
		switch (dom->devs[i].type) {
		case KESTREL_DEV_RNG:
			kestrel_virtio_rng_destroy(dom->dev_state[i].model);
			break;
		case KESTREL_DEV_BLOCK:
			kestrel_virtio_blk_destroy(dom->dev_state[i].model);
			break;
		case KESTREL_DEV_NET:
			kestrel_virtio_net_destroy(dom->dev_state[i].model);
			break;
		case KESTREL_DEV_CONSOLE:
			kestrel_console_set_input_notify(dom->console, NULL,
							 NULL);
			kestrel_virtio_console_destroy(dom->dev_state[i].model);
			break;
		}
		dom->dev_state[i].model = NULL;
	}
	/* The disks are gone: nothing queues it any more. */
	cancel_work_sync(&dom->io_error_work);
	if (dom->pci)
		kestrel_pci_bus_destroy(dom->pci);
	dom->pci = NULL;
}

int kestrel_platform_init(struct kestrel_domain *dom)
{
	struct kestrel_pci_bus_params pci = {
		.deliver = pci_deliver,
		.opaque = dom,
		.cf9_read = pm_pio_read,
		.cf9_write = pm_pio_write,
	};
	struct kestrel_bus *pio = &dom->pio;
	int err;

	/* The interrupt controllers first: the devices drive their lines. */
	err = kestrel_irq_init(dom);
	if (err)
		return err;
	dom->uart = kestrel_uart_create(dom->console, uart_irq, dom);
	dom->pit = kestrel_pit_create(pit_irq, dom);
	dom->rtc = kestrel_rtc_create(0, rtc_irq, dom);
	dom->pm = kestrel_acpi_pm_create(&pm_ops, dom);
	if (!dom->uart || !dom->pit || !dom->rtc || !dom->pm)
		return -ENOMEM;
	pci.cf9_opaque = dom->pm;
	dom->pci = kestrel_pci_bus_create(&pci);
	if (!dom->pci)
		return -ENOMEM;
	err = platform_devices_init(dom);
	if (err)
		return err;

	return claim(pio, COM1_BASE, 8, false, uart_pio_read, uart_pio_write,
		     dom->uart) ?:
	       claim(pio, 0x20, 2, true, pic_pio_read, pic_pio_write, dom->pic) ?:
	       claim(pio, 0xa0, 2, true, pic_pio_read, pic_pio_write, dom->pic) ?:
	       claim(pio, 0x4d0, 2, true, pic_pio_read, pic_pio_write, dom->pic) ?:
	       claim(pio, 0x40, 4, true, pit_pio_read, pit_pio_write, dom->pit) ?:
	       claim(pio, 0x61, 1, true, pit_pio_read, pit_pio_write, dom->pit) ?:
	       claim(pio, 0x70, 2, true, rtc_pio_read, rtc_pio_write, dom->rtc) ?:
	       claim(pio, KESTREL_ACPI_PM_EVT_PORT, PM_BLOCK_LEN, true,
		     pm_pio_read, pm_pio_write, dom->pm) ?:
	       claim(pio, PCI_CONFIG_PORT, 8, true, kestrel_pci_pio_read,
		     kestrel_pci_pio_write, dom->pci) ?:
	       claim(&dom->mmio, KESTREL_PCI_ECAM_BASE, KESTREL_PCI_ECAM_SIZE,
		     false, kestrel_pci_ecam_read, kestrel_pci_ecam_write,
		     dom->pci) ?:
	       claim(&dom->mmio, KESTREL_PCI_MMIO_START,
		     KESTREL_PCI_MMIO_END - KESTREL_PCI_MMIO_START + 1, true,
		     kestrel_pci_mmio_read, kestrel_pci_mmio_write, dom->pci) ?:
	       claim(pio, PVPANIC_PORT, 1, true, pvpanic_read, pvpanic_write,
		     dom) ?:
	       claim(&dom->mmio, KESTREL_IOAPIC_BASE, KESTREL_IOAPIC_SIZE,
		     false, kestrel_ioapic_mmio_read, kestrel_ioapic_mmio_write,
		     dom->ioapic);
}

/*
 * A system reset (reboot in place), with every vCPU parked: the devices
 * back to their power-on state.  The RTC keeps its time and the console
 * its contents.  Sleeps (the PIT's timer).
 */
void kestrel_platform_reset(struct kestrel_domain *dom)
{
	unsigned int i;

	kestrel_pit_reset(dom->pit);
	kestrel_uart_reset(dom->uart);
	kestrel_acpi_pm_reset(dom->pm);
	kestrel_pic_reset(dom->pic);
	WRITE_ONCE(dom->pic_intr, false);
	kestrel_ioapic_reset(dom->ioapic);
	for (i = 0; i < dom->nr_vcpus; i++)
		kestrel_lapic_reset(dom->vcpus[i].lapic);
	for (i = 0; i < dom->nr_devs; i++)
		kestrel_virtio_pci_reset(dom->dev_state[i].vp);
	kestrel_pci_bus_reset(dom->pci);
}

/* virsh shutdown: the ACPI power button. */
void kestrel_platform_power_button(struct kestrel_domain *dom)
{
	kestrel_acpi_pm_power_button(dom->pm);
}

int kestrel_platform_dev_stats(struct kestrel_domain *dom, unsigned int i,
			       struct kestrel_dev_stats *stats)
{
	void *model;

	memset(stats, 0, sizeof(*stats));
	if (i >= dom->nr_devs)
		return -EINVAL;
	stats->type = dom->devs[i].type;
	stats->slot = dom->devs[i].slot;
	model = dom->dev_state[i].model;
	if (!model)
		return 0;
	switch (stats->type) {
	case KESTREL_DEV_BLOCK:
		kestrel_virtio_blk_stats(model, &stats->blk);
		break;
	case KESTREL_DEV_NET:
		kestrel_virtio_net_stats(model, &stats->net);
		stats->link_down = !kestrel_virtio_net_link_up(model);
		break;
	}
	return 0;
}

int kestrel_platform_set_link(struct kestrel_domain *dom, u32 slot, bool up)
{
	unsigned int i;

	for (i = 0; i < dom->nr_devs; i++)
		if (dom->devs[i].slot == slot)
			break;
	if (i == dom->nr_devs)
		return -ENODEV;
	if (dom->devs[i].type != KESTREL_DEV_NET)
		return -EINVAL;
	/* Created with the domain, freed at its last put. */
	kestrel_virtio_net_set_link(dom->dev_state[i].model, up);
	return 0;
}

/* The line sources first (the PIT's timer), then the controllers. */
void kestrel_platform_free(struct kestrel_domain *dom)
{
	platform_devices_free(dom);
	if (dom->pm)
		kestrel_acpi_pm_destroy(dom->pm);
	if (dom->rtc)
		kestrel_rtc_destroy(dom->rtc);
	if (dom->pit)
		kestrel_pit_destroy(dom->pit);
	if (dom->uart)
		kestrel_uart_destroy(dom->uart);
	kestrel_irq_free(dom);
}
