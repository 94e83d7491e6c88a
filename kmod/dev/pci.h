/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PCI bus 0 with a host bridge at 00:00.0 and up to 31 more devices
 * (function 0 only), reached through configuration mechanism #1 (ports
 * 0xcf8-0xcff) and ECAM (KESTREL_PCI_ECAM_BASE, bus 0 only), with memory
 * BARs in the window KESTREL_PCI_MMIO_START..KESTREL_PCI_MMIO_END and a
 * generic MSI-X capability.  Layout: uapi/linux/kestrel.h; lib/acpi.c
 * announces the same bridge (MCFG, \_SB.PCI0) and lib/loader.c reserves
 * the ECAM in the e820 map.
 *
 * Wiring (the platform):
 *
 *	bus = kestrel_pci_bus_create(&params);
 *	port bus:  { .base = KESTREL_PCI_PIO_BASE, .len = KESTREL_PCI_PIO_LEN,
 *		     .absolute = true, .read = kestrel_pci_pio_read,
 *		     .write = kestrel_pci_pio_write, .opaque = bus }
 *	MMIO bus:  { .base = KESTREL_PCI_ECAM_BASE,
 *		     .len = KESTREL_PCI_ECAM_SIZE,
 *		     .read = kestrel_pci_ecam_read,
 *		     .write = kestrel_pci_ecam_write, .opaque = bus }
 *		   { .base = KESTREL_PCI_MMIO_START,
 *		     .len = KESTREL_PCI_MMIO_END - KESTREL_PCI_MMIO_START + 1,
 *		     .absolute = true, .read = kestrel_pci_mmio_read,
 *		     .write = kestrel_pci_mmio_write, .opaque = bus }
 *
 * The port range includes 0xcf9, the PC reset control register: byte
 * accesses to it go to params.cf9_read/cf9_write (the ACPI PM block's
 * reset register), so the platform must not claim 0xcf9 separately.
 * Only dword accesses to 0xcf8 reach the configuration address register;
 * other accesses to 0xcf8-0xcfb read all ones and are dropped.
 *
 * Devices register before the domain first runs and stay until they
 * unregister (with the vCPUs stopped) or the bus is destroyed.  The
 * platform frees the devices (which may still signal MSI-X while they
 * stop) before it destroys the bus.
 *
 * Contexts and locking:
 * - Every handler and kestrel_pci_msix_notify() may run in any context
 *   (vCPU threads with preemption disabled, device workers, timers); none
 *   sleeps.  The bus has one spinlock (taken with interrupts disabled)
 *   that protects configuration space, BAR addresses and MSI-X state.
 * - A device's callbacks (BAR read/write, cfg_read/cfg_write) are called
 *   WITHOUT the bus lock held, so they may call kestrel_pci_msix_notify()
 *   or kestrel_pci_bar_read/write().  A BAR may move between the lookup
 *   and the callback; the access then counts as made before the move.
 * - @deliver is called without the bus lock held, but possibly from
 *   inside a device's call to kestrel_pci_msix_notify() or from an MMIO
 *   write that unmasks a vector.  It must not sleep.
 */
#ifndef KESTREL_DEV_PCI_H
#define KESTREL_DEV_PCI_H

#include <linux/types.h>
#include <linux/kestrel.h>

#include "irq.h"

#define KESTREL_PCI_PIO_BASE		0xcf8
#define KESTREL_PCI_PIO_LEN		8
#define KESTREL_PCI_RESET_PORT		0xcf9

#define KESTREL_PCI_MAX_DEVS		32	/* slot 0: the host bridge */
#define KESTREL_PCI_NR_BARS		6
#define KESTREL_PCI_CFG_SIZE		0x1000	/* per function, ECAM */
#define KESTREL_PCI_MIN_BAR		0x1000
#define KESTREL_PCI_MSIX_MAX		128	/* vectors per device */

/* The host bridge (QEMU's PCIe host bridge, which Linux knows). */
#define KESTREL_PCI_HOST_VENDOR		0x1b36
#define KESTREL_PCI_HOST_DEVICE		0x0008
#define KESTREL_PCI_CLASS_HOST		0x060000

/* Configuration header registers and bits used by devices and tests. */
#define KESTREL_PCI_VENDOR_ID		0x00
#define KESTREL_PCI_COMMAND		0x04
#define KESTREL_PCI_STATUS		0x06
#define KESTREL_PCI_BAR0		0x10
#define KESTREL_PCI_CAP_PTR		0x34
#define KESTREL_PCI_CMD_MEMORY		0x0002
#define KESTREL_PCI_CMD_MASTER		0x0004
#define KESTREL_PCI_STATUS_CAP_LIST	0x0010
#define KESTREL_PCI_CAP_ID_MSIX		0x11
#define KESTREL_PCI_CAP_ID_VNDR		0x09
#define KESTREL_PCI_MSIX_ENABLE		0x8000	/* message control */
#define KESTREL_PCI_MSIX_MASKALL	0x4000
#define KESTREL_PCI_MSIX_ENTRY_SIZE	16
#define KESTREL_PCI_MSIX_ENTRY_MASKED	1	/* vector control */

struct kestrel_pci_bus;
struct kestrel_pci_dev;

struct kestrel_pci_bar {
	/* 0: not implemented; else a power of 2 >= KESTREL_PCI_MIN_BAR */
	u64 size;
	/* 64-bit BAR: also takes the next slot, which must be unused */
	bool is64;
	/*
	 * Accesses of 1, 2, 4 or 8 bytes at @off (< size, the access
	 * within the BAR) while the BAR decodes.  Without the bus lock;
	 * must not sleep.  A missing read returns all ones.
	 */
	u64 (*read)(struct kestrel_pci_dev *dev, u64 off, unsigned int len);
	void (*write)(struct kestrel_pci_dev *dev, u64 off, unsigned int len,
		      u64 val);
};

/*
 * Embedded in the device model's structure (container_of).  The device
 * fills in the fields up to @cfg_write, then calls
 * kestrel_pci_dev_init(), adds its capabilities and registers it.
 */
struct kestrel_pci_dev {
	u16 vendor_id, device_id;
	u16 subsys_vendor_id, subsys_id;
	u8 revision;
	u32 class_code;			/* base << 16 | sub << 8 | prog-if */
	struct kestrel_pci_bar bars[KESTREL_PCI_NR_BARS];
	/*
	 * Configuration accesses to the capabilities the device added
	 * (offsets 0x40-0xff, but not the MSI-X capability, which the bus
	 * owns).  @len is 1, 2 or 4 and the access does not cross a dword.
	 * cfg_write is called after the bus stored the bytes the
	 * capability's write mask allows; cfg_read returns true when it
	 * supplied *@val (else the stored bytes are read).  Without the bus
	 * lock; must not sleep.  Both optional.
	 */
	bool (*cfg_read)(struct kestrel_pci_dev *dev, u32 off,
			 unsigned int len, u32 *val);
	void (*cfg_write)(struct kestrel_pci_dev *dev, u32 off,
			  unsigned int len, u32 val);

	/* The bus's, under its lock. */
	struct kestrel_pci_bus *bus;
	u8 slot;
	u16 cap_end;			/* next free capability offset */
	u8 cap_last;			/* offset of the last capability */
	u8 msix_cap;			/* 0: none */
	u16 msix_nr;
	u8 msix_table_bar, msix_pba_bar;
	u32 msix_table_off, msix_pba_off;
	u8 cfg[256];			/* 0x100-0xfff read as 0 */
	u8 wmask[256];			/* bits the guest may write */
	u8 reset_cfg[256];		/* power-on contents */
	u8 msix_table[KESTREL_PCI_MSIX_MAX * KESTREL_PCI_MSIX_ENTRY_SIZE];
	u64 msix_pending[KESTREL_PCI_MSIX_MAX / 64];
};

struct kestrel_pci_bus_params {
	/*
	 * Send an MSI (the MSI-X table entry's address/data).  Called
	 * without the bus lock; must not sleep or call into the bus.
	 */
	void (*deliver)(void *opaque, const struct kestrel_irq_msg *msg);
	void *opaque;
	/* Byte accesses to port 0xcf9 (@port is 0xcf9).  Optional. */
	u64 (*cf9_read)(void *cf9_opaque, u64 port, unsigned int len);
	void (*cf9_write)(void *cf9_opaque, u64 port, unsigned int len,
			  u64 val);
	void *cf9_opaque;
};

/* The bus with its host bridge at 00:00.0; NULL without memory.  Sleeps. */
struct kestrel_pci_bus *
kestrel_pci_bus_create(const struct kestrel_pci_bus_params *params);
/* No handler runs any more and the devices are gone.  Sleeps. */
void kestrel_pci_bus_destroy(struct kestrel_pci_bus *bus);
/*
 * System reset: every device's configuration space and MSI-X state back
 * to power-on, BARs reassigned as at registration, memory decoding on.
 * The devices reset their own state (kestrel_virtio_pci_reset()).
 */
void kestrel_pci_bus_reset(struct kestrel_pci_bus *bus);

/*
 * Prepare @dev, whose identity and BARs are filled in: checks the BARs
 * and builds the configuration header.  0 or -EINVAL.
 */
int kestrel_pci_dev_init(struct kestrel_pci_dev *dev);
/*
 * Append a capability: @len bytes (4..64, @bytes[0] is the ID; the bus
 * writes @bytes[1], the next pointer) whose bits set in @wmask (NULL:
 * none) the guest may write.  Returns its configuration offset, or
 * -ENOSPC.  Before registration.
 */
int kestrel_pci_add_cap(struct kestrel_pci_dev *dev, const u8 *bytes,
			const u8 *wmask, unsigned int len);
/*
 * Add an MSI-X capability with @nr vectors (1..KESTREL_PCI_MSIX_MAX):
 * the table at @table_off of BAR @table_bar, the PBA at @pba_off of BAR
 * @pba_bar (8-byte aligned, inside the BARs, not overlapping).  The bus
 * serves those ranges itself; the BAR's callbacks see the rest.  Returns
 * the capability's offset or a negative errno.  Before registration.
 */
int kestrel_pci_add_msix(struct kestrel_pci_dev *dev, unsigned int nr,
			 unsigned int table_bar, u32 table_off,
			 unsigned int pba_bar, u32 pba_off);
/*
 * Plug @dev into the first free slot and assign its BARs.  0, -ENOSPC
 * (no slot, or the window is full) or -EINVAL.  Before the domain runs.
 */
int kestrel_pci_register(struct kestrel_pci_bus *bus,
			 struct kestrel_pci_dev *dev);
/*
 * The same at device number @slot (1..31): -EBUSY when it is taken,
 * -EINVAL when out of range.  BARs are assigned in registration order.
 */
int kestrel_pci_register_slot(struct kestrel_pci_bus *bus,
			      struct kestrel_pci_dev *dev, unsigned int slot);

/*
 * Take @dev off its bus (no-op when not registered): its slot reads all
 * ones from now on; its window space is not reused.  Any context, but
 * not concurrently with a callback into @dev (the vCPUs are stopped).
 */
void kestrel_pci_unregister(struct kestrel_pci_dev *dev);

/*
 * Signal MSI-X @vector of @dev: delivered now when MSI-X is enabled,
 * bus mastering is on and neither the function nor the vector is masked;
 * left pending when masked (delivered on unmask).  Returns false when
 * MSI-X is disabled or @vector is out of range (nothing happens).  Any
 * context, never sleeps; not with the bus lock held.
 */
bool kestrel_pci_msix_notify(struct kestrel_pci_dev *dev, unsigned int vector);
/* MSI-X is enabled (the guest set the enable bit).  Any context. */
bool kestrel_pci_msix_enabled(struct kestrel_pci_dev *dev);
/* Vectors of @dev's MSI-X table (0: none). */
unsigned int kestrel_pci_msix_vectors(const struct kestrel_pci_dev *dev);

/*
 * An access to BAR @bar of @dev at @off as if through its address, also
 * when the BAR does not decode (virtio's configuration access window).
 * Out of range: all ones / dropped.  Not with the bus lock held.
 */
u64 kestrel_pci_bar_read(struct kestrel_pci_dev *dev, unsigned int bar,
			 u64 off, unsigned int len);
void kestrel_pci_bar_write(struct kestrel_pci_dev *dev, unsigned int bar,
			   u64 off, unsigned int len, u64 val);

/*
 * Bus handlers (struct kestrel_io_range, kmod/iobus.h); @opaque is the
 * bus.  Never sleep; any context.
 */
u64 kestrel_pci_pio_read(void *opaque, u64 port, unsigned int len);
void kestrel_pci_pio_write(void *opaque, u64 port, unsigned int len, u64 val);
u64 kestrel_pci_ecam_read(void *opaque, u64 off, unsigned int len);
void kestrel_pci_ecam_write(void *opaque, u64 off, unsigned int len, u64 val);
u64 kestrel_pci_mmio_read(void *opaque, u64 addr, unsigned int len);
void kestrel_pci_mmio_write(void *opaque, u64 addr, unsigned int len, u64 val);

#endif /* KESTREL_DEV_PCI_H */
