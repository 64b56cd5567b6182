/* hw platform: counting semaphores and (recursive) mutexes on wait queues. */
#include "hw.h"

/*
 * Both hand over directly: an up with a waiter gives its unit to the first
 * waiter, an unlock with a waiter makes it the owner. Waiters are served
 * in FIFO order, so none starves while ups or unlocks keep coming.
 */

#define SEM_MAX 0x7fffffffL

struct lhc_sem {
	long count;
	struct hw_waitq q;
};

struct lhc_mutex {
	struct lhc_thread *owner;
	unsigned long depth;
	int recursive;
	struct hw_waitq q;
};

int lhc_sem_alloc(int count, struct lhc_sem **ret)
{
	struct lhc_sem *s;

	if (count < 0)
		return LHC_EINVAL;
	s = hw_alloc(sizeof(*s), 16);
	if (!s)
		return LHC_ENOMEM;
	hw_memset(s, 0, sizeof(*s));
	s->count = count;
	*ret = s;
	return 0;
}

void lhc_sem_free(struct lhc_sem *s)
{
	if (!s)
		return;
	if (s->q.head)
		hw_die("lhc_sem_free of a semaphore a thread waits on");
	hw_free(s, sizeof(*s));
}

void lhc_sem_up(struct lhc_sem *s)
{
	if (hw_wake_one(&s->q))
		return; /* the unit went to that waiter */
	if (s->count == SEM_MAX)
		hw_die("lhc_sem_up: semaphore count overflow");
	s->count++;
}

void lhc_sem_down(struct lhc_sem *s)
{
	if (s->count > 0) {
		s->count--;
		return;
	}
	hw_wait(&s->q, HW_NEVER);
}

int lhc_mutex_alloc(int flags, struct lhc_mutex **ret)
{
	struct lhc_mutex *m;

	if (flags & ~LHC_MTX_RECURSIVE)
		return LHC_EINVAL;
	m = hw_alloc(sizeof(*m), 16);
	if (!m)
		return LHC_ENOMEM;
	hw_memset(m, 0, sizeof(*m));
	m->recursive = !!(flags & LHC_MTX_RECURSIVE);
	*ret = m;
	return 0;
}

void lhc_mutex_free(struct lhc_mutex *m)
{
	if (!m)
		return;
	if (m->owner)
		hw_die("lhc_mutex_free of a held mutex");
	hw_free(m, sizeof(*m));
}

void lhc_mutex_lock(struct lhc_mutex *m)
{
	struct lhc_thread *self = lhc_thread_self();

	if (!m->owner) {
		m->owner = self;
		m->depth = 1;
		return;
	}
	if (m->owner == self) {
		if (!m->recursive)
			hw_die("lhc_mutex_lock of a plain mutex the caller holds");
		m->depth++;
		return;
	}
	hw_wait(&m->q, HW_NEVER); /* woken as the new owner */
}

int lhc_mutex_trylock(struct lhc_mutex *m)
{
	struct lhc_thread *self = lhc_thread_self();

	if (!m->owner) {
		m->owner = self;
		m->depth = 1;
		return 0;
	}
	if (m->owner == self && m->recursive) {
		m->depth++;
		return 0;
	}
	return LHC_EBUSY;
}

void lhc_mutex_unlock(struct lhc_mutex *m)
{
	if (m->owner != lhc_thread_self())
		hw_die("lhc_mutex_unlock by a thread that does not hold it");
	if (--m->depth)
		return;
	m->owner = m->q.head;
	if (m->owner) {
		m->depth = 1;
		hw_wake_one(&m->q);
	}
}
