/* threads.c: 64 host threads issue syscalls at once; each becomes its own kernel task. */
#include <pthread.h>
#include <stdio.h>

#include "ktest.h"

#define NTHREADS 64
#define ROUNDS 50

struct worker {
	int id;
	long tid;
	int errors;
};

static pthread_barrier_t start;

static void *work(void *arg)
{
	struct worker *w = arg;
	char path[32], buf[32];

	snprintf(path, sizeof(path), "/t%d", w->id);
	pthread_barrier_wait(&start);
	w->tid = lkl_sys_gettid();
	for (int i = 0; i < ROUNDS; i++) {
		long fd = lkl_sys_open(path, LKL_O_CREAT | LKL_O_RDWR | LKL_O_TRUNC, 0600);
		int n = snprintf(buf, sizeof(buf), "%d:%d", w->id, i);

		if (fd < 0 || lkl_sys_write(fd, buf, n) != n || lkl_sys_lseek(fd, 0, LKL_SEEK_SET) != 0) {
			w->errors++;
		} else {
			char back[32] = { 0 };

			if (lkl_sys_read(fd, back, sizeof(back)) != n || memcmp(back, buf, n))
				w->errors++;
		}
		if (fd >= 0)
			lkl_sys_close(fd);
		if (lkl_sys_getpid() != 1)
			w->errors++;
	}
	return NULL;
}

int main(void)
{
	static struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	int errors = 0, distinct = 1;

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	REQUIRE(lkl_start_kernel("mem=32M loglevel=4") == 0, "lkl_start_kernel");
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		errors += w[i].errors;
		for (int j = 0; j < i; j++)
			distinct &= w[i].tid != w[j].tid;
	}
	CHECK(errors == 0, "%d threads x %d rounds of open/write/read/close/getpid: %d errors", NTHREADS, ROUNDS, errors);
	CHECK(distinct && w[0].tid > 1, "each host thread ran as its own kernel task (distinct tids)");
	CHECK(lkl_sys_halt() == 0, "halt after the threads ended");
	lkl_cleanup();
	return ktest_done();
}
