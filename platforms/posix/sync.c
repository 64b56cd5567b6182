/* posix platform: counting semaphores and (recursive) mutexes. */
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

#include "posix.h"

struct lhc_sem {
	sem_t s;
};

struct lhc_mutex {
	pthread_mutex_t m;
};

int lhc_sem_alloc(int count, struct lhc_sem **ret)
{
	struct lhc_sem *s;

	if (count < 0 || (unsigned int)count > SEM_VALUE_MAX)
		return LHC_EINVAL;
	s = malloc(sizeof(*s));
	if (!s)
		return LHC_ENOMEM;
	if (sem_init(&s->s, 0, (unsigned int)count)) {
		free(s);
		return LHC_EINVAL;
	}
	*ret = s;
	return 0;
}

void lhc_sem_free(struct lhc_sem *s)
{
	if (!s)
		return;
	sem_destroy(&s->s);
	free(s);
}

void lhc_sem_up(struct lhc_sem *s)
{
	/* Only EOVERFLOW is possible: 2^31 ups nobody took is a caller bug. */
	if (sem_post(&s->s))
		posix_die("sem_post", errno);
}

void lhc_sem_down(struct lhc_sem *s)
{
	/* A signal handler in the host process may interrupt the wait. */
	while (sem_wait(&s->s)) {
		if (errno != EINTR)
			posix_die("sem_wait", errno);
	}
}

int lhc_mutex_alloc(int flags, struct lhc_mutex **ret)
{
	pthread_mutexattr_t attr;
	struct lhc_mutex *m;
	int err;

	if (flags & ~LHC_MTX_RECURSIVE)
		return LHC_EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return LHC_ENOMEM;
	pthread_mutexattr_init(&attr);
	/*
	 * ERRORCHECK for plain mutexes so trylock by the owner reports EBUSY
	 * as the contract says (a NORMAL one does too on glibc, but POSIX
	 * leaves it open) and unlock by a non-owner is caught below.
	 */
	pthread_mutexattr_settype(&attr, (flags & LHC_MTX_RECURSIVE)
						 ? PTHREAD_MUTEX_RECURSIVE
						 : PTHREAD_MUTEX_ERRORCHECK);
	err = pthread_mutex_init(&m->m, &attr);
	pthread_mutexattr_destroy(&attr);
	if (err) {
		free(m);
		return err == ENOMEM ? LHC_ENOMEM : LHC_EAGAIN;
	}
	*ret = m;
	return 0;
}

void lhc_mutex_free(struct lhc_mutex *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->m);
	free(m);
}

void lhc_mutex_lock(struct lhc_mutex *m)
{
	int err = pthread_mutex_lock(&m->m);

	if (err)
		posix_die("mutex lock (already held by the caller?)", err);
}

int lhc_mutex_trylock(struct lhc_mutex *m)
{
	int err = pthread_mutex_trylock(&m->m);

	/* ERRORCHECK gives the owner EBUSY too; EAGAIN: recursion depth. */
	return err == 0 ? 0 : LHC_EBUSY;
}

void lhc_mutex_unlock(struct lhc_mutex *m)
{
	int err = pthread_mutex_unlock(&m->m);

	if (err)
		posix_die("mutex unlock (not the owner?)", err);
}
