/* posix platform: threads on pthreads, with handles for foreign threads too. */
#include <pthread.h>
#include <stdlib.h>

#include "hostsys.h"
#include "posix.h"

struct lhc_thread {
	pthread_t pt;
	void (*fn)(void *);
	void *arg;
	long id;
	int joinable;
	int foreign;   /* not made by lhc_thread_create; lives in `foreign` */
	char name[16]; /* Linux limits thread names to 15 bytes + NUL */
};

/*
 * The calling thread's handle. A thread we did not create gets one in its
 * own thread-local `foreign` slot on first use: no allocation, so
 * lhc_thread_self cannot fail, and it disappears with the thread.
 */
static __thread struct lhc_thread *self;
static __thread struct lhc_thread foreign;

/*
 * Non-joinable threads own their handle; this key's destructor frees it
 * when the thread ends, however it ends (return or pthread_exit). Joinable
 * handles belong to the joiner and are freed by lhc_thread_join.
 */
static pthread_key_t detached_key;
static pthread_once_t detached_once = PTHREAD_ONCE_INIT;

static long next_id = 1;

static long new_id(void)
{
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

static void detached_dtor(void *p)
{
	struct lhc_thread *t = p;

	/* Later destructors calling lhc_thread_self get a foreign handle. */
	self = NULL;
	free(t);
}

static void detached_key_init(void)
{
	int err = pthread_key_create(&detached_key, detached_dtor);

	if (err)
		posix_die("pthread_key_create", err);
}

static void *trampoline(void *p)
{
	struct lhc_thread *t = p;

	self = t;
	if (!t->joinable)
		pthread_setspecific(detached_key, t);
	/* A hint only. What pthread_setname_np does for the calling thread,
	 * as a raw host call: under a lunik musl, prctl reaches the kernel
	 * library (hostsys.h). */
	if (t->name[0])
		host_prctl_set_name(t->name);
	t->fn(t->arg);
	return NULL;
}

int lhc_thread_create(void (*fn)(void *), void *arg, const char *name,
		      int joinable, struct lhc_thread **ret)
{
	struct lhc_thread *t;
	pthread_attr_t attr;
	pthread_t pt;
	size_t i;
	int err;

	if (!fn || (joinable && !ret))
		return LHC_EINVAL;
	pthread_once(&detached_once, detached_key_init);

	t = calloc(1, sizeof(*t));
	if (!t)
		return LHC_ENOMEM;
	t->fn = fn;
	t->arg = arg;
	t->joinable = !!joinable;
	t->id = new_id();
	for (i = 0; name && name[i] && i < sizeof(t->name) - 1; i++)
		t->name[i] = name[i];

	err = pthread_attr_init(&attr);
	if (err)
		goto fail;
	pthread_attr_setdetachstate(&attr, joinable ? PTHREAD_CREATE_JOINABLE
						    : PTHREAD_CREATE_DETACHED);
	/*
	 * A detached thread may end and free t before pthread_create returns,
	 * so its id goes to a local and only a joinable t (which the thread
	 * never frees) is touched afterwards.
	 */
	err = pthread_create(&pt, &attr, trampoline, t);
	pthread_attr_destroy(&attr);
	if (err)
		goto fail;
	if (joinable)
		t->pt = pt;
	if (ret)
		*ret = t;
	return 0;
fail:
	free(t);
	/* pthread_create's EPERM/EINVAL concern attributes we never set. */
	return err == ENOMEM ? LHC_ENOMEM : LHC_EAGAIN;
}

int lhc_thread_join(struct lhc_thread *t)
{
	int err;

	if (!t || !t->joinable || t->foreign)
		return LHC_EINVAL;
	err = pthread_join(t->pt, NULL);
	if (err)
		return LHC_EINVAL; /* EDEADLK (self-join), ESRCH: misuse */
	free(t);
	return 0;
}

void lhc_thread_exit(void)
{
	pthread_exit(NULL);
}

struct lhc_thread *lhc_thread_self(void)
{
	struct lhc_thread *t = self;

	if (!t) {
		t = &foreign;
		if (!t->id) {
			t->pt = pthread_self();
			t->foreign = 1;
			t->id = new_id();
		}
		self = t;
	}
	return t;
}

long lhc_thread_id(void)
{
	return lhc_thread_self()->id;
}
