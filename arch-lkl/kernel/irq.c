// SPDX-License-Identifier: GPL-2.0
/* lkl: interrupt flag, pending-IRQ bitmap and IRQ delivery. */

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/hardirq.h>
#include <asm/irq_regs.h>
#include "internal.h"

/*
 * The interrupt flag is a single global word: it belongs to the CPU, not
 * to a platform thread, so it travels with the CPU through context
 * switches and handovers. Only the CPU owner reads or writes it.
 */
static unsigned long irq_flag = ARCH_IRQ_DISABLED;

/* Raised lines, set by any thread (host atomics: no kernel locking). */
static unsigned long irq_pending;

/* Set while lkl_run_irqs runs, so enabling IRQs in softirqs does not nest. */
static bool irq_running;

/* Handlers get a pt_regs that says "kernel mode" (tick code needs one). */
static struct pt_regs lkl_irq_regs;

void lkl_irq_mark_pending(int irq)
{
	if (irq < 1 || irq > LHC_IRQ_MAX)
		return;
	__atomic_fetch_or(&irq_pending, 1UL << irq, __ATOMIC_SEQ_CST);
}

int lkl_irqs_pending(void)
{
	return __atomic_load_n(&irq_pending, __ATOMIC_SEQ_CST) != 0;
}

static void deliver(int irq)
{
	struct pt_regs *old = set_irq_regs(&lkl_irq_regs);

	irq_enter();
	generic_handle_irq(irq);
	irq_exit();
	set_irq_regs(old);
}

/* Run every pending line with the flag down; caller owns the CPU. */
void lkl_run_irqs(void)
{
	unsigned long saved, pending;

	if (irq_running)
		return;
	irq_running = true;
	saved = irq_flag;
	irq_flag = ARCH_IRQ_DISABLED;
	while ((pending = __atomic_exchange_n(&irq_pending, 0,
					      __ATOMIC_SEQ_CST))) {
		while (pending) {
			int irq = __builtin_ctzl(pending);

			pending &= pending - 1;
			deliver(irq);
		}
	}
	irq_flag = saved;
	irq_running = false;
}

unsigned long arch_local_save_flags(void)
{
	return irq_flag;
}

void arch_local_irq_restore(unsigned long flags)
{
	if (flags == ARCH_IRQ_ENABLED && irq_flag == ARCH_IRQ_DISABLED &&
	    !irq_running && lkl_irqs_pending()) {
		irq_flag = ARCH_IRQ_ENABLED;
		lkl_run_irqs();
	}
	irq_flag = flags;
}

static void lkl_irq_noop(struct irq_data *d)
{
}

static struct irq_chip lkl_irq_chip = {
	.name		= "lkl",
	.irq_mask	= lkl_irq_noop,
	.irq_unmask	= lkl_irq_noop,
};

/* A line back to the plain chip (an MSI line given back, pci.c). */
void lkl_irq_set_default(int irq)
{
	irq_set_chip_and_handler(irq, &lkl_irq_chip, handle_simple_irq);
}

void __init init_IRQ(void)
{
	int irq;

	for (irq = 1; irq <= LHC_IRQ_MAX && irq < NR_IRQS; irq++)
		lkl_irq_set_default(irq);
}
