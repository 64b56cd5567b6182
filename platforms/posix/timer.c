/* posix platform: one-shot timers served by one dedicated timer thread. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "posix.h"

/*
 * Design. Armed timers sit in one list sorted by deadline (few timers are
 * ever armed at once: the kernel's clock event plus a handful of device
 * timeouts). One thread sleeps on a CLOCK_MONOTONIC condition variable until
 * the earliest deadline, re-checks the clock (so nothing fires early, even
 * after a spurious wakeup), and runs the callback with the lock dropped.
 * A single thread is what makes "never concurrently with itself" hold, and
 * knowing which timer is running is what lets cancel wait for it, and lets
 * a callback cancel or free its own timer without waiting on itself.
 */

struct lhc_timer {
	void (*fn)(void *);
	void *arg;
	uint64_t deadline;	/* LHC_CLOCK_MONO ns; valid while armed */
	struct lhc_timer *next; /* in `armed` */
	int armed;
	int cancellers;	  /* threads in cancel/free waiting for the callback */
	int free_pending; /* freed by its own callback: release on return */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;	/* to the timer thread: head changed, or stop */
static pthread_cond_t done;	/* to cancellers: a callback returned */
static struct lhc_timer *armed; /* sorted by deadline, FIFO among equals */
static struct lhc_timer *running; /* whose callback is running, or NULL */
static int stop;
static pthread_t timer_thread;
static __thread int on_timer_thread;

static uint64_t mono_now(void)
{
	uint64_t ns;

	lhc_clock_ns(LHC_CLOCK_MONO, &ns);
	return ns;
}

/* Caller holds lock. */
static void unlink_timer(struct lhc_timer *t)
{
	struct lhc_timer **pp;

	for (pp = &armed; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = 0;
}

/* Caller holds lock. */
static void insert_timer(struct lhc_timer *t)
{
	struct lhc_timer **pp = &armed;

	while (*pp && (*pp)->deadline <= t->deadline)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->armed = 1;
}

static void *timer_main(void *unused)
{
	(void)unused;
	on_timer_thread = 1;
	pthread_mutex_lock(&lock);
	while (!stop) {
		struct lhc_timer *t = armed;
		struct timespec ts;

		if (!t) {
			pthread_cond_wait(&wake, &lock);
			continue;
		}
		if (mono_now() < t->deadline) {
			ts.tv_sec = (time_t)(t->deadline / 1000000000u);
			ts.tv_nsec = (long)(t->deadline % 1000000000u);
			pthread_cond_timedwait(&wake, &lock, &ts);
			continue; /* re-evaluate: the head may have changed */
		}
		unlink_timer(t);
		running = t;
		pthread_mutex_unlock(&lock);
		t->fn(t->arg);
		pthread_mutex_lock(&lock);
		running = NULL;
		/* A cancel waited for this run: the callback's re-arm loses,
		 * or a self-re-arming timer would starve the canceller. */
		if (t->cancellers && t->armed)
			unlink_timer(t);
		if (t->free_pending)
			free(t);
		pthread_cond_broadcast(&done);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int posix_timer_start(void)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int err;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&done, NULL);
	stop = 0;
	/* The timer thread inherits a full mask: the host program's signals
	 * go to its own threads, never into the middle of a callback. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&timer_thread, NULL, timer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&wake);
		pthread_cond_destroy(&done);
		return err == EAGAIN ? LHC_EAGAIN : LHC_ENOMEM;
	}
	return 0;
}

void posix_timer_stop(void)
{
	pthread_mutex_lock(&lock);
	stop = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(timer_thread, NULL);
	pthread_cond_destroy(&wake);
	pthread_cond_destroy(&done);
}

int lhc_timer_alloc(void (*fn)(void *), void *arg, struct lhc_timer **ret)
{
	struct lhc_timer *t;

	if (!fn)
		return LHC_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return LHC_ENOMEM;
	t->fn = fn;
	t->arg = arg;
	*ret = t;
	return 0;
}

int lhc_timer_set(struct lhc_timer *t, uint64_t delta_ns)
{
	/* Read the clock before the deadline is computed: never early. */
	uint64_t now = mono_now();

	pthread_mutex_lock(&lock);
	if (t->armed)
		unlink_timer(t);
	t->deadline = delta_ns > UINT64_MAX - now ? UINT64_MAX : now + delta_ns;
	insert_timer(t);
	if (armed == t)
		pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	return 0;
}

/*
 * Disarm t and wait until its callback is not running; caller holds lock.
 * Returns 1, without waiting, when the caller is t's own callback (on the
 * timer thread, `running == t` can mean nothing else): waiting would
 * deadlock, and disarming is all it needs. While we wait, `cancellers`
 * tells the timer thread to drop any re-arm the running callback makes, so
 * a timer that keeps re-arming itself cannot outrun the cancel.
 */
static int disarm_and_wait(struct lhc_timer *t)
{
	if (t->armed)
		unlink_timer(t);
	if (running == t && on_timer_thread)
		return 1;
	t->cancellers++;
	while (running == t)
		pthread_cond_wait(&done, &lock);
	t->cancellers--;
	return 0;
}

void lhc_timer_cancel(struct lhc_timer *t)
{
	pthread_mutex_lock(&lock);
	disarm_and_wait(t);
	pthread_mutex_unlock(&lock);
}

void lhc_timer_free(struct lhc_timer *t)
{
	int own_callback;

	if (!t)
		return;
	pthread_mutex_lock(&lock);
	own_callback = disarm_and_wait(t);
	if (own_callback)
		t->free_pending = 1; /* the timer thread frees it on return */
	pthread_mutex_unlock(&lock);
	if (!own_callback)
		free(t);
}
