/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: thread_info and the flag bits; "current" is one global pointer. */
#ifndef _ASM_LKL_THREAD_INFO_H
#define _ASM_LKL_THREAD_INFO_H

/*
 * The "stack" fork.c allocates only holds thread_info: kernel code runs on
 * platform thread stacks. Keep it small but above sizeof(thread_info) plus
 * the end-of-stack magic word.
 */
#define THREAD_SIZE		1024

#ifndef __ASSEMBLY__

#include <asm/processor.h>

struct thread_info {
	struct task_struct *task;
	unsigned long flags;
	int preempt_count;
};

#define INIT_THREAD_INFO(tsk)			\
{						\
	.task		= &tsk,			\
	.flags		= 0,			\
	.preempt_count	= INIT_PREEMPT_COUNT,	\
}

/* The task the CPU runs now; changed only in __switch_to. */
extern struct thread_info *lkl_current_ti;

static inline struct thread_info *current_thread_info(void)
{
	return lkl_current_ti;
}

#endif /* __ASSEMBLY__ */

#define TIF_SYSCALL_TRACE	0
#define TIF_NOTIFY_RESUME	1
#define TIF_SIGPENDING		2
#define TIF_NEED_RESCHED	3
#define TIF_RESTORE_SIGMASK	4
#define TIF_MEMDIE		5
#define TIF_NOTIFY_SIGNAL	6

#define _TIF_SYSCALL_TRACE	(1 << TIF_SYSCALL_TRACE)
#define _TIF_NOTIFY_RESUME	(1 << TIF_NOTIFY_RESUME)
#define _TIF_SIGPENDING		(1 << TIF_SIGPENDING)
#define _TIF_NEED_RESCHED	(1 << TIF_NEED_RESCHED)
#define _TIF_NOTIFY_SIGNAL	(1 << TIF_NOTIFY_SIGNAL)

#endif
