/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI fixed hardware the FADT of lib/acpi.c announces: the PM1a event
 * block (PM1_STS, PM1_EN), the PM1a control block (PM1_CNT), the PM timer,
 * the SCI, and the reset register (PIIX4's reset control register, 0xcf9).
 */
#ifndef KESTREL_DEV_ACPI_PM_H
#define KESTREL_DEV_ACPI_PM_H

#include <linux/types.h>

/* The ports, as KESTREL_ACPI_*_PORT in lib/acpi.h. */
#define KESTREL_ACPI_PM_EVT_PORT	0x600	/* 4 bytes: PM1_STS, PM1_EN */
#define KESTREL_ACPI_PM_CNT_PORT	0x604	/* 2 bytes: PM1_CNT */
#define KESTREL_ACPI_PM_TMR_PORT	0x608	/* 4 bytes: PM_TMR */
#define KESTREL_ACPI_PM_RESET_PORT	0xcf9	/* 1 byte */

struct kestrel_acpi_pm;

/*
 * @sci(@opaque, level) is called, under the device's spinlock, each time
 * the level of the SCI changes; it must not sleep nor call back into the
 * device.
 * @poweroff(@opaque) is called once for each write that sets SLP_EN with
 * SLP_TYP = 5 (\_S5), and @reset(@opaque) once for each byte written to
 * port 0xcf9 with bit 2 (RST_CPU) set.  Both are called from
 * kestrel_acpi_pm_write(), in its caller's context, without the device's
 * lock held: they may call into the device (kestrel_acpi_pm_reset()).
 * Any of them may be NULL.
 * @tmr_24bit: the FADT announces a 24-bit PM timer (TMR_VAL_EXT clear); by
 * default (false) it has 32 bits, as lib/acpi.c's default FADT announces.
 */
struct kestrel_acpi_pm_ops {
	void (*sci)(void *opaque, bool level);
	void (*poweroff)(void *opaque);
	void (*reset)(void *opaque);
	bool tmr_24bit;
};

/*
 * @ops is copied.  The PM timer starts from 0.  Returns NULL when out of
 * memory.  May sleep.
 */
struct kestrel_acpi_pm *
kestrel_acpi_pm_create(const struct kestrel_acpi_pm_ops *ops, void *opaque);
/* Free; NULL is ignored.  No call may be running or follow. */
void kestrel_acpi_pm_destroy(struct kestrel_acpi_pm *pm);
/*
 * Back to the power-on state (status and enable bits clear, so the SCI
 * drops; the timer runs on), as on a system reset.  Never sleeps.
 */
void kestrel_acpi_pm_reset(struct kestrel_acpi_pm *pm);

/*
 * Guest accesses of @len bytes (1, 2 or 4) at @port, anywhere in
 * 0x600..0x60b or at 0xcf9; bytes of no register read as 0xff and ignore
 * writes.  Never sleep (but see @poweroff and @reset above).
 */
u32 kestrel_acpi_pm_read(struct kestrel_acpi_pm *pm, u16 port,
			 unsigned int len);
void kestrel_acpi_pm_write(struct kestrel_acpi_pm *pm, u16 port,
			   unsigned int len, u32 val);

/* The host's power button ("virsh shutdown"): sets PWRBTN_STS. */
void kestrel_acpi_pm_power_button(struct kestrel_acpi_pm *pm);

#endif /* KESTREL_DEV_ACPI_PM_H */
