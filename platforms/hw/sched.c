/* hw platform: cooperative threads on one CPU: run queue, waits, idle. */
#include "hw.h"

/*
 * A thread runs until it blocks (hw_wait), yields or ends; the switch is
 * a function call (entry.S's hw_switch), so there is never a half-updated
 * structure to protect from another thread. Interrupt handlers only set
 * flags (cpu.c) that the scheduler reads at every switch point, and in
 * idle, where it sleeps in `hlt` until an interrupt: the LAPIC timer armed
 * for the earliest deadline of a waiting thread, or the UART.
 *
 * Each thread's %fs base is saved and restored on every switch (a C
 * library's thread pointer). Threads the platform creates start with a
 * small thread control block of their own (struct hw_tcb) so that code
 * reading %fs:0 or the stack protector's %fs:0x28 finds sane values.
 */

#define STACK_SIZE (128 * 1024)
#define STACK_MAGIC 0x6b696e756c2d6877ull /* at the lowest address */

enum { T_RUNNABLE, T_BLOCKED, T_DEAD };

struct hw_tcb {
	void *self;	   /* %fs:0, as x86_64 TLS ABIs expect */
	uint64_t pad[4];
	uint64_t guard;	   /* %fs:0x28, the stack protector's canary */
	uint64_t rest[26]; /* zero: room for fields a libc reads via %fs */
};

struct lhc_thread {
	uint64_t rsp; /* saved while switched out */
	uint64_t fs_base;
	int state;
	long id;
	/* the run queue or one wait queue */
	struct lhc_thread *next, *prev;
	struct hw_waitq *waitq;
	/* waiting with a deadline */
	uint64_t wake_at;
	struct lhc_thread *snext, *sprev;
	int sleeping, timed_out;
	/* every live thread (for TLS keys and thread ids) */
	struct lhc_thread *anext, *aprev;
	void (*fn)(void *);
	int (*cfn)(void *); /* a clone thread's function (libc_host.c) */
	void *arg;
	int joinable;
	struct hw_waitq joiners;
	void *stack; /* ours to free, or NULL */
	uint64_t *canary;
	void *unmap_base; /* a C library's stack, freed when the thread is reaped */
	size_t unmap_len;
	int *clear_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
	char name[16];
	void *tls[HW_TLS_KEYS];
	struct hw_tcb tcb;
};

extern char hw_boot_stack[]; /* boot.S */

static struct lhc_thread boot_thread = { .name = "main" };
static struct lhc_thread *current = &boot_thread;
static struct hw_waitq runq;
static struct lhc_thread *sleepers, *all;
static struct lhc_thread *zombie; /* ended, not joinable: freed once off its stack */
static long next_id = 1;
static uint64_t cur_fs, guard_value;
static struct hw_waitq event_wq;
static int event_pending;

/* ---- queues ------------------------------------------------------------- */

static void q_push(struct hw_waitq *q, struct lhc_thread *t)
{
	t->next = 0;
	t->prev = q->tail;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static void q_remove(struct hw_waitq *q, struct lhc_thread *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		q->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		q->tail = t->prev;
	t->next = t->prev = 0;
}

static void sleeper_remove(struct lhc_thread *t)
{
	if (!t->sleeping)
		return;
	if (t->sprev)
		t->sprev->snext = t->snext;
	else
		sleepers = t->snext;
	if (t->snext)
		t->snext->sprev = t->sprev;
	t->snext = t->sprev = 0;
	t->sleeping = 0;
}

static void all_add(struct lhc_thread *t)
{
	t->aprev = 0;
	t->anext = all;
	if (all)
		all->aprev = t;
	all = t;
}

static void all_remove(struct lhc_thread *t)
{
	if (t->aprev)
		t->aprev->anext = t->anext;
	else if (all == t)
		all = t->anext;
	if (t->anext)
		t->anext->aprev = t->aprev;
	t->anext = t->aprev = 0;
}

/* ---- waking and blocking ------------------------------------------------ */

static void make_runnable(struct lhc_thread *t)
{
	t->state = T_RUNNABLE;
	q_push(&runq, t);
}

void hw_wake(struct lhc_thread *t)
{
	if (t->state != T_BLOCKED)
		return;
	if (t->waitq) {
		q_remove(t->waitq, t);
		t->waitq = 0;
	}
	sleeper_remove(t);
	make_runnable(t);
}

int hw_wake_one(struct hw_waitq *q)
{
	if (!q->head)
		return 0;
	hw_wake(q->head);
	return 1;
}

void hw_wake_all(struct hw_waitq *q)
{
	while (hw_wake_one(q))
		;
}

void hw_event_kick(void)
{
	event_pending = 1;
	hw_wake_one(&event_wq);
}

void hw_event_wait(uint64_t deadline)
{
	if (!event_pending)
		hw_wait(&event_wq, deadline);
	event_pending = 0;
}

/* Act on what interrupt handlers recorded, and on deadlines that passed. */
static void poll_events(void)
{
	if (hw_irq_uart || (hw_stdio_wants_input() && hw_uart_rx_ready())) {
		hw_irq_uart = 0;
		hw_event_kick();
	}
	if (hw_pci_pending())
		hw_event_kick(); /* MSI lines to raise (pci.c) */
	hw_irq_timer = 0;
	if (sleepers) {
		uint64_t now = hw_now();
		struct lhc_thread *t = sleepers, *n;

		for (; t; t = n) {
			n = t->snext;
			if (t->wake_at <= now) {
				t->timed_out = 1;
				hw_wake(t);
			}
		}
	}
}

/* Nothing to run: sleep until an interrupt, the LAPIC timer armed for the
 * earliest deadline. Interrupts are off between the last look at the
 * flags and the hlt, and `sti; hlt` takes one that is pending at once. */
static void idle(void)
{
	uint64_t d = HW_NEVER, now;
	struct lhc_thread *t;

	for (t = sleepers; t; t = t->snext)
		if (t->wake_at < d)
			d = t->wake_at;
	/* no IOAPIC: look at the UART every 10 ms while input is wanted */
	if (hw_stdio_wants_input() && !hw_stdio_irq_routed()) {
		now = hw_now();
		if (d > now + 10000000u)
			d = now + 10000000u;
	}
	hw_irq_disable();
	now = hw_now();
	if (hw_irq_timer || hw_irq_uart || hw_pci_pending() || d <= now) {
		hw_irq_enable();
		return;
	}
	hw_lapic_timer_ns(d == HW_NEVER ? HW_NEVER : d - now);
	__asm__ __volatile__("sti; hlt; cli" ::: "memory");
	hw_irq_enable();
}

static void free_thread(struct lhc_thread *t)
{
	if (t->stack)
		hw_free(t->stack, STACK_SIZE);
	if (t->unmap_base)
		hw_free(t->unmap_base, t->unmap_len);
	hw_free(t, sizeof(*t));
}

static void reap(void)
{
	struct lhc_thread *z = zombie;

	if (z && z != current) {
		zombie = 0;
		free_thread(z);
	}
}

static void schedule(void)
{
	struct lhc_thread *prev = current, *next;

	for (;;) {
		poll_events();
		next = runq.head;
		if (next)
			break;
		idle();
	}
	q_remove(&runq, next);
	if (next != prev) {
		if (prev->canary && *prev->canary != STACK_MAGIC)
			hw_die_thread("overran its stack", prev->name);
		current = next;
		if (next->fs_base != cur_fs) {
			cur_fs = next->fs_base;
			hw_wrmsr(HW_MSR_FS_BASE, cur_fs);
		}
		hw_switch(&prev->rsp, next->rsp);
	}
	reap();
}

int hw_wait(struct hw_waitq *q, uint64_t deadline)
{
	struct lhc_thread *t = current;

	t->timed_out = 0;
	if (deadline != HW_NEVER && deadline <= hw_now())
		return LHC_ETIMEDOUT;
	if (q) {
		q_push(q, t);
		t->waitq = q;
	}
	if (deadline != HW_NEVER) {
		t->wake_at = deadline;
		t->sprev = 0;
		t->snext = sleepers;
		if (sleepers)
			sleepers->sprev = t;
		sleepers = t;
		t->sleeping = 1;
	}
	t->state = T_BLOCKED;
	schedule();
	return t->timed_out ? LHC_ETIMEDOUT : 0;
}

void hw_yield(void)
{
	poll_events();
	if (!runq.head)
		return;
	make_runnable(current);
	schedule();
}

int hw_others_runnable(void)
{
	return runq.head != 0;
}

/* ---- threads ------------------------------------------------------------ */

static void thread_setup(struct lhc_thread *t, const char *name)
{
	size_t i;

	t->id = next_id++;
	for (i = 0; name && name[i] && i < sizeof(t->name) - 1; i++)
		t->name[i] = name[i];
	t->tcb.self = &t->tcb;
	t->tcb.guard = guard_value;
	t->fs_base = (uint64_t)(uintptr_t)&t->tcb;
}

/* The switch frame hw_switch pops: MXCSR/FCW, r15..rbp, return address;
 * after it, rsp is 16-byte aligned at hw_thread_entry. */
static void initial_frame(struct lhc_thread *t, uint64_t top)
{
	uint64_t *f = (uint64_t *)(uintptr_t)((top & ~15ull) - 64);
	int i;

	f[0] = 0x1f80 | (uint64_t)0x037f << 32;
	for (i = 1; i < 7; i++)
		f[i] = 0;
	f[7] = (uint64_t)(uintptr_t)hw_thread_entry;
	t->rsp = (uint64_t)(uintptr_t)f;
}

void hw_thread_main(void);

void hw_thread_main(void)
{
	struct lhc_thread *t = current;

	reap();
	if (t->cfn)
		hw_thread_clone_exit(t->cfn(t->arg));
	t->fn(t->arg);
	lhc_thread_exit();
}

int lhc_thread_create(void (*fn)(void *), void *arg, const char *name,
		      int joinable, struct lhc_thread **ret)
{
	struct lhc_thread *t;

	if (!fn || (joinable && !ret))
		return LHC_EINVAL;
	t = hw_alloc(sizeof(*t), 64);
	if (!t)
		return LHC_ENOMEM;
	hw_memset(t, 0, sizeof(*t));
	t->stack = hw_alloc(STACK_SIZE, 16);
	if (!t->stack) {
		hw_free(t, sizeof(*t));
		return LHC_ENOMEM;
	}
	t->canary = t->stack;
	*t->canary = STACK_MAGIC;
	t->fn = fn;
	t->arg = arg;
	t->joinable = !!joinable;
	thread_setup(t, name);
	initial_frame(t, (uint64_t)(uintptr_t)t->stack + STACK_SIZE);
	all_add(t);
	make_runnable(t);
	if (ret)
		*ret = t;
	return 0;
}

long hw_thread_new_raw(int (*fn)(void *), void *arg, void *stack_top,
		       uint64_t fs_base, int *clear_tid)
{
	struct lhc_thread *t = hw_alloc(sizeof(*t), 64);

	if (!t)
		return -1;
	hw_memset(t, 0, sizeof(*t));
	t->cfn = fn;
	t->arg = arg;
	t->clear_tid = clear_tid;
	thread_setup(t, "clone");
	/* without a thread pointer of its own it shares its creator's */
	t->fs_base = fs_base ? fs_base : current->fs_base;
	initial_frame(t, (uint64_t)(uintptr_t)stack_top);
	all_add(t);
	make_runnable(t);
	return t->id;
}

void hw_thread_end(void)
{
	struct lhc_thread *t = current;

	if (t->clear_tid) {
		*t->clear_tid = 0;
		hw_futex_wake(t->clear_tid, 1);
	}
	all_remove(t);
	t->state = T_DEAD;
	if (t->joinable) {
		hw_wake_all(&t->joiners);
	} else if (t != &boot_thread) {
		reap();
		zombie = t;
	}
	schedule();
	hw_die("an ended thread was scheduled again");
}

void lhc_thread_exit(void)
{
	hw_tls_run_dtors(current->tls);
	hw_thread_end();
}

int lhc_thread_join(struct lhc_thread *t)
{
	if (!t || !t->joinable || t == current || t == &boot_thread || t->cfn)
		return LHC_EINVAL;
	while (t->state != T_DEAD)
		hw_wait(&t->joiners, HW_NEVER);
	free_thread(t);
	return 0;
}

struct lhc_thread *lhc_thread_self(void)
{
	return current;
}

long lhc_thread_id(void)
{
	return current->id;
}

struct lhc_thread *hw_thread_by_id(long id)
{
	struct lhc_thread *t;

	for (t = all; t; t = t->anext)
		if (t->id == id)
			return t;
	return 0;
}

void **hw_thread_tls(struct lhc_thread *t)
{
	return t->tls;
}

void hw_sched_clear_tls(int slot)
{
	struct lhc_thread *t;

	for (t = all; t; t = t->anext)
		t->tls[slot] = 0;
}

void hw_set_fs_base(uint64_t base)
{
	current->fs_base = base;
	cur_fs = base;
	hw_wrmsr(HW_MSR_FS_BASE, base);
}

void hw_thread_set_clear_tid(int *p)
{
	current->clear_tid = p;
}

void hw_thread_defer_unmap(void *base, size_t len)
{
	current->unmap_base = base;
	current->unmap_len = len;
}

const char *hw_thread_name(void)
{
	return current->name;
}

void hw_sched_init(void)
{
	guard_value = (hw_rdtsc() * 0x9e3779b97f4a7c15ull) & ~0xffull;
	thread_setup(&boot_thread, "main");
	boot_thread.canary = (uint64_t *)(void *)hw_boot_stack;
	*boot_thread.canary = STACK_MAGIC;
	all_add(&boot_thread);
	hw_set_fs_base(boot_thread.fs_base);
}
