/*
 * lunik: the libc host interface.
 *
 * Our musl (libc-musl/) sends most system calls into the kernel library, but
 * a few belong to whatever runs the kernel: the CPU (threads, futexes,
 * yielding, sleeping), memory (mmap of anonymous memory, brk) and time. Each
 * platform that runs apps implements the functions below; musl calls them and
 * nothing else of the platform. System call numbers are the kernel's own
 * (asm-generic numbering, as in musl's <sys/syscall.h> for lunik).
 *
 * Like hypercall.h this header includes no libc or kernel header.
 */
#ifndef LUNIK_LIBC_HOST_H
#define LUNIK_LIBC_HOST_H

/*
 * One of the calls the dispatcher in libc-musl/overlay/src/lunik/syscall.c
 * routes to the host: futex, set_tid_address, set_robust_list,
 * get_robust_list, exit (of one thread), exit_group, mmap/munmap/mremap/
 * mprotect/madvise of anonymous memory, brk, sched_yield, clock_gettime, clock_getres,
 * gettimeofday, nanosleep, clock_nanosleep, gettid, tkill, tgkill,
 * rt_sigprocmask, membarrier. Returns the result or -errno, like a raw
 * system call; -ENOSYS for any other number.
 *
 * A platform with host files (posix) also takes getcwd, openat, close,
 * getdents64, read, write and newfstatat on the host's own files (struct
 * stat and AT_FDCWD as the host defines them): the runtime uses them to
 * give a program without a root file system of its own (a configure probe)
 * a copy of its working directory. musl never sends these here.
 */
long __lunik_host_syscall(long n, long a, long b, long c, long d, long e,
			  long f);

/*
 * musl's __clone contract: start fn(arg) on a new thread running on stack
 * (its top), sharing memory; flags are Linux clone flags (CLONE_SETTLS: tls
 * becomes the new thread's thread pointer; CLONE_PARENT_SETTID: the new
 * thread's id is stored at *ptid; CLONE_CHILD_CLEARTID: *ctid is zeroed and
 * woken as a futex when the thread ends). When fn returns, the thread ends
 * with its result as the status. Returns the new thread's id or -errno.
 */
int __lunik_host_clone(int (*fn)(void *), void *stack, int flags, void *arg,
		       int *ptid, void *tls, int *ctid);

/* Make tp the calling thread's thread pointer (on x86_64: the FS base). */
int __lunik_host_set_tp(void *tp);

/* Free [base, base + size), the calling thread's own stack, and end the
 * thread with status 0; nothing on that stack is touched afterwards. */
_Noreturn void __lunik_host_unmapself(void *base, unsigned long size);

/*
 * The app's runtime (toolchain/runtime) supplies these two; musl calls them.
 * __lunik_start runs before constructors and main: it boots the kernel.
 * __lunik_exit runs for exit()/_Exit() after stdio was flushed: it halts the
 * kernel and ends the process with status.
 */
void __lunik_start(int argc, char **argv, char **envp);
_Noreturn void __lunik_exit(int status);

#endif /* LUNIK_LIBC_HOST_H */
