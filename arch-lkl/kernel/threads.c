// SPDX-License-Identifier: GPL-2.0
/* lkl: kernel tasks on platform threads, context switch, idle. */

#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/cpu.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/sched/debug.h>
#include <asm/switch_to.h>
#include "internal.h"

/*
 * Each kernel task has a semaphore. A task that is switched out waits on
 * its own semaphore; __switch_to posts next's and waits on prev's, so one
 * task runs at a time. Kernel threads get a platform thread of their own
 * (created in copy_thread). Host tasks run on application threads that
 * enter through lkl_syscall (syscalls.c).
 *
 * A switch can also be made *on behalf of* a task whose thread is not
 * waiting in __switch_to: a parked host task. Then thread.sched_jb points
 * at a context on the acting thread's stack, and __switch_to longjmps
 * there instead of waiting; the task's next switch-in is picked up by
 * lkl_switch_to_task, which finishes the switch with schedule_tail().
 */

/* The task switched away from last: the stale "prev" on a resumed stack
 * is not the real one. Read by the switched-in thread right away. */
struct task_struct *lkl_prev_task;

struct thread_info *lkl_current_ti = &init_thread_info;

/* Every task with host objects (semaphore, thread); owner-only access. */
static LIST_HEAD(lkl_tasks);

/* init's own platform thread, which ends when init becomes host task 0. */
struct lhc_thread *lkl_init_thread;

struct lhc_sem *lkl_halt_ack;

/* Halt woke this waiting thread: leave the kernel for good. */
static void __noreturn leave_dead(struct thread_struct *t)
{
	struct lhc_jmpbuf *jb = t->exit_jb;

	/* Kernel memory may be freed as soon as a host thread acks. */
	if (t->flags & LKL_TF_HOST)
		lhc_sem_up(lkl_halt_ack);
	lhc_jmp_longjmp(jb);
}

struct task_struct *__switch_to(struct task_struct *prev,
				struct task_struct *next)
{
	struct thread_struct *pt = &prev->thread, *nt = &next->thread;
	struct lhc_jmpbuf *jb = pt->sched_jb;
	struct lhc_sem *prev_sem = pt->sem;
	bool dead = READ_ONCE(prev->__state) == TASK_DEAD;

	lkl_prev_task = prev;
	lkl_current_ti = task_thread_info(next);
	lkl_cpu_set_owner(nt->thread);

	if (jb) {
		/* prev's thread is elsewhere (or ends): do not wait. */
		pt->sched_jb = NULL;
		lhc_sem_up(nt->sem);
		lhc_jmp_longjmp(jb);
	}
	if (dead) {
		jb = pt->exit_jb;
		if (!jb)
			lhc_panic("lkl: a host task exited without a context");
		/* Nothing of prev may be touched once next runs. */
		lhc_sem_up(nt->sem);
		lhc_jmp_longjmp(jb);
	}

	lhc_sem_up(nt->sem);
	lhc_sem_down(prev_sem);

	if (pt->flags & LKL_TF_DEAD)
		leave_dead(pt);
	return lkl_prev_task;
}

/* Body of a kernel thread once it is first switched in. */
static void task_run(void)
{
	struct task_struct *task = current;
	int ret;

	schedule_tail(lkl_prev_task);
	ret = task->thread.fn(task->thread.fn_arg);
	/*
	 * Only user-mode threads return here: kernel_init after it exec'ed
	 * /init. On hardware this would enter user space; here init becomes
	 * host task 0, whose threads are the application's.
	 */
	if (ret == 0 && task_pid_nr(task) == 1)
		lkl_init_done(task);
	else
		panic("lkl: task %d returned %d\n", task_pid_nr(task), ret);
}

static void task_thread_main(void *arg)
{
	struct task_struct *task = arg;
	struct lhc_jmpbuf exit_jb;

	task->thread.exit_jb = &exit_jb;
	lhc_sem_down(task->thread.sem);
	if (task->thread.flags & LKL_TF_DEAD)
		return;
	/* Returns when the task dies or its thread must end. */
	lhc_jmp_set(&exit_jb, task_run);
}

int lkl_host_task_stub(void *unused)
{
	return 0;
}

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct thread_struct *t = &p->thread;
	int err;

	memset(t, 0, sizeof(*t));
	INIT_LIST_HEAD(&t->threads);

	if (!args->fn)
		return -EINVAL;	/* fork/clone of a host task: unsupported */

	if (lhc_sem_alloc(0, &t->sem))
		return -ENOMEM;

	if (args->fn == lkl_host_task_stub) {
		t->flags = LKL_TF_HOST;
	} else {
		t->fn = args->fn;
		t->fn_arg = args->fn_arg;
		err = lhc_thread_create(task_thread_main, p, "lkl-task", 1,
					&t->thread);
		if (err) {
			lhc_sem_free(t->sem);
			t->sem = NULL;
			return -ENOMEM;
		}
	}
	list_add(&t->threads, &lkl_tasks);
	return 0;
}

/* End a task's platform thread (it waits on its semaphore) and reap it. */
static void kill_thread(struct thread_struct *t)
{
	if (!t->thread || (t->flags & (LKL_TF_HOST | LKL_TF_JOINED)))
		return;
	t->flags |= LKL_TF_DEAD;
	lhc_sem_up(t->sem);
	lhc_thread_join(t->thread);
	t->flags |= LKL_TF_JOINED;
}

void arch_release_task_struct(struct task_struct *tsk)
{
	struct thread_struct *t = &tsk->thread;

	if (!t->sem)
		return;
	kill_thread(t);
	list_del(&t->threads);
	lhc_sem_free(t->sem);
	t->sem = NULL;
}

void flush_thread(void)
{
}

void show_stack(struct task_struct *task, unsigned long *sp,
		const char *loglvl)
{
}

static void sched_away_fn(void)
{
	schedule();
	/* Unreachable: current is not runnable, so schedule() switches. */
	lhc_panic("lkl: schedule() returned for a parked task");
}

void lkl_sched_away(void)
{
	struct lhc_jmpbuf jb;

	current->thread.sched_jb = &jb;
	set_current_state(TASK_UNINTERRUPTIBLE);
	lhc_jmp_set(&jb, sched_away_fn);
}


void lkl_act_for_current(void)
{
	if (current == &init_task)
		lkl_cpu_handover_idle();
	else
		lkl_sched_away();
}

void lkl_switch_to_task(struct task_struct *task, struct lhc_jmpbuf *jb)
{
	task->thread.thread = lhc_thread_self();
	task->thread.exit_jb = jb;
	task->thread.flags |= LKL_TF_INSYSCALL;
	wake_up_process(task);
	lkl_act_for_current();
	lhc_sem_down(task->thread.sem);
	if (task->thread.flags & LKL_TF_DEAD)
		leave_dead(&task->thread);
	/* Switched in by __switch_to on some other thread: finish it. */
	schedule_tail(lkl_prev_task);
}

void arch_cpu_idle(void)
{
	raw_local_irq_enable();
	lkl_cpu_idle_wait();
	if (init_task.thread.flags & LKL_TF_DEAD)
		lhc_jmp_longjmp(init_task.thread.exit_jb);
	/* The CPU was handed over to us. */
}

void lkl_threads_teardown(void)
{
	struct thread_struct *t, *n;

	list_for_each_entry_safe(t, n, &lkl_tasks, threads) {
		if ((t->flags & (LKL_TF_HOST | LKL_TF_INSYSCALL)) ==
		    (LKL_TF_HOST | LKL_TF_INSYSCALL)) {
			/* A host thread blocked in a syscall: send it home. */
			t->flags |= LKL_TF_DEAD;
			lhc_sem_up(t->sem);
			lhc_sem_down(lkl_halt_ack);
		}
		kill_thread(t);
		list_del(&t->threads);
		lhc_sem_free(t->sem);
		t->sem = NULL;
	}
	if (lkl_init_thread) {
		lhc_thread_join(lkl_init_thread);
		lkl_init_thread = NULL;
	}
}
