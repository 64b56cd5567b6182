/* hw platform: thread-local storage keys, values kept in each thread. */
#include "hw.h"

/*
 * A key is a slot number (handle = slot + 1, never NULL); each thread has
 * an array of HW_TLS_KEYS values (sched.c). A fresh key's slot is zeroed
 * in every live thread, so a reused slot reads NULL again.
 */

static struct {
	int used;
	void (*dtor)(void *);
} keys[HW_TLS_KEYS];

static int slot_of(struct lhc_tls_key *k)
{
	uintptr_t s = (uintptr_t)k - 1;

	if (s >= HW_TLS_KEYS || !keys[s].used)
		hw_die("TLS key not allocated");
	return (int)s;
}

int lhc_tls_alloc(void (*dtor)(void *), struct lhc_tls_key **ret)
{
	int i;

	for (i = 0; i < HW_TLS_KEYS; i++) {
		if (!keys[i].used) {
			keys[i].used = 1;
			keys[i].dtor = dtor;
			hw_sched_clear_tls(i);
			*ret = (struct lhc_tls_key *)(uintptr_t)(i + 1);
			return 0;
		}
	}
	return LHC_EAGAIN;
}

void lhc_tls_free(struct lhc_tls_key *k)
{
	keys[slot_of(k)].used = 0;
}

int lhc_tls_set(struct lhc_tls_key *k, void *value)
{
	hw_thread_tls(lhc_thread_self())[slot_of(k)] = value;
	return 0;
}

void *lhc_tls_get(struct lhc_tls_key *k)
{
	return hw_thread_tls(lhc_thread_self())[slot_of(k)];
}

/* Up to four rounds, for destructors that store new values. */
void hw_tls_run_dtors(void **values)
{
	int round, i, again = 1;

	for (round = 0; round < 4 && again; round++) {
		again = 0;
		for (i = 0; i < HW_TLS_KEYS; i++) {
			void *v = values[i];

			if (!v)
				continue;
			values[i] = 0;
			if (keys[i].used && keys[i].dtor) {
				keys[i].dtor(v);
				again = 1;
			}
		}
	}
}
