/*
 * hw platform: the libc host interface (<lunik/libc_host.h>) for apps built
 * with lunik's musl: futexes, threads and their thread pointer, sleeping,
 * clocks and anonymous memory, all on the cooperative scheduler.
 */
#include <lunik/libc_host.h>

#include "hw.h"

/* asm-generic system call numbers, as lunik's musl uses them */
#define NR_getcwd 17
#define NR_exit 93
#define NR_exit_group 94
#define NR_set_tid_address 96
#define NR_futex 98
#define NR_set_robust_list 99
#define NR_get_robust_list 100
#define NR_nanosleep 101
#define NR_clock_gettime 113
#define NR_clock_getres 114
#define NR_clock_nanosleep 115
#define NR_sched_yield 124
#define NR_tkill 130
#define NR_tgkill 131
#define NR_rt_sigprocmask 135
#define NR_gettimeofday 169
#define NR_gettid 178
#define NR_brk 214
#define NR_munmap 215
#define NR_mremap 216
#define NR_mmap 222
#define NR_mprotect 226
#define NR_madvise 233
#define NR_membarrier 283

#define ESRCH 3
#define EAGAIN 11
#define ENOMEM 12
#define EINVAL 22
#define ENOSYS 38
#define ETIMEDOUT 110

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1

#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define PAGE 4096ul
#define MAP_MAX (1ul << 47) /* more than any address space: no rounding overflow */

#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000

#define SIGABRT 6

struct timespec_k {
	long tv_sec, tv_nsec;
};

struct timeval_k {
	long tv_sec, tv_usec;
};

/* ---- time --------------------------------------------------------------- */

static uint64_t wall_offset(void)
{
	uint64_t w;

	lhc_clock_ns(LHC_CLOCK_WALL, &w);
	return w - hw_now();
}

/* ns on `clock`, or -1 for a clock we do not have. CPU-time clocks are
 * the monotonic clock: one CPU, and no accounting per thread. */
static int64_t clock_now(long clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return (int64_t)(hw_now() + wall_offset());
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		return (int64_t)hw_now();
	default:
		return -1;
	}
}

static int ts_ns(const struct timespec_k *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return -EINVAL;
	if ((uint64_t)ts->tv_sec > (HW_NEVER - 1) / 1000000000u - 1)
		*ns = HW_NEVER - 1;
	else
		*ns = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
	return 0;
}

/* An absolute time on clock -> a deadline on the monotonic clock. */
static uint64_t to_mono(long clock, uint64_t abs)
{
	if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
		uint64_t off = wall_offset();

		return abs > off ? abs - off : 0;
	}
	return abs;
}

static long sleep_until(uint64_t deadline)
{
	while (hw_now() < deadline)
		hw_wait(0, deadline);
	return 0;
}

/* ---- futexes ------------------------------------------------------------- */

/*
 * Waiters on a futex word queue in one list in arrival order, each with a
 * wait queue of its own (it is the only thread on it), so a wake picks
 * exactly the waiters of that address, oldest first, and a requeue just
 * changes their address.
 */
struct fwait {
	int *addr;
	int woken;
	struct hw_waitq q;
	struct fwait *next, *prev;
};

static struct fwait *fhead, *ftail;

static void fw_remove(struct fwait *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		fhead = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		ftail = w->prev;
}

static long futex_wait(int *addr, int val, uint64_t deadline)
{
	struct fwait w = { .addr = addr };

	if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val)
		return -EAGAIN;
	w.prev = ftail;
	if (ftail)
		ftail->next = &w;
	else
		fhead = &w;
	ftail = &w;
	hw_wait(&w.q, deadline);
	if (w.woken)
		return 0;
	fw_remove(&w);
	return -ETIMEDOUT;
}

/* Wake up to n waiters on addr; then move up to m more to addr2. */
static long futex_requeue(int *addr, long n, long m, int *addr2)
{
	struct fwait *w = fhead, *next;
	long woken = 0, moved = 0;

	for (; w; w = next) {
		next = w->next;
		if (w->addr != addr)
			continue;
		if (woken < n) {
			fw_remove(w);
			w->woken = 1;
			hw_wake_one(&w->q);
			woken++;
		} else if (moved < m) {
			w->addr = addr2;
			moved++;
		} else {
			break;
		}
	}
	return woken + moved;
}

void hw_futex_wake(int *addr, int n)
{
	futex_requeue(addr, n, 0, 0);
}

static long futex(int *addr, long op, long val, long timeout, long addr2,
		  long val3)
{
	long cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	const struct timespec_k *ts = (const void *)timeout;
	uint64_t deadline = HW_NEVER, ns;
	long r;

	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (ts) {
			r = ts_ns(ts, &ns);
			if (r)
				return r;
			if (cmd == FUTEX_WAIT) /* relative, monotonic */
				deadline = ns >= HW_NEVER - hw_now() ? HW_NEVER : hw_now() + ns;
			else /* absolute */
				deadline = to_mono(op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME
									     : CLOCK_MONOTONIC, ns);
		}
		return futex_wait(addr, (int)val, deadline);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		return futex_requeue(addr, val, 0, 0);
	case FUTEX_CMP_REQUEUE:
		if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != (int)val3)
			return -EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		return futex_requeue(addr, val, timeout, (int *)addr2);
	default:
		return -ENOSYS;
	}
}

/* ---- anonymous memory ----------------------------------------------------- */

static long mmap_anon(long addr, unsigned long len, long flags)
{
	void *p;

	(void)addr; /* a hint; MAP_FIXED is refused */
	if (!len)
		return -EINVAL;
	if (len > MAP_MAX)
		return -ENOMEM;
	if (!(flags & MAP_ANONYMOUS) || (flags & MAP_FIXED))
		return -ENOMEM;
	len = (len + PAGE - 1) & ~(PAGE - 1);
	p = hw_alloc(len, PAGE);
	if (!p)
		return -ENOMEM;
	hw_memset(p, 0, len); /* anonymous memory reads as zero */
	return (long)p;
}

static long munmap_anon(unsigned long addr, unsigned long len)
{
	if ((addr & (PAGE - 1)) || !len || len > MAP_MAX)
		return -EINVAL;
	hw_free((void *)addr, (len + PAGE - 1) & ~(PAGE - 1));
	return 0;
}

/* ---- the dispatcher -------------------------------------------------------- */

static long no_signals(long tid, long sig)
{
	if (!hw_thread_by_id(tid))
		return -ESRCH;
	if (sig == 0)
		return 0;
	/* hw delivers no signals: the ones a program sends itself end it */
	lhc_panic(sig == SIGABRT ? "abort() (SIGABRT; the hw platform delivers no signals)"
				 : "a signal was sent (the hw platform delivers no signals)");
}

long __lunik_host_syscall(long n, long a, long b, long c, long d, long e,
			  long f)
{
	int64_t now;
	uint64_t ns;
	long r;

	(void)f;
	switch (n) {
	case NR_futex:
		return futex((int *)a, b, c, d, e, f);
	case NR_set_tid_address:
		hw_thread_set_clear_tid((int *)a);
		return lhc_thread_id();
	case NR_set_robust_list:
	case NR_membarrier: /* one CPU: every barrier is done */
		return 0;
	case NR_exit:
		hw_thread_end();
	case NR_exit_group:
		lhc_exit((int)a);
	case NR_gettid:
		return lhc_thread_id();
	case NR_tkill:
		return no_signals(a, b);
	case NR_tgkill:
		return no_signals(b, c);
	case NR_sched_yield:
		hw_yield();
		return 0;
	case NR_rt_sigprocmask:
		if (c) /* the old mask: nothing is ever blocked */
			hw_memset((void *)c, 0, d > 0 && d <= 128 ? (size_t)d : 8);
		return 0;
	case NR_clock_gettime:
		now = clock_now(a);
		if (now < 0)
			return -EINVAL;
		((struct timespec_k *)b)->tv_sec = now / 1000000000;
		((struct timespec_k *)b)->tv_nsec = now % 1000000000;
		return 0;
	case NR_clock_getres:
		if (clock_now(a) < 0)
			return -EINVAL;
		if (b) {
			((struct timespec_k *)b)->tv_sec = 0;
			((struct timespec_k *)b)->tv_nsec = 1;
		}
		return 0;
	case NR_gettimeofday:
		if (a) {
			now = clock_now(CLOCK_REALTIME);
			((struct timeval_k *)a)->tv_sec = now / 1000000000;
			((struct timeval_k *)a)->tv_usec = now % 1000000000 / 1000;
		}
		if (b)
			hw_memset((void *)b, 0, 8); /* struct timezone: UTC */
		return 0;
	case NR_nanosleep:
		r = ts_ns((const struct timespec_k *)a, &ns);
		if (r)
			return r;
		return sleep_until(ns >= HW_NEVER - hw_now() ? HW_NEVER : hw_now() + ns);
	case NR_clock_nanosleep:
		if (clock_now(a) < 0)
			return -EINVAL;
		r = ts_ns((const struct timespec_k *)c, &ns);
		if (r)
			return r;
		if (b & TIMER_ABSTIME)
			return sleep_until(to_mono(a, ns));
		return sleep_until(ns >= HW_NEVER - hw_now() ? HW_NEVER : hw_now() + ns);
	case NR_mmap:
		return mmap_anon(a, (unsigned long)b, d);
	case NR_munmap:
		return munmap_anon((unsigned long)a, (unsigned long)b);
	case NR_mremap:
	case NR_brk:
		return -ENOMEM; /* callers fall back to mmap */
	case NR_mprotect:
	case NR_madvise:
		return 0;
	default: /* get_robust_list, host files (getcwd...): none here */
		return -ENOSYS;
	}
}

/* ---- threads ---------------------------------------------------------------- */

int __lunik_host_clone(int (*fn)(void *), void *stack, int flags, void *arg,
		       int *ptid, void *tls, int *ctid)
{
	long tid = hw_thread_new_raw(fn, arg, stack,
				     flags & CLONE_SETTLS ? (uint64_t)(uintptr_t)tls : 0,
				     flags & CLONE_CHILD_CLEARTID ? ctid : 0);

	if (tid < 0)
		return -ENOMEM;
	if (flags & CLONE_PARENT_SETTID)
		*ptid = (int)tid;
	if (flags & CLONE_CHILD_SETTID)
		*ctid = (int)tid;
	return (int)tid;
}

void hw_thread_clone_exit(int status)
{
	(void)status; /* no process to report a thread's status to */
	hw_thread_end();
}

int __lunik_host_set_tp(void *tp)
{
	hw_set_fs_base((uint64_t)(uintptr_t)tp);
	return 0;
}

_Noreturn void __lunik_host_unmapself(void *base, unsigned long size)
{
	hw_thread_defer_unmap(base, (size + PAGE - 1) & ~(PAGE - 1));
	hw_thread_end();
}
