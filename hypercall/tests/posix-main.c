/* Hypercall conformance suite: process entry for hosted (posix) platforms. */
#include <pthread.h>
#include <unistd.h>

#include "conformance.h"

/* A hung case must not hang the run: SIGALRM ends the process non-zero. */
#define RUN_LIMIT_S 120

struct foreign {
	void (*fn)(void *);
	void *arg;
};

static void *foreign_main(void *p)
{
	struct foreign *f = p;

	f->fn(f->arg);
	return NULL;
}

/* A pthread the platform never sees being created: an application's own. */
int lhc_conformance_foreign_thread(void (*fn)(void *), void *arg)
{
	struct foreign f = { fn, arg };
	pthread_t t;

	if (pthread_create(&t, NULL, foreign_main, &f))
		return -1;
	return pthread_join(t, NULL) ? -1 : 0;
}

int main(void)
{
	alarm(RUN_LIMIT_S);
	return lhc_conformance_run();
}
