/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: the interrupt flag is one global word; enabling it runs pending IRQs. */
#ifndef _ASM_LKL_IRQFLAGS_H
#define _ASM_LKL_IRQFLAGS_H

#define ARCH_IRQ_DISABLED	0
#define ARCH_IRQ_ENABLED	1

unsigned long arch_local_save_flags(void);
void arch_local_irq_restore(unsigned long flags);

#include <asm-generic/irqflags.h>

#endif
