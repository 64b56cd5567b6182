// SPDX-License-Identifier: GPL-2.0
/* lkl: the syscall table and lkl_syscall, which runs host threads as tasks. */

#include <linux/syscalls.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/pid.h>
#include <linux/mman.h>
#include <asm/unistd.h>
#include <lkl.h>
#include "internal.h"

typedef long (*lkl_syscall_fn)(long, long, long, long, long, long);

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len,
		unsigned long, prot, unsigned long, flags,
		unsigned long, fd, unsigned long, off)
{
	if (off & ~PAGE_MASK)
		return -EINVAL;
	return ksys_mmap_pgoff(addr, len, prot, flags, fd, off >> PAGE_SHIFT);
}

/* Calls with no meaning when there is no user context to return to. */
#define sys_rt_sigreturn sys_ni_syscall

/*
 * Without a syscall wrapper every sys_* takes its arguments as longs, so
 * one pointer type calls them all.
 */
#define LKL_SYSCALL_FN(call) ((lkl_syscall_fn)(void (*)(void))(call))
#undef __SYSCALL
#define __SYSCALL(nr, call) [nr] = LKL_SYSCALL_FN(call),
#define __SYSCALL_WITH_COMPAT(nr, native, compat) __SYSCALL(nr, native)

static const lkl_syscall_fn sys_call_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = LKL_SYSCALL_FN(sys_ni_syscall),
#include <asm/syscall_table_64.h>
};

/* init after exec: parent and template of every host task. */
struct task_struct *lkl_host0;

/* Per host thread: its task (a reference is held). */
static struct lhc_tls_key *task_key;

/*
 * One call into the kernel by a host thread. The fields are handed to the
 * function run under lhc_jmp_set through these globals, which are only
 * written and read while owning the CPU (before the call can block).
 */
struct lkl_call {
	long no;
	long (*fn)(long *params);	/* lkl_call_in_kernel: instead of no */
	long *params;
	long ret;
	bool done;		/* false: halt ended the call */
	struct task_struct *task;	/* host_thread_gone only */
	struct lhc_jmpbuf *jb;
};
static struct lkl_call *lkl_cur_call;

static void exit_fn(void)
{
	struct lkl_call *c = lkl_cur_call;
	struct task_struct *task = c->task;

	if (current != task)
		lkl_switch_to_task(task, c->jb);
	put_task_struct(task);
	task->thread.sched_jb = c->jb;
	/* do_exit() schedules away for good; __switch_to longjmps back. */
	do_exit(0);
}

/* TLS destructor: the host thread ends, so does its task. */
static void host_thread_gone(void *arg)
{
	struct lhc_jmpbuf jb;
	struct lkl_call c = { .task = arg, .jb = &jb };

	if (lkl_cpu_get() < 0)
		return;
	lkl_cur_call = &c;
	lhc_jmp_set(&jb, exit_fn);
}

int lkl_syscalls_init(void)
{
	if (lhc_sem_alloc(0, &lkl_halt_ack))
		return -ENOMEM;
	return lhc_tls_alloc(host_thread_gone, &task_key) ? -ENOMEM : 0;
}

void lkl_syscalls_fini(void)
{
	if (task_key) {
		lhc_tls_free(task_key);
		task_key = NULL;
	}
	if (lkl_halt_ack) {
		lhc_sem_free(lkl_halt_ack);
		lkl_halt_ack = NULL;
	}
}

/* Clone a thread of host task 0 for the calling host thread. */
static struct task_struct *new_host_task(struct lhc_jmpbuf *jb)
{
	struct task_struct *task;
	pid_t pid;

	if (current != lkl_host0)
		lkl_switch_to_task(lkl_host0, jb);
	pid = user_mode_thread(lkl_host_task_stub, NULL,
			       CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			       CLONE_THREAD | CLONE_SYSVSEM);
	if (pid < 0)
		return ERR_PTR(pid);
	rcu_read_lock();
	task = find_task_by_pid_ns(pid, &init_pid_ns);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!task)
		return ERR_PTR(-ESRCH);
	lkl_switch_to_task(task, jb);
	lkl_host0->thread.flags &= ~LKL_TF_INSYSCALL;
	return task;
}

/* Make current the calling host thread's own task; caller owns the CPU. */
static int enter_host_task(struct lhc_jmpbuf *jb)
{
	struct task_struct *task = lhc_tls_get(task_key);

	if (!task) {
		task = new_host_task(jb);
		if (IS_ERR(task))
			return PTR_ERR(task);
		if (lhc_tls_set(task_key, task)) {
			/* Cannot remember it: let the task go again. */
			put_task_struct(task);
			return -ENOMEM;
		}
		return 0;
	}
	if (current != task) {
		lkl_switch_to_task(task, jb);
	} else {
		task->thread.exit_jb = jb;
		task->thread.flags |= LKL_TF_INSYSCALL;
	}
	return 0;
}

static void call_fn(void)
{
	struct lkl_call *c = lkl_cur_call;
	long ret, *p = c->params;

	ret = enter_host_task(c->jb);
	if (ret == 0) {
		if (c->fn)
			ret = c->fn(p);
		else
			ret = sys_call_table[c->no](p[0], p[1], p[2], p[3], p[4], p[5]);
		if (current->task_works)
			task_work_run();
		/* No user context to restart in: report the interruption. */
		if (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR ||
		    ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK)
			ret = -EINTR;
	}
	c->ret = ret;
	c->done = true;
}

/*
 * Run c in the kernel as the calling host thread's task (created on its
 * first call), leaving through lhc_jmp_set so that a halt while inside
 * returns here instead of stranding the thread in the scheduler.
 */
static long enter_kernel(struct lkl_call *c)
{
	struct lhc_jmpbuf jb;
	long ret = lkl_cpu_get();

	if (ret < 0)
		return ret;
	c->jb = &jb;
	lkl_cur_call = c;
	lhc_jmp_set(&jb, call_fn);
	if (!c->done)
		return -EINTR;	/* halted while inside: the kernel is gone */
	current->thread.flags &= ~LKL_TF_INSYSCALL;
	lkl_cpu_put();
	return c->ret;
}

long lkl_syscall(long no, long *params)
{
	struct lkl_call c = { .no = no, .params = params };

	if (no < 0 || no >= __NR_syscalls || !lkl_is_running())
		return -ENOSYS;
	if (no == __NR_exit || no == __NR_exit_group)
		return -ENOSYS;	/* the host thread, not the kernel, ends it */
	return enter_kernel(&c);
}

/* Run fn(params) in the kernel as the calling host thread's task, exactly
 * as a syscall runs (arch entry points such as lkl_virtio_mmio_add). */
long lkl_call_in_kernel(long (*fn)(long *params), long *params)
{
	struct lkl_call c = { .fn = fn, .params = params };

	if (!lkl_is_running())
		return -ENOSYS;
	return enter_kernel(&c);
}
