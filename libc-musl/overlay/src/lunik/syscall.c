/*
 * lunik: where a system call goes.
 *
 * Every system call musl makes arrives here (arch/x86_64/syscall_arch.h and
 * __syscall_cp_asm below call __lunik_syscall). The numbers are the kernel
 * library's own (asm-generic numbering). Calls that manage the CPU, memory
 * or time go to the platform (the libc host interface, <lunik/libc_host.h>);
 * everything else is a direct call into the kernel library: no trap, no host
 * system call.
 */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include "syscall.h"
#include "pthread_impl.h"

long lkl_syscall(long no, long *params);
long __lunik_host_syscall(long n, long a, long b, long c, long d, long e, long f);
_Noreturn void __lunik_exit(int status);

hidden long __lunik_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	switch (n) {
	/* The CPU: threads, futexes, scheduling, the host signal mask. */
	case SYS_futex:
	case SYS_set_tid_address:
	case SYS_set_robust_list:
	case SYS_get_robust_list:
	case SYS_exit:
	case SYS_gettid:
	case SYS_tkill:
	case SYS_tgkill:
	case SYS_sched_yield:
	case SYS_rt_sigprocmask:
	case SYS_membarrier:
	/* Time: the kernel's clocks are the platform's clocks anyway. */
	case SYS_clock_gettime:
	case SYS_clock_getres:
	case SYS_gettimeofday:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	/* Memory. */
	case SYS_munmap:
	case SYS_mremap:
	case SYS_mprotect:
	case SYS_madvise:
	case SYS_brk:
		return __lunik_host_syscall(n, a, b, c, d, e, f);
	case SYS_mmap:
		/* Files live in the kernel, and a no-MMU kernel cannot share
		 * their pages: file mappings are refused, so callers fall back
		 * to read() as they must on no-MMU Linux. */
		if (!(d & MAP_ANONYMOUS))
			return -ENODEV;
		return __lunik_host_syscall(n, a, b, c, d, e, f);
	case SYS_mlock:
	case SYS_munlock:
	case SYS_mlockall:
	case SYS_munlockall:
	case SYS_msync:
		return 0;	/* nothing is ever paged out */
	case SYS_exit_group:
		__lunik_exit(a);
	case SYS_clone:
	case SYS_clone3:
	case SYS_execve:
	case SYS_execveat:
		/* One program, one address space: no new processes. */
		return -ENOSYS;
	default: {
		long p[6] = { a, b, c, d, e, f };
		return lkl_syscall(n, p);
	}
	}
}
