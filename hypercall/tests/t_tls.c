/* Conformance cases: thread-local storage keys and their destructors. */
#include "ct.h"

#define NT 4

/* One record per thread; the thread stores &rec[i] as its TLS value, so
 * the destructor can find the record from the value it is given. */
struct rec {
	struct lhc_thread *owner;   /* the thread, as it saw itself */
	struct lhc_thread *dtor_on; /* where the destructor ran */
	int dtor_runs;
	int saw_null;	/* the fresh key read NULL in the thread */
	int saw_own;	/* and then its own value */
	int clear;	/* set, then put NULL back: no destructor expected */
	int exit_early; /* end through lhc_thread_exit */
};

static struct lhc_tls_key *key;

static void dtor(void *v)
{
	struct rec *r = v;

	r->dtor_on = lhc_thread_self();
	ct_inc(&r->dtor_runs);
}

static void tls_thread(void *arg)
{
	struct rec *r = arg;

	r->owner = lhc_thread_self();
	r->saw_null = lhc_tls_get(key) == 0;
	if (lhc_tls_set(key, r))
		return;
	r->saw_own = lhc_tls_get(key) == r;
	if (r->clear)
		lhc_tls_set(key, 0);
	if (r->exit_early)
		lhc_thread_exit();
}

static const char *per_thread_dtors(void)
{
	struct rec rec[NT];
	struct rec main_rec;
	struct lhc_thread *t[NT];
	int i, err;

	err = lhc_tls_alloc(dtor, &key);
	if (err)
		return ct_fail_want("lhc_tls_alloc", err, 0);
	if (lhc_tls_get(key) != 0)
		return "a fresh key is not NULL on the caller";
	if (lhc_tls_set(key, &main_rec))
		return "lhc_tls_set failed";
	for (i = 0; i < NT; i++) {
		rec[i].owner = rec[i].dtor_on = 0;
		rec[i].dtor_runs = rec[i].saw_null = rec[i].saw_own = 0;
		rec[i].clear = i == 2;
		rec[i].exit_early = i == 3;
		err = lhc_thread_create(tls_thread, &rec[i], "ct-tls", 1,
					&t[i]);
		if (err)
			return ct_fail_want("lhc_thread_create", err, 0);
	}
	for (i = 0; i < NT; i++)
		lhc_thread_join(t[i]);
	if (lhc_tls_get(key) != &main_rec)
		return "another thread's set changed the caller's value";
	lhc_tls_set(key, 0); /* the suite's thread may never end */
	lhc_tls_free(key);
	for (i = 0; i < NT; i++) {
		if (!rec[i].saw_null)
			return "a fresh key is not NULL on a new thread";
		if (!rec[i].saw_own)
			return "lhc_tls_get did not return the thread's value";
		if (rec[i].clear) {
			if (rec[i].dtor_runs)
				return "destructor ran for a NULL value";
			continue;
		}
		if (rec[i].dtor_runs != 1)
			return ct_fail_want("destructor runs", rec[i].dtor_runs,
					    1);
		if (rec[i].dtor_on != rec[i].owner)
			return "destructor ran on another thread";
	}
	return 0;
}

static struct lhc_tls_key *fkey;

static void fdtor(void *v)
{
	ct_inc((int *)v);
}

struct foreign_run {
	int runs; /* destructor calls; the TLS value is &runs */
	int set_err;
	int got;
};

static void foreign_fn(void *arg)
{
	struct foreign_run *r = arg;

	r->set_err = lhc_tls_set(fkey, &r->runs);
	r->got = lhc_tls_get(fkey) == &r->runs;
}

static const char *foreign_dtors(void)
{
	struct foreign_run r = { 0, -1, 0 };
	int err;

	if (!lhc_conformance_foreign_thread) {
		ct_skip_reason = "wrapper runs no foreign threads";
		return CT_SKIP;
	}
	err = lhc_tls_alloc(fdtor, &fkey);
	if (err)
		return ct_fail_want("lhc_tls_alloc", err, 0);
	if (lhc_conformance_foreign_thread(foreign_fn, &r))
		return "the wrapper could not start a foreign thread";
	lhc_tls_free(fkey);
	if (r.set_err)
		return ct_fail_want("lhc_tls_set", r.set_err, 0);
	if (!r.got)
		return "lhc_tls_get did not return the value";
	if (r.runs != 1)
		return ct_fail_want("destructor runs", r.runs, 1);
	return 0;
}

static const char *many_keys(void)
{
	struct lhc_tls_key *k[16];
	int i, err;

	/* Freed keys may be reused; a reused key must read NULL again. */
	for (i = 0; i < 16; i++) {
		err = lhc_tls_alloc(0, &k[i]);
		if (err)
			return ct_fail_want("lhc_tls_alloc", err, 0);
		if (lhc_tls_get(k[i]))
			return "a fresh key is not NULL";
		lhc_tls_set(k[i], &k[i]);
	}
	for (i = 0; i < 16; i++) {
		if (lhc_tls_get(k[i]) != &k[i])
			return "keys share storage";
		lhc_tls_set(k[i], 0);
		lhc_tls_free(k[i]);
	}
	return 0;
}

const struct ct_case ct_tls_cases[] = {
	{ "TLS values are per thread; destructors run on the ending thread",
	  per_thread_dtors },
	{ "TLS destructors run when a foreign thread ends", foreign_dtors },
	{ "16 keys hold distinct values", many_keys },
	{ 0, 0 },
};
