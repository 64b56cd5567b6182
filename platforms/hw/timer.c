/* hw platform: one-shot timers, run by the event thread. */
#include "hw.h"

/*
 * Armed timers sit in one list sorted by deadline. The event thread,
 * started by lhc_init, runs every expired callback in deadline order, in
 * thread context, and between two callbacks lets other runnable threads
 * run (so a timer that keeps re-arming itself at 0 cannot starve them);
 * otherwise it waits for the earliest deadline (the scheduler's sleep,
 * i.e. the LAPIC timer in idle) or a kick. It also serves standard input
 * (stdio.c), since upcalls must come from a platform thread.
 *
 * One thread runs every callback, which gives "never concurrently with
 * itself" for free. `running` is the timer whose callback is in progress:
 * a cancel from another thread waits for it (the callback may block on a
 * mutex), a cancel from the callback itself only disarms.
 */

struct lhc_timer {
	void (*fn)(void *);
	void *arg;
	uint64_t deadline;
	struct lhc_timer *next;
	int armed;
	int cancellers;	  /* threads waiting in cancel/free for the callback */
	int free_pending; /* freed by its own callback: release on return */
};

static struct lhc_timer *armed;
static struct lhc_timer *running;
static struct hw_waitq done_q; /* cancellers waiting for `running` */
static struct lhc_thread *event_thread;
static int stop;

int hw_on_event_thread(void)
{
	return event_thread && lhc_thread_self() == event_thread;
}

static void unlink_timer(struct lhc_timer *t)
{
	struct lhc_timer **pp;

	for (pp = &armed; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = 0;
	t->armed = 0;
}

static void insert_timer(struct lhc_timer *t)
{
	struct lhc_timer **pp = &armed;

	while (*pp && (*pp)->deadline <= t->deadline)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->armed = 1;
}

static void event_main(void *unused)
{
	(void)unused;
	while (!stop) {
		struct lhc_timer *t = armed;

		hw_stdio_service();
		hw_pci_service();
		if (t && t->deadline <= hw_now()) {
			unlink_timer(t);
			running = t;
			t->fn(t->arg);
			running = 0;
			/* a cancel waited for this run: the callback's re-arm loses */
			if (t->cancellers && t->armed)
				unlink_timer(t);
			if (t->free_pending)
				hw_free(t, sizeof(*t));
			hw_wake_all(&done_q);
			if (hw_others_runnable())
				hw_yield();
			continue;
		}
		hw_event_wait(t ? t->deadline : HW_NEVER);
	}
}

int hw_timer_start(void)
{
	stop = 0;
	return lhc_thread_create(event_main, 0, "lhc-events", 1, &event_thread);
}

void hw_timer_stop(void)
{
	stop = 1;
	hw_event_kick();
	lhc_thread_join(event_thread);
	event_thread = 0;
}

int lhc_timer_alloc(void (*fn)(void *), void *arg, struct lhc_timer **ret)
{
	struct lhc_timer *t;

	if (!fn)
		return LHC_EINVAL;
	t = hw_alloc(sizeof(*t), 16);
	if (!t)
		return LHC_ENOMEM;
	hw_memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
	*ret = t;
	return 0;
}

int lhc_timer_set(struct lhc_timer *t, uint64_t delta_ns)
{
	uint64_t now = hw_now(); /* before the deadline is computed: never early */

	if (t->armed)
		unlink_timer(t);
	t->deadline = delta_ns > HW_NEVER - now ? HW_NEVER : now + delta_ns;
	insert_timer(t);
	if (armed == t)
		hw_event_kick();
	return 0;
}

/* Disarm t and wait until its callback is not running. Returns 1, at
 * once, when the caller is that callback. */
static int disarm_and_wait(struct lhc_timer *t)
{
	if (t->armed)
		unlink_timer(t);
	if (running == t && hw_on_event_thread())
		return 1;
	t->cancellers++;
	while (running == t)
		hw_wait(&done_q, HW_NEVER);
	t->cancellers--;
	return 0;
}

void lhc_timer_cancel(struct lhc_timer *t)
{
	disarm_and_wait(t);
}

void lhc_timer_free(struct lhc_timer *t)
{
	if (!t)
		return;
	if (disarm_and_wait(t))
		t->free_pending = 1;
	else
		hw_free(t, sizeof(*t));
}
