/* Conformance cases: thread create/join/exit, self and ids. */
#include "ct.h"

#define NTHREADS 8

struct work {
	long in;
	long long out;
	struct lhc_thread *self;
	struct lhc_thread *self2;
	long id;
};

static void worker(void *arg)
{
	struct work *w = arg;
	long long sum = 0;
	long i;

	w->self = lhc_thread_self();
	w->id = lhc_thread_id();
	for (i = 1; i <= w->in; i++)
		sum += i;
	w->out = sum;
	w->self2 = lhc_thread_self();
}

static const char *create_join(void)
{
	struct work w[NTHREADS];
	struct lhc_thread *t[NTHREADS];
	struct lhc_thread *me = lhc_thread_self();
	long my_id = lhc_thread_id();
	int i, j, err;

	for (i = 0; i < NTHREADS; i++) {
		w[i].in = 1000 * (i + 1);
		w[i].out = -1;
		w[i].self = w[i].self2 = 0;
		err = lhc_thread_create(worker, &w[i], "ct-worker", 1, &t[i]);
		if (err)
			return ct_fail_want("lhc_thread_create", err, 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		err = lhc_thread_join(t[i]);
		if (err)
			return ct_fail_want("lhc_thread_join", err, 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		long long n = w[i].in;

		if (w[i].out != n * (n + 1) / 2)
			return ct_fail_want("result passed back", w[i].out,
					    n * (n + 1) / 2);
		if (!w[i].self || w[i].self != w[i].self2)
			return "lhc_thread_self NULL or not stable in a thread";
		if (w[i].self != t[i])
			return "thread_self is not the created handle";
		if (w[i].self == me || w[i].id == my_id)
			return "a thread shares the creator's handle or id";
		for (j = 0; j < i; j++)
			if (w[j].self == w[i].self || w[j].id == w[i].id)
				return "two live threads share a handle or id";
	}
	return 0;
}

static void self_checks(void *arg)
{
	const char **why = arg;
	struct lhc_thread *a = lhc_thread_self(), *b = lhc_thread_self();
	long id = lhc_thread_id();

	*why = 0;
	if (!a)
		*why = "lhc_thread_self returned NULL";
	else if (a != b)
		*why = "lhc_thread_self not stable";
	else if (id != lhc_thread_id())
		*why = "lhc_thread_id not stable";
}

static const char *self_caller(void)
{
	const char *why = "not run";

	/* The suite's caller may well be a thread the platform did not make
	 * (posix: the process's main thread). */
	self_checks(&why);
	return why;
}

struct foreign_self {
	struct lhc_thread *main_self;
	long main_id;
	const char *why;
};

static void foreign_self_fn(void *arg)
{
	struct foreign_self *f = arg;

	self_checks(&f->why);
	if (!f->why && (lhc_thread_self() == f->main_self ||
			lhc_thread_id() == f->main_id))
		f->why = "foreign thread shares the main thread's handle";
}

static const char *self_foreign(void)
{
	struct foreign_self f = { lhc_thread_self(), lhc_thread_id(),
				  "not run" };

	if (!lhc_conformance_foreign_thread) {
		ct_skip_reason = "wrapper runs no foreign threads";
		return CT_SKIP;
	}
	if (lhc_conformance_foreign_thread(foreign_self_fn, &f))
		return "the wrapper could not start a foreign thread";
	return f.why;
}

struct exit_run {
	int before, after;
};

static void deep_exit(int depth, struct exit_run *r);

/* Called through a volatile pointer: a real frame per level, and no GCC
 * "infinite recursion" warning (it counts only the paths that return). */
static void (*volatile deeper)(int, struct exit_run *) = deep_exit;

static void deep_exit(int depth, struct exit_run *r)
{
	if (depth == 0) {
		ct_store(&r->before, 1);
		lhc_thread_exit();
	}
	deeper(depth - 1, r);
	ct_store(&r->after, 1); /* never reached */
}

static void exiter(void *arg)
{
	struct exit_run *r = arg;

	deep_exit(10, r);
	ct_store(&r->after, 1);
}

static const char *thread_exit(void)
{
	struct exit_run r = { 0, 0 };
	struct lhc_thread *t;
	int err;

	err = lhc_thread_create(exiter, &r, "ct-exit", 1, &t);
	if (err)
		return ct_fail_want("lhc_thread_create", err, 0);
	err = lhc_thread_join(t);
	if (err)
		return ct_fail_want("lhc_thread_join", err, 0);
	if (!ct_load(&r.before))
		return "thread did not run";
	if (ct_load(&r.after))
		return "code after lhc_thread_exit ran";
	return 0;
}

/*
 * Nobody can wait for a detached thread's end, so each one's last touch of
 * shared state is one atomic increment: a semaphore would still be in use
 * inside lhc_sem_up after the waiter had passed (and maybe freed it).
 */
static void detached(void *arg)
{
	ct_inc((int *)arg);
}

static const char *detached_threads(void)
{
	static int ended; /* static: outlives a failed case's threads */
	struct lhc_thread *t;
	uint64_t end;
	int i, err;

	ct_store(&ended, 0);
	for (i = 0; i < 4; i++) {
		/* ret is optional for non-joinable threads. */
		err = lhc_thread_create(detached, &ended, "ct-detached", 0,
					i & 1 ? &t : 0);
		if (err)
			return ct_fail_want("lhc_thread_create", err, 0);
	}
	end = ct_now() + 2000 * CT_MS;
	while (ct_load(&ended) < 4 && ct_now() < end)
		ct_sleep_ns(CT_MS);
	if (ct_load(&ended) != 4)
		return ct_fail_want("threads finished within 2 s",
				    ct_load(&ended), 4);
	return 0;
}

static void nop(void *arg)
{
	(void)arg;
}

static const char *many(void)
{
	struct lhc_thread *t[32];
	int round, i, err;

	/* Handles and stacks must be reclaimed, not just created. */
	for (round = 0; round < 8; round++) {
		for (i = 0; i < 32; i++) {
			err = lhc_thread_create(nop, 0, 0, 1, &t[i]);
			if (err)
				return ct_fail_want("lhc_thread_create", err,
						    0);
		}
		for (i = 0; i < 32; i++)
			lhc_thread_join(t[i]);
	}
	return 0;
}

const struct ct_case ct_thread_cases[] = {
	{ "threads run and pass results back through join", create_join },
	{ "thread_self/id work on the suite's own thread", self_caller },
	{ "thread_self/id work on a foreign thread", self_foreign },
	{ "thread_exit ends the thread from deep in its stack", thread_exit },
	{ "non-joinable threads run, ret optional", detached_threads },
	{ "256 threads created and joined, 32 at a time", many },
	{ 0, 0 },
};
