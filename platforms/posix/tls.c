/* posix platform: thread-local storage keys on pthread keys. */
#include <pthread.h>
#include <stdint.h>

#include "posix.h"

/*
 * A key handle is the pthread key plus one, cast to a pointer: no allocation,
 * never NULL. pthread keys already run destructors at the exit of every
 * thread, ours or foreign, which is exactly the contract.
 */
static struct lhc_tls_key *to_handle(pthread_key_t k)
{
	return (struct lhc_tls_key *)((uintptr_t)k + 1);
}

static pthread_key_t to_key(struct lhc_tls_key *h)
{
	return (pthread_key_t)((uintptr_t)h - 1);
}

int lhc_tls_alloc(void (*dtor)(void *), struct lhc_tls_key **ret)
{
	pthread_key_t k;
	int err = pthread_key_create(&k, dtor);

	if (err)
		return err == ENOMEM ? LHC_ENOMEM : LHC_EAGAIN;
	*ret = to_handle(k);
	return 0;
}

void lhc_tls_free(struct lhc_tls_key *h)
{
	pthread_key_delete(to_key(h));
}

int lhc_tls_set(struct lhc_tls_key *h, void *value)
{
	int err = pthread_setspecific(to_key(h), value);

	return err == ENOMEM ? LHC_ENOMEM : err;
}

void *lhc_tls_get(struct lhc_tls_key *h)
{
	return pthread_getspecific(to_key(h));
}
