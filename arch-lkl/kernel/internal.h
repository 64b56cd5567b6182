/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: arch-internal interfaces, grouped by the file that implements them. */
#ifndef _LKL_INTERNAL_H
#define _LKL_INTERNAL_H

#include <lunik/hypercall.h>
#include <linux/sched.h>

/* The IRQ line the clock event raises. */
#define LKL_TIMER_IRQ 1

/* ---- cpu.c: the CPU lock, the IRQ flag, pending IRQs ---------------- */
int lkl_cpu_init(void);
void lkl_cpu_fini(void);
/* Take the CPU, waiting while another thread has it; -EPERM after halt. */
int lkl_cpu_get(void);
/* Run pending IRQs, then release the CPU or pass it on (see cpu.c). */
void lkl_cpu_put(void);
/* The CPU moves to thread t without being released (context switches). */
void lkl_cpu_set_owner(struct lhc_thread *t);
/* Refuse the CPU to everyone from now on (halt); caller owns the CPU. */
void lkl_cpu_shutdown(void);
/* The idle thread waits here while the CPU is free. */
void lkl_cpu_idle_wait(void);
/* Give the CPU (held by the caller) to the parked idle thread. */
void lkl_cpu_handover_idle(void);
/* Wake the idle thread at halt so that it can end. */
void lkl_cpu_wake_idle(void);
/* Upcall: raise an IRQ line from any thread. */
void lkl_irq_raise(int irq);
/* Mark a line pending (irq.c); any thread. */
void lkl_irq_mark_pending(int irq);
extern struct lhc_thread *lkl_idle_thread;

/* ---- threads.c: tasks on platform threads --------------------------- */
extern struct task_struct *lkl_prev_task;
/* Give the CPU away for a parked current task (host task or idle). */
void lkl_act_for_current(void);
/* Park current (a host task) and schedule; returns without the CPU. */
void lkl_sched_away(void);
/*
 * Make the calling host thread run as task (caller owns the CPU). If halt
 * ends the thread while it waits, it longjmps to jb (on its own stack).
 */
void lkl_switch_to_task(struct task_struct *task, struct lhc_jmpbuf *jb);
/* Posted by a host thread that halt woke to leave the kernel. */
extern struct lhc_sem *lkl_halt_ack;
int lkl_host_task_stub(void *unused);
/* End every platform thread and free per-task host objects (halt). */
void lkl_threads_teardown(void);
extern struct lhc_thread *lkl_init_thread;

/* ---- irq.c ---------------------------------------------------------- */
void lkl_run_irqs(void);
int lkl_irqs_pending(void);
/* Give a line the plain chip and handler it has after boot. */
void lkl_irq_set_default(int irq);

/* ---- time.c --------------------------------------------------------- */
/* Record the boot instant (before start_kernel). */
void lkl_time_boot(void);
void lkl_time_teardown(void);

/* ---- syscalls.c ----------------------------------------------------- */
int lkl_syscalls_init(void);
void lkl_syscalls_fini(void);
extern struct task_struct *lkl_host0;
/* Run fn(params) as the calling host thread's task, like a syscall. */
long lkl_call_in_kernel(long (*fn)(long *params), long *params);

/* ---- setup.c -------------------------------------------------------- */
void lkl_mem_free(void);
/* Take the kernel's memory before boot: 0 or -ENOMEM. */
int lkl_mem_prepare(unsigned long size);
/* Below this the kernel cannot finish booting (it needs about 3 MiB). */
#define LKL_MEM_MIN (4UL << 20)
extern struct lkl_host_operations *lkl_ops;

/* ---- pci.c ---------------------------------------------------------- */
#ifdef CONFIG_PCI
/* Stop bus mastering on every PCI function (the machine halts). */
void lkl_pci_halt(void);
#else
static inline void lkl_pci_halt(void)
{
}
#endif

/* ---- boot.c --------------------------------------------------------- */
extern int lkl_halt_requested;
/* The capability bits lhc_init reported. */
extern uint32_t lkl_lhc_caps;
/* The program's initramfs (lkl_set_initrd), for setup_arch; len 0: none. */
extern const void *lkl_initrd_data;
extern unsigned long lkl_initrd_len;
/* init (pid 1) finished exec'ing /init: make it the parked host task 0. */
void lkl_init_done(struct task_struct *init);

#endif
