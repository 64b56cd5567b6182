// SPDX-License-Identifier: GPL-2.0
/* lkl: the CPU lock that decides which platform thread runs kernel code. */

#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include "internal.h"

/*
 * Exactly one platform thread runs kernel code at a time: the CPU owner.
 * The owner changes in three ways:
 *  - take/release: a thread with no kernel task running on it (a host
 *    thread entering a syscall, a timer or device thread raising an IRQ)
 *    takes the free CPU and later releases it;
 *  - context switch: __switch_to hands it from prev's thread to next's;
 *  - handover: a releasing thread that finds the idle task current with a
 *    reschedule pending, or that has just run interrupts, gives the CPU
 *    straight to the idle thread, which is parked in lkl_cpu_idle_wait(),
 *    so that idle runs the scheduler or re-evaluates the tick.
 * While the CPU is free, current is either the idle task (its thread parked
 * in lkl_cpu_idle_wait) or a host task whose host thread went back to the
 * application after its syscall ("parked" host task).
 */
static struct {
	struct lhc_mutex *lock;		/* protects the fields below */
	struct lhc_thread *owner;	/* NULL: free */
	unsigned int sleepers;		/* threads waiting in lkl_cpu_get */
	struct lhc_sem *sleep_sem;
	struct lhc_sem *idle_sem;	/* posted on handover to idle */
	bool shutdown;			/* halt: nobody may take it again */
} cpu;

struct lhc_thread *lkl_idle_thread;

int lkl_cpu_init(void)
{
	if (lhc_mutex_alloc(0, &cpu.lock))
		return -ENOMEM;
	if (lhc_sem_alloc(0, &cpu.sleep_sem))
		return -ENOMEM;
	if (lhc_sem_alloc(0, &cpu.idle_sem))
		return -ENOMEM;
	cpu.owner = NULL;
	cpu.sleepers = 0;
	cpu.shutdown = false;
	return 0;
}

void lkl_cpu_fini(void)
{
	if (!cpu.lock)
		return;
	lhc_sem_free(cpu.idle_sem);
	lhc_sem_free(cpu.sleep_sem);
	lhc_mutex_free(cpu.lock);
	memset(&cpu, 0, sizeof(cpu));
}

int lkl_cpu_get(void)
{
	struct lhc_thread *self = lhc_thread_self();

	lhc_mutex_lock(cpu.lock);
	while (!cpu.shutdown && cpu.owner && cpu.owner != self) {
		cpu.sleepers++;
		lhc_mutex_unlock(cpu.lock);
		lhc_sem_down(cpu.sleep_sem);
		lhc_mutex_lock(cpu.lock);
	}
	if (cpu.shutdown) {
		lhc_mutex_unlock(cpu.lock);
		return -EPERM;
	}
	if (cpu.owner == self) {
		/* Re-entry from kernel code (e.g. a hypercall calling back). */
		lhc_mutex_unlock(cpu.lock);
		return -EDEADLK;
	}
	cpu.owner = self;
	lhc_mutex_unlock(cpu.lock);
	return 0;
}

/* Take the CPU only if it is free; for IRQ delivery, which never blocks. */
static int cpu_try_get(void)
{
	int ret = -EBUSY;

	lhc_mutex_lock(cpu.lock);
	if (!cpu.shutdown && !cpu.owner) {
		cpu.owner = lhc_thread_self();
		ret = 0;
	}
	lhc_mutex_unlock(cpu.lock);
	return ret;
}

void lkl_cpu_set_owner(struct lhc_thread *t)
{
	lhc_mutex_lock(cpu.lock);
	cpu.owner = t;
	lhc_mutex_unlock(cpu.lock);
}

/* Wake one waiter; with cpu.lock held. */
static void wake_sleeper(void)
{
	if (cpu.sleepers) {
		cpu.sleepers--;
		lhc_sem_up(cpu.sleep_sem);
	}
}

void lkl_cpu_put(void)
{
	bool ran_irqs = false;

	for (;;) {
		if (!irqs_disabled() && lkl_irqs_pending()) {
			lkl_run_irqs();
			ran_irqs = true;
		}

		lhc_mutex_lock(cpu.lock);
		if (!irqs_disabled() && lkl_irqs_pending()) {
			lhc_mutex_unlock(cpu.lock);
			continue;
		}
		if (current == &init_task) {
			if (ran_irqs || test_tsk_need_resched(current)) {
				/*
				 * Idle must run the scheduler, or re-evaluate
				 * after an interrupt (stop the tick, as a CPU's
				 * idle loop does after each wakeup): hand it
				 * the CPU.
				 */
				cpu.owner = lkl_idle_thread;
				lhc_mutex_unlock(cpu.lock);
				lhc_sem_up(cpu.idle_sem);
				return;
			}
		} else if (current->thread.thread != lhc_thread_self() ||
			   !single_task_running() ||
			   test_tsk_need_resched(current)) {
			/*
			 * A host task stays current after its syscall only
			 * while nothing else happens, so that back-to-back
			 * syscalls need no switch. It is parked (switched away
			 * from on its behalf) when other tasks are runnable,
			 * when the kernel wants a reschedule (e.g. RCU waits
			 * for a context switch), or when another thread (an
			 * interrupt) finds it current: then idle runs and the
			 * tick can stop.
			 */
			lhc_mutex_unlock(cpu.lock);
			lkl_sched_away();
			return;
		}
		cpu.owner = NULL;
		wake_sleeper();
		lhc_mutex_unlock(cpu.lock);
		return;
	}
}

/* Give the CPU (held by the caller) to the parked idle thread. */
void lkl_cpu_handover_idle(void)
{
	lhc_mutex_lock(cpu.lock);
	cpu.owner = lkl_idle_thread;
	lhc_mutex_unlock(cpu.lock);
	lhc_sem_up(cpu.idle_sem);
}

void lkl_cpu_idle_wait(void)
{
	lkl_cpu_put();
	lhc_sem_down(cpu.idle_sem);
}

/* Used at halt to wake the idle thread so that it can end. */
void lkl_cpu_wake_idle(void)
{
	lhc_sem_up(cpu.idle_sem);
}

void lkl_cpu_shutdown(void)
{
	lhc_mutex_lock(cpu.lock);
	cpu.shutdown = true;
	while (cpu.sleepers) {
		cpu.sleepers--;
		lhc_sem_up(cpu.sleep_sem);
	}
	lhc_mutex_unlock(cpu.lock);
}

void lkl_irq_raise(int irq)
{
	lkl_irq_mark_pending(irq);
	/* Free CPU: deliver now. Otherwise the owner runs it on release or
	 * when it enables interrupts (it checks after taking cpu.lock). */
	if (cpu_try_get() == 0)
		lkl_cpu_put();
}
