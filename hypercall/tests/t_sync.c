/* Conformance cases: semaphores and mutexes. */
#include "ct.h"

struct waiter {
	struct lhc_sem *sem;
	int passed;
};

static void down_once(void *arg)
{
	struct waiter *w = arg;

	lhc_sem_down(w->sem);
	ct_store(&w->passed, 1);
}

static const char *sem_count(void)
{
	struct waiter w = { 0, 0 };
	struct lhc_thread *t;
	int i, err;

	err = lhc_sem_alloc(3, &w.sem);
	if (err)
		return ct_fail_want("lhc_sem_alloc", err, 0);
	for (i = 0; i < 3; i++)
		lhc_sem_down(w.sem); /* must not block: count was 3 */
	err = lhc_thread_create(down_once, &w, "ct-sem", 1, &t);
	if (err)
		return ct_fail_want("lhc_thread_create", err, 0);
	ct_sleep_ns(30 * CT_MS);
	if (ct_load(&w.passed))
		return "down passed a semaphore at count 0";
	lhc_sem_up(w.sem);
	lhc_thread_join(t);
	if (!ct_load(&w.passed))
		return "down did not pass after up";
	lhc_sem_free(w.sem);
	return 0;
}

static const char *sem_negative(void)
{
	struct lhc_sem *s = (struct lhc_sem *)&s;
	int err = lhc_sem_alloc(-1, &s);

	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_sem_alloc(-1)", err, LHC_EINVAL);
	if (s != (struct lhc_sem *)&s)
		return "*ret written while failing";
	return 0;
}

/* A bounded queue guarded by two counting semaphores and a mutex. */
#define SLOTS 8
#define ITEMS 5000

struct queue {
	struct lhc_sem *free, *full;
	struct lhc_mutex *lock;
	long slot[SLOTS];
	unsigned int head, tail;
	long long sum;
	int out_of_order;
	int base; /* producer p sends base*p + 1 .. base*p + ITEMS */
};

static void put(struct queue *q, long v)
{
	lhc_sem_down(q->free);
	lhc_mutex_lock(q->lock);
	q->slot[q->tail++ % SLOTS] = v;
	lhc_mutex_unlock(q->lock);
	lhc_sem_up(q->full);
}

static long get(struct queue *q)
{
	long v;

	lhc_sem_down(q->full);
	lhc_mutex_lock(q->lock);
	v = q->slot[q->head++ % SLOTS];
	lhc_mutex_unlock(q->lock);
	lhc_sem_up(q->free);
	return v;
}

struct producer {
	struct queue *q;
	long first;
};

static void produce(void *arg)
{
	struct producer *p = arg;
	long i;

	for (i = 0; i < ITEMS; i++)
		put(p->q, p->first + i);
}

static void consume(void *arg)
{
	struct queue *q = arg;
	long last[2] = { 0, 0 };
	long i;

	for (i = 0; i < 2 * ITEMS; i++) {
		long v = get(q);
		int from = v > q->base; /* which producer sent it */

		/* Each producer's items must arrive in the order sent. */
		if (last[from] && v != last[from] + 1)
			q->out_of_order++;
		last[from] = v;
		q->sum += v;
	}
}

static const char *producer_consumer(void)
{
	struct queue q = { .head = 0, .tail = 0, .sum = 0, .base = ITEMS };
	struct producer p[2] = { { &q, 1 }, { &q, ITEMS + 1 } };
	struct lhc_thread *t[3];
	long long want = 0;
	long i;

	if (lhc_sem_alloc(SLOTS, &q.free) || lhc_sem_alloc(0, &q.full) ||
	    lhc_mutex_alloc(0, &q.lock))
		return "allocation failed";
	q.out_of_order = 0;
	if (lhc_thread_create(consume, &q, "ct-consumer", 1, &t[0]) ||
	    lhc_thread_create(produce, &p[0], "ct-producer", 1, &t[1]) ||
	    lhc_thread_create(produce, &p[1], "ct-producer", 1, &t[2]))
		return "lhc_thread_create failed";
	for (i = 0; i < 3; i++)
		lhc_thread_join(t[i]);
	for (i = 1; i <= 2 * ITEMS; i++)
		want += i;
	lhc_sem_free(q.free);
	lhc_sem_free(q.full);
	lhc_mutex_free(q.lock);
	if (q.out_of_order)
		return ct_fail_got("items out of order", q.out_of_order);
	if (q.sum != want)
		return ct_fail_want("sum of items", q.sum, want);
	return 0;
}

#define ROUNDS 20000

struct counter {
	struct lhc_mutex *m;
	long n; /* deliberately plain: the mutex alone must protect it */
};

static void add(void *arg)
{
	struct counter *c = arg;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		lhc_mutex_lock(c->m);
		c->n++;
		lhc_mutex_unlock(c->m);
	}
}

static const char *mutex_excludes(void)
{
	struct counter c = { 0, 0 };
	struct lhc_thread *t[4];
	int i;

	if (lhc_mutex_alloc(0, &c.m))
		return "lhc_mutex_alloc failed";
	for (i = 0; i < 4; i++)
		if (lhc_thread_create(add, &c, "ct-mutex", 1, &t[i]))
			return "lhc_thread_create failed";
	for (i = 0; i < 4; i++)
		lhc_thread_join(t[i]);
	lhc_mutex_free(c.m);
	if (c.n != 4 * ROUNDS)
		return ct_fail_want("increments", c.n, 4 * ROUNDS);
	return 0;
}

struct try_run {
	struct lhc_mutex *m;
	int err;
};

static void try_other(void *arg)
{
	struct try_run *r = arg;

	r->err = lhc_mutex_trylock(r->m);
	if (r->err == 0)
		lhc_mutex_unlock(r->m);
}

/* trylock from a fresh thread; its result, or -1 if no thread. */
static int try_from_thread(struct lhc_mutex *m)
{
	struct try_run r = { m, -1 };
	struct lhc_thread *t;

	if (lhc_thread_create(try_other, &r, "ct-trylock", 1, &t))
		return -1;
	lhc_thread_join(t);
	return r.err;
}

static const char *trylock(void)
{
	struct lhc_mutex *m;
	int err;

	if (lhc_mutex_alloc(0, &m))
		return "lhc_mutex_alloc failed";
	lhc_mutex_lock(m);
	err = try_from_thread(m);
	if (err != LHC_EBUSY)
		return ct_fail_want("trylock of a held mutex", err, LHC_EBUSY);
	err = lhc_mutex_trylock(m);
	if (err != LHC_EBUSY)
		return ct_fail_want("trylock by the owner", err, LHC_EBUSY);
	lhc_mutex_unlock(m);
	err = try_from_thread(m);
	if (err)
		return ct_fail_want("trylock of a free mutex", err, 0);
	err = lhc_mutex_trylock(m);
	if (err)
		return ct_fail_want("trylock after release", err, 0);
	lhc_mutex_unlock(m);
	lhc_mutex_free(m);
	return 0;
}

static const char *recursive(void)
{
	struct lhc_mutex *m;
	int i, err;

	if (lhc_mutex_alloc(LHC_MTX_RECURSIVE, &m))
		return "lhc_mutex_alloc failed";
	lhc_mutex_lock(m);
	lhc_mutex_lock(m);
	err = lhc_mutex_trylock(m);
	if (err)
		return ct_fail_want("trylock by a recursive owner", err, 0);
	/* Held three deep: two unlocks must leave it held. */
	for (i = 0; i < 2; i++) {
		lhc_mutex_unlock(m);
		err = try_from_thread(m);
		if (err != LHC_EBUSY)
			return ct_fail_want("trylock of a still-held mutex",
					    err, LHC_EBUSY);
	}
	lhc_mutex_unlock(m);
	err = try_from_thread(m);
	if (err)
		return ct_fail_want("trylock after the last unlock", err, 0);
	lhc_mutex_free(m);
	return 0;
}

const struct ct_case ct_sync_cases[] = {
	{ "semaphore honours its initial count and blocks at 0", sem_count },
	{ "semaphore rejects a negative count with LHC_EINVAL", sem_negative },
	{ "semaphores: 2 producers, 1 consumer, order kept",
	  producer_consumer },
	{ "mutex excludes (4 threads x 20000 increments)", mutex_excludes },
	{ "trylock gives LHC_EBUSY while held, 0 when free", trylock },
	{ "recursive mutex nests and releases on the last unlock", recursive },
	{ 0, 0 },
};
