/* Conformance cases: one-shot timers. */
#include "ct.h"

struct shot {
	struct lhc_timer *t;
	struct lhc_sem *fired_sem;
	uint64_t fired_at;
	int fired;
};

static void shot_fn(void *arg)
{
	struct shot *s = arg;

	s->fired_at = ct_now();
	ct_inc(&s->fired);
	lhc_sem_up(s->fired_sem);
}

static const char *shot_alloc(struct shot *s)
{
	s->fired = 0;
	s->fired_at = 0;
	if (lhc_sem_alloc(0, &s->fired_sem))
		return "lhc_sem_alloc failed";
	if (lhc_timer_alloc(shot_fn, s, &s->t))
		return "lhc_timer_alloc failed";
	return 0;
}

static void shot_free(struct shot *s)
{
	lhc_timer_free(s->t);
	lhc_sem_free(s->fired_sem);
}

static const char *one_shot(void)
{
	static const uint64_t delta[] = { 0,	      1 * CT_MS,  5 * CT_MS,
					  10 * CT_MS, 50 * CT_MS, 100 * CT_MS };
	long long worst = 0, total = 0;
	struct shot s;
	const char *why;
	unsigned int i, rep;
	unsigned int n = 0;

	why = shot_alloc(&s);
	if (why)
		return why;
	for (i = 0; i < sizeof(delta) / sizeof(delta[0]); i++) {
		for (rep = 0; rep < 3; rep++) {
			uint64_t t0 = ct_now();
			long long late;

			lhc_timer_set(s.t, delta[i]);
			lhc_sem_down(s.fired_sem);
			late = (long long)(s.fired_at - t0 - delta[i]);
			if (s.fired_at < t0 + delta[i])
				return ct_fail_got("timer fired early by ns",
						   (long long)(t0 + delta[i] -
							       s.fired_at));
			if (late > (long long)CT_TIMER_SLACK_NS)
				return ct_fail_want("timer late by ns", late,
						    CT_TIMER_SLACK_NS);
			if (late > worst)
				worst = late;
			total += late;
			n++;
		}
	}
	ct_diag("timer lateness, mean: ", total / n / 1000, " us");
	ct_diag("timer lateness, worst: ", worst / 1000, " us");
	if (ct_load(&s.fired) != (int)n)
		return ct_fail_want("callbacks", ct_load(&s.fired), n);
	shot_free(&s);
	return 0;
}

static const char *rearm_later(void)
{
	struct shot s;
	const char *why = shot_alloc(&s);
	uint64_t t0;

	if (why)
		return why;
	lhc_timer_set(s.t, 20 * CT_MS);
	t0 = ct_now();
	lhc_timer_set(s.t, 80 * CT_MS);
	lhc_sem_down(s.fired_sem);
	if (s.fired_at < t0 + 80 * CT_MS)
		return ct_fail_got("fired before the replacing deadline, ms",
				   (long long)(s.fired_at - t0) / 1000000);
	ct_sleep_ns(40 * CT_MS);
	if (ct_load(&s.fired) != 1)
		return ct_fail_want("callbacks", ct_load(&s.fired), 1);
	shot_free(&s);
	return 0;
}

static const char *rearm_sooner(void)
{
	struct shot s;
	const char *why = shot_alloc(&s);
	uint64_t t0;

	if (why)
		return why;
	lhc_timer_set(s.t, 300 * CT_MS);
	t0 = ct_now();
	lhc_timer_set(s.t, 10 * CT_MS);
	lhc_sem_down(s.fired_sem);
	if (s.fired_at - t0 > 10 * CT_MS + CT_TIMER_SLACK_NS)
		return ct_fail_got("the earlier, longer arming won, ms",
				   (long long)(s.fired_at - t0) / 1000000);
	/* Outlast the first arming: it must be gone, not pending. */
	ct_sleep_ns(350 * CT_MS);
	if (ct_load(&s.fired) != 1)
		return ct_fail_want("callbacks", ct_load(&s.fired), 1);
	shot_free(&s);
	return 0;
}

static const char *cancel_prevents(void)
{
	struct shot s;
	const char *why = shot_alloc(&s);

	if (why)
		return why;
	lhc_timer_cancel(s.t); /* never armed: a no-op */
	lhc_timer_set(s.t, 20 * CT_MS);
	lhc_timer_cancel(s.t);
	lhc_timer_cancel(s.t); /* twice is fine */
	ct_sleep_ns(60 * CT_MS);
	if (ct_load(&s.fired))
		return "a cancelled timer fired";
	/* And it can still be armed afterwards. */
	lhc_timer_set(s.t, 1 * CT_MS);
	lhc_sem_down(s.fired_sem);
	shot_free(&s);
	return 0;
}

/* A callback slow enough to be caught running. */
struct slow {
	struct lhc_timer *t;
	int in, out, active, overlap, runs;
};

static void slow_fn(void *arg)
{
	struct slow *s = arg;

	if (ct_inc(&s->active) != 1)
		ct_store(&s->overlap, 1);
	ct_store(&s->in, 1);
	ct_spin_ns(30 * CT_MS);
	ct_store(&s->out, 1);
	ct_dec(&s->active);
	ct_inc(&s->runs);
}

static const char *cancel_waits(void)
{
	/* static: a failed case must not leave a timer aimed at its stack */
	static struct slow s;

	s.in = s.out = s.active = s.overlap = s.runs = 0;
	if (lhc_timer_alloc(slow_fn, &s, &s.t))
		return "lhc_timer_alloc failed";
	lhc_timer_set(s.t, 0);
	if (!ct_wait_flag(&s.in, 2000 * CT_MS))
		return "timer did not fire within 2 s";
	lhc_timer_cancel(s.t);
	if (!ct_load(&s.out))
		return "lhc_timer_cancel returned while the callback ran";
	lhc_timer_free(s.t);
	return 0;
}

static const char *not_concurrent(void)
{
	/* static: a failed case must not leave a timer aimed at its stack */
	static struct slow s;

	s.in = s.out = s.active = s.overlap = s.runs = 0;
	if (lhc_timer_alloc(slow_fn, &s, &s.t))
		return "lhc_timer_alloc failed";
	lhc_timer_set(s.t, 0);
	if (!ct_wait_flag(&s.in, 2000 * CT_MS))
		return "timer did not fire within 2 s";
	lhc_timer_set(s.t, 0); /* due at once, while the first run spins */
	ct_sleep_ns(100 * CT_MS);
	lhc_timer_free(s.t);
	if (ct_load(&s.overlap))
		return "callback ran concurrently with itself";
	if (ct_load(&s.runs) != 2)
		return ct_fail_want("callbacks", ct_load(&s.runs), 2);
	return 0;
}

/* Re-arms itself at once, forever: only a cancel can stop it. */
static void rearm_fn(void *arg)
{
	struct slow *s = arg;

	ct_store(&s->in, 1);
	ct_spin_ns(2 * CT_MS);
	lhc_timer_set(s->t, 0);
	ct_inc(&s->runs);
}

static const char *cancel_self_rearming(void)
{
	static struct slow s;
	int runs;

	s.in = s.runs = 0;
	if (lhc_timer_alloc(rearm_fn, &s, &s.t))
		return "lhc_timer_alloc failed";
	lhc_timer_set(s.t, 0);
	if (!ct_wait_flag(&s.in, 2000 * CT_MS))
		return "timer did not fire within 2 s";
	ct_sleep_ns(10 * CT_MS);
	lhc_timer_cancel(s.t);
	runs = ct_load(&s.runs);
	ct_sleep_ns(30 * CT_MS);
	if (ct_load(&s.runs) != runs)
		return ct_fail_got("callback ran after cancel returned, times",
				   ct_load(&s.runs) - runs);
	lhc_timer_free(s.t);
	return 0;
}

/* Re-arms itself a few times, then re-arms and cancels from inside. */
struct self_run {
	struct lhc_timer *t;
	struct lhc_sem *done;
	int runs;
};

static void self_fn(void *arg)
{
	struct self_run *r = arg;

	lhc_timer_set(r->t, 2 * CT_MS);
	if (ct_inc(&r->runs) == 5) {
		lhc_timer_cancel(r->t); /* must not wait for itself */
		lhc_sem_up(r->done);
	}
}

static const char *self_cancel(void)
{
	struct self_run r = { 0, 0, 0 };

	if (lhc_sem_alloc(0, &r.done) || lhc_timer_alloc(self_fn, &r, &r.t))
		return "allocation failed";
	lhc_timer_set(r.t, 0);
	lhc_sem_down(r.done);
	ct_sleep_ns(30 * CT_MS);
	if (ct_load(&r.runs) != 5)
		return ct_fail_want("callbacks", ct_load(&r.runs), 5);
	lhc_timer_free(r.t);
	lhc_sem_free(r.done);
	return 0;
}

/* With its timer freed, nothing can wait for this callback to return, so
 * its last touch of shared state is one atomic store. */
static void free_self_fn(void *arg)
{
	struct self_run *r = arg;

	lhc_timer_free(r->t); /* r->t is gone from here on */
	ct_store(&r->runs, 1);
}

static const char *self_free(void)
{
	static struct self_run r; /* outlives the callback, whatever happens */

	r.runs = 0;
	if (lhc_timer_alloc(free_self_fn, &r, &r.t))
		return "lhc_timer_alloc failed";
	lhc_timer_set(r.t, 1 * CT_MS);
	if (!ct_wait_flag(&r.runs, 2000 * CT_MS))
		return "timer did not fire within 2 s";
	return 0;
}

/* The callback must not run from inside lhc_timer_set: mark the window. */
static struct lhc_thread *inside_set;

struct sync_run {
	struct lhc_sem *done;
	int from_set;
};

static void sync_fn(void *arg)
{
	struct sync_run *r = arg;

	if (__atomic_load_n(&inside_set, __ATOMIC_ACQUIRE) == lhc_thread_self())
		r->from_set = 1;
	lhc_sem_up(r->done);
}

static const char *not_from_set(void)
{
	struct sync_run r = { 0, 0 };
	struct lhc_timer *t;
	int i;

	if (lhc_sem_alloc(0, &r.done) || lhc_timer_alloc(sync_fn, &r, &t))
		return "allocation failed";
	for (i = 0; i < 20; i++) {
		__atomic_store_n(&inside_set, lhc_thread_self(),
				 __ATOMIC_RELEASE);
		lhc_timer_set(t, 0);
		__atomic_store_n(&inside_set, 0, __ATOMIC_RELEASE);
		lhc_sem_down(r.done);
	}
	lhc_timer_free(t);
	lhc_sem_free(r.done);
	if (r.from_set)
		return "callback ran inside lhc_timer_set";
	return 0;
}

/* Callbacks run in thread context: they may wait on a mutex (the kernel's
 * IRQ path takes its CPU lock there) and use other timers. */
struct ctx_run {
	struct lhc_mutex *m;
	struct lhc_sem *done;
	struct lhc_timer *far, *near;
	int got_lock, self_ok, near_fired, far_fired;
};

static void far_fn(void *arg)
{
	ct_store(&((struct ctx_run *)arg)->far_fired, 1);
}

static void near_fn(void *arg)
{
	struct ctx_run *r = arg;

	ct_store(&r->near_fired, 1);
	lhc_sem_up(r->done);
}

static void ctx_fn(void *arg)
{
	struct ctx_run *r = arg;

	lhc_mutex_lock(r->m); /* held by the test for 20 ms: must wait */
	ct_store(&r->got_lock, 1);
	lhc_mutex_unlock(r->m);
	ct_store(&r->self_ok, lhc_thread_self() != 0);
	lhc_timer_cancel(r->far); /* another timer: must not deadlock */
	lhc_timer_set(r->near, 0);
	lhc_sem_up(r->done);
}

static const char *thread_context(void)
{
	static struct ctx_run r;
	struct lhc_timer *t;

	r.got_lock = r.self_ok = r.near_fired = r.far_fired = 0;
	if (lhc_mutex_alloc(0, &r.m) || lhc_sem_alloc(0, &r.done) ||
	    lhc_timer_alloc(ctx_fn, &r, &t) ||
	    lhc_timer_alloc(far_fn, &r, &r.far) ||
	    lhc_timer_alloc(near_fn, &r, &r.near))
		return "allocation failed";
	lhc_timer_set(r.far, 100 * CT_MS);
	lhc_mutex_lock(r.m);
	lhc_timer_set(t, 0);
	/* Spin, not sleep: sleeping needs a timer, and the callback that
	 * would serve it may be the one waiting for this mutex. */
	ct_spin_ns(20 * CT_MS);
	if (ct_load(&r.got_lock)) {
		lhc_mutex_unlock(r.m);
		return "callback got a mutex the test held";
	}
	lhc_mutex_unlock(r.m);
	lhc_sem_down(r.done);
	lhc_sem_down(r.done);
	ct_sleep_ns(150 * CT_MS); /* past the cancelled far timer */
	lhc_timer_free(t);
	lhc_timer_free(r.far);
	lhc_timer_free(r.near);
	lhc_sem_free(r.done);
	lhc_mutex_free(r.m);
	if (!r.got_lock || !r.self_ok)
		return "callback did not get the mutex or a thread handle";
	if (!ct_load(&r.near_fired))
		return "a timer armed from a callback did not fire";
	if (ct_load(&r.far_fired))
		return "a timer cancelled from a callback fired";
	return 0;
}

const struct ct_case ct_timer_cases[] = {
	{ "one-shot timers fire no earlier, at most 20 ms late", one_shot },
	{ "re-arming later replaces the earlier arming", rearm_later },
	{ "re-arming sooner replaces the earlier arming", rearm_sooner },
	{ "cancel prevents firing; the timer can be re-armed",
	  cancel_prevents },
	{ "cancel waits for a running callback", cancel_waits },
	{ "cancel stops a callback that re-arms itself", cancel_self_rearming },
	{ "a callback never runs concurrently with itself", not_concurrent },
	{ "a callback can re-arm and cancel its own timer", self_cancel },
	{ "a callback can free its own timer", self_free },
	{ "callbacks never run from inside lhc_timer_set", not_from_set },
	{ "callbacks may lock mutexes and use other timers", thread_context },
	{ 0, 0 },
};
