/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: per-task arch state (the platform thread behind each task). */
#ifndef _ASM_LKL_PROCESSOR_H
#define _ASM_LKL_PROCESSOR_H

#ifndef __ASSEMBLY__

#include <linux/types.h>
#include <asm/ptrace.h>

struct lhc_sem;
struct lhc_thread;
struct lhc_jmpbuf;

/*
 * Kept in task_struct (not thread_info) because fork.c frees the thread
 * stack, where thread_info lives, before arch_release_task_struct() runs.
 */
struct thread_struct {
	struct lhc_sem *sem;		/* posted when the task is switched in */
	struct lhc_thread *thread;	/* platform thread running the task */
	struct lhc_jmpbuf *sched_jb;	/* set: leave schedule() by longjmp */
	struct lhc_jmpbuf *exit_jb;	/* where a thread leaves when killed */
	unsigned long flags;		/* LKL_TF_* */
	int (*fn)(void *);		/* kernel thread body, from copy_thread */
	void *fn_arg;
	struct list_head threads;	/* on lkl_threads while it owns a thread */
	struct pt_regs regs;
};

#define LKL_TF_HOST	(1UL << 0)	/* runs on a host (application) thread */
#define LKL_TF_DEAD	(1UL << 1)	/* its platform thread must end */
#define LKL_TF_JOINED	(1UL << 2)	/* its platform thread was reaped */
#define LKL_TF_INSYSCALL (1UL << 3)	/* host task: its thread is inside */

#define INIT_THREAD { }

#define task_pt_regs(tsk)	(&(tsk)->thread.regs)

static inline void cpu_relax(void)
{
	__asm__ __volatile__("" : : : "memory");
}

#define KSTK_EIP(tsk)		(0)
#define KSTK_ESP(tsk)		(0)

static inline unsigned long __get_wchan(struct task_struct *p)
{
	return 0;
}

/* One address space: every address is a "user" address. */
#define TASK_SIZE		(~0UL)
#define TASK_SIZE_MAX		TASK_SIZE
#define TASK_UNMAPPED_BASE	0
#define STACK_TOP		TASK_SIZE
#define STACK_TOP_MAX		TASK_SIZE

#endif /* __ASSEMBLY__ */
#endif
