/* hw platform self-test: the libc host interface, used the way musl uses it. */
#include <lunik/libc_host.h>

#include "../hw.h"

/*
 * No musl here: the calls are made directly, with musl's arguments —
 * pthread_create's clone flags on an mmap'ed stack with a thread pointer
 * of its own, pthread_join's futex wait on the cleared tid, a detached
 * thread ending through __unmapself, futex timeouts, sleeps and clocks.
 */

#define SYS(n, a, b, c, d, e, f) \
	__lunik_host_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), \
			     (long)(e), (long)(f))
#define NR_exit 93
#define NR_futex 98
#define NR_nanosleep 101
#define NR_clock_gettime 113
#define NR_clock_nanosleep 115
#define NR_gettid 178
#define NR_tkill 130
#define NR_rt_sigprocmask 135
#define NR_gettimeofday 169
#define NR_brk 214
#define NR_munmap 215
#define NR_mmap 222
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE 128
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define MUSL_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
		    CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | \
		    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)
#define STACK (64 * 1024)

struct ts {
	long sec, nsec;
};

static long now_ns(int clock)
{
	struct ts t;

	SYS(NR_clock_gettime, clock, &t, 0, 0, 0, 0);
	return t.sec * 1000000000 + t.nsec;
}

static uint64_t fs_word(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%fs:0, %0" : "=r"(v));
	return v;
}

/* A thread's "TLS block": its first word points to itself, as musl's. */
struct tblock {
	struct tblock *self;
	int tid_seen, fs_ok, slept_ok, woke;
	int wake_word;
};

static int child(void *arg)
{
	struct tblock *b = arg;
	struct ts d = { 0, 10 * 1000000 };
	long t0 = now_ns(1);

	b->fs_ok = fs_word() == (uint64_t)(uintptr_t)b;
	b->tid_seen = (int)SYS(NR_gettid, 0, 0, 0, 0, 0, 0);
	SYS(NR_nanosleep, &d, 0, 0, 0, 0, 0);
	b->slept_ok = now_ns(1) - t0 >= 10 * 1000000;
	/* wake the parent, who waits on wake_word */
	__atomic_store_n(&b->wake_word, 1, __ATOMIC_SEQ_CST);
	b->woke = (int)SYS(NR_futex, &b->wake_word, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0, 0);
	return 0; /* ends like SYS_exit: *ctid = 0 and a futex wake */
}

static int detached_ran;

static int detached(void *arg)
{
	detached_ran = 1;
	/* musl's detached exit: free the own stack, then end */
	__lunik_host_unmapself(arg, STACK);
}

static const char *run(void)
{
	static struct tblock b;
	struct ts t = { 0, 1000000 };
	uint64_t before = hw_mem_free_bytes();
	int ptid = 0, ctid = -1, tid;
	long r, t0;
	char *stack, *stack2;
	unsigned char mask[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	int i;

	stack = (char *)SYS(NR_mmap, 0, STACK, 3, 0x22, -1, 0);
	if ((long)stack < 0 || ((uintptr_t)stack & 4095))
		return "mmap of an anonymous stack failed";
	for (i = 0; i < STACK; i++)
		if (stack[i])
			return "anonymous memory is not zeroed";
	if (SYS(NR_mmap, 0, 4096, 3, 0x12 /* MAP_FIXED|MAP_PRIVATE */, 3, 0) != -12)
		return "a file or fixed mapping was not refused";
	if (SYS(NR_brk, 0, 0, 0, 0, 0, 0) != -12)
		return "brk did not fail with -ENOMEM";

	b.self = &b;
	ctid = 1;
	tid = __lunik_host_clone(child, stack + STACK, MUSL_FLAGS, &b, &ptid, &b, &ctid);
	if (tid <= 0)
		return "__lunik_host_clone failed";
	if (ptid != tid)
		return "CLONE_PARENT_SETTID did not store the id";
	/* pthread_join: wait while the tid word is non-zero */
	while (__atomic_load_n(&b.wake_word, __ATOMIC_SEQ_CST) == 0)
		SYS(NR_futex, &b.wake_word, FUTEX_WAIT | FUTEX_PRIVATE, 0, 0, 0, 0);
	while ((r = __atomic_load_n(&ctid, __ATOMIC_SEQ_CST)))
		SYS(NR_futex, &ctid, FUTEX_WAIT | FUTEX_PRIVATE, r, 0, 0, 0);
	if (!b.fs_ok)
		return "the child's %fs:0 is not its thread pointer";
	if (fs_word() == (uint64_t)(uintptr_t)&b)
		return "the parent's %fs changed with the child's";
	if (b.tid_seen != tid)
		return "gettid in the child differs from clone's result";
	if (!b.slept_ok)
		return "nanosleep returned early";
	if (b.woke != 1)
		return "FUTEX_WAKE did not report the one waiter";
	SYS(NR_munmap, stack, STACK, 0, 0, 0, 0);

	/* a futex wait that times out, and one on a changed word */
	r = 0;
	t0 = now_ns(1);
	if (SYS(NR_futex, &r, FUTEX_WAIT, 0, &t, 0, 0) != -110)
		return "FUTEX_WAIT with a timeout did not give -ETIMEDOUT";
	if (now_ns(1) - t0 < 1000000)
		return "FUTEX_WAIT timed out early";
	if (SYS(NR_futex, &r, FUTEX_WAIT, 1, 0, 0, 0) != -11)
		return "FUTEX_WAIT on a changed word did not give -EAGAIN";

	/* an absolute sleep on CLOCK_REALTIME */
	{
		long w = now_ns(0) + 5 * 1000000;
		struct ts abs = { w / 1000000000, w % 1000000000 };

		if (SYS(NR_clock_nanosleep, 0, 1, &abs, 0, 0, 0) || now_ns(0) < w)
			return "clock_nanosleep(TIMER_ABSTIME) returned early";
	}
	{
		struct ts tv;

		SYS(NR_gettimeofday, &tv, 0, 0, 0, 0, 0);
		if (tv.sec < 1577836800 || tv.nsec >= 1000000)
			return "gettimeofday is implausible";
	}
	if (SYS(NR_rt_sigprocmask, 0, 0, mask, 8, 0, 0) || mask[0] || mask[7])
		return "rt_sigprocmask did not report an empty mask";
	if (SYS(NR_tkill, SYS(NR_gettid, 0, 0, 0, 0, 0, 0), 0, 0, 0, 0, 0))
		return "tkill(self, 0) failed";

	/* a detached thread that frees its own stack */
	stack2 = (char *)SYS(NR_mmap, 0, STACK, 3, 0x22, -1, 0);
	if ((long)stack2 < 0)
		return "mmap failed";
	if (__lunik_host_clone(detached, stack2 + STACK, MUSL_FLAGS & ~CLONE_CHILD_CLEARTID,
			       stack2, &ptid, &b, 0) <= 0)
		return "__lunik_host_clone failed";
	for (i = 0; i < 100 && !detached_ran; i++)
		SYS(NR_nanosleep, &t, 0, 0, 0, 0, 0);
	SYS(NR_nanosleep, &t, 0, 0, 0, 0, 0); /* it is reaped after it left */
	if (!detached_ran)
		return "the detached thread did not run";
	if (hw_mem_free_bytes() != before)
		return "memory was not all given back (stacks, thread records)";
	return 0;
}

int hw_selftest_libc(void)
{
	const char *why = run();

	hw_puts(why ? "hwtest: libc host interface: " : "hwtest: libc host interface ok\n");
	if (why) {
		hw_puts(why);
		hw_puts("\n");
	}
	return why ? 1 : 0;
}
