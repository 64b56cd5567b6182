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

/*
 * Standard input for the stdin cases: a pipe on fd 0 holding the bytes.
 * Without an end, the pipe's writer stays open (here) until the next call,
 * so the platform's reader waits on a silent stdin.
 */
int lhc_conformance_stdin(const void *data, unsigned long len, int end)
{
	static int writer = -1;
	int p[2];

	if (len > 4096 || pipe(p)) /* a pipe holds at least 4 KiB unread */
		return -1;
	if (write(p[1], data, len) != (ssize_t)len || dup2(p[0], 0) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[0]);
	if (writer >= 0)
		close(writer);
	writer = -1;
	if (end)
		close(p[1]);
	else
		writer = p[1];
	return 0;
}

int main(void)
{
	alarm(RUN_LIMIT_S);
	return lhc_conformance_run();
}
