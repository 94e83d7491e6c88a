/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC platform of a domain: the devices at their fixed addresses.
 */
#ifndef KESTREL_PLATFORM_H
#define KESTREL_PLATFORM_H

struct kestrel_domain;

/* Create the devices and claim their ports and MMIO; undone by _free. */
int kestrel_platform_init(struct kestrel_domain *dom);
/* After the vCPUs stopped: no device is accessed any more. */
void kestrel_platform_free(struct kestrel_domain *dom);
/* System reset with the vCPUs parked (reboot in place).  Sleeps. */
void kestrel_platform_reset(struct kestrel_domain *dom);
/* Press the ACPI power button.  Any process context. */
void kestrel_platform_power_button(struct kestrel_domain *dom);

#endif /* KESTREL_PLATFORM_H */
