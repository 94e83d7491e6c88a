/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESTREL_VMX_RUN_H
#define KESTREL_VMX_RUN_H

#include <linux/types.h>

/* vmx_run.S: one VMLAUNCH/VMRESUME with the guest GPRs loaded; see there. */
int kestrel_vmx_run(u64 *gprs, unsigned long resume, unsigned long *host_rsp);
/* The VM-exit landing label in kestrel_vmx_run(): HOST_RIP. */
void kestrel_vmx_exit(void);
/* Call the host NMI handler after an NMI exit, interrupts disabled. */
void kestrel_vmx_do_nmi(void);

#endif /* KESTREL_VMX_RUN_H */
