/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESTREL_SVM_RUN_H
#define KESTREL_SVM_RUN_H

#include <linux/types.h>

/* svm_run.S: one VMRUN with the guest GPRs loaded; see the file. */
void kestrel_svm_run(u64 vmcb_pa, u64 *gprs, u64 host_save_pa);

#endif /* KESTREL_SVM_RUN_H */
