/* hostops.c: an LKL-style program that uses lkl_host_ops for its own threads,
 * semaphores, mutexes, TLS, time and timers while the kernel runs. */
#include "ktest.h"

static struct lkl_sem *done;
static struct lkl_mutex *lock;
static int counter;
static long worker_pid;

static void worker(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		lkl_host_ops.mutex_lock(lock);
		counter += *(int *)arg;
		lkl_host_ops.mutex_unlock(lock);
	}
	worker_pid = lkl_sys_getpid(); /* a host-ops thread may make syscalls too */
	lkl_host_ops.sem_up(done);
}

static int destructed;
static void destructor(void *v)
{
	destructed = *(int *)v;
}

static int tls_value = 42;

static void tls_thread(void *arg)
{
	lkl_host_ops.tls_set(arg, &tls_value);
}

static void fire(void *arg)
{
	lkl_host_ops.sem_up(arg);
}

int main(void)
{
	int one = 1;
	lkl_thread_t t1, t2, t3;
	struct lkl_tls_key *key;
	void *timer;
	unsigned long long t0;

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	REQUIRE(lkl_start_kernel("mem=32M loglevel=4") == 0, "lkl_start_kernel");

	done = lkl_host_ops.sem_alloc(0);
	lock = lkl_host_ops.mutex_alloc(0);
	CHECK(done && lock, "sem_alloc and mutex_alloc");
	t1 = lkl_host_ops.thread_create(worker, &one);
	t2 = lkl_host_ops.thread_create(worker, &one);
	CHECK(t1 && t2 && !lkl_host_ops.thread_equal(t1, t2), "two threads created");
	lkl_host_ops.sem_down(done);
	lkl_host_ops.sem_down(done);
	CHECK(lkl_host_ops.thread_join(t1) == 0 && lkl_host_ops.thread_join(t2) == 0, "both joined");
	CHECK(counter == 2000, "mutex kept the count (%d)", counter);
	CHECK(worker_pid == 1, "a host-ops thread's syscall ran in process 1");

	key = lkl_host_ops.tls_alloc(destructor);
	t3 = lkl_host_ops.thread_create(tls_thread, key);
	lkl_host_ops.thread_join(t3);
	CHECK(destructed == 42, "TLS destructor ran with the thread's value");
	CHECK(lkl_host_ops.tls_get(key) == NULL, "this thread's TLS value is its own");
	lkl_host_ops.tls_free(key);

	timer = lkl_host_ops.timer_alloc(fire, done);
	t0 = lkl_host_ops.time();
	CHECK(lkl_host_ops.timer_set_oneshot(timer, 50 * 1000 * 1000) == 0, "timer armed for 50 ms");
	lkl_host_ops.sem_down(done);
	CHECK(lkl_host_ops.time() - t0 >= 50 * 1000 * 1000, "timer fired no earlier than 50 ms");
	lkl_host_ops.timer_free(timer);

	void *m = lkl_host_ops.mem_alloc(1000);
	CHECK(m != NULL, "mem_alloc");
	lkl_host_ops.memset(m, 7, 1000);
	lkl_host_ops.mem_free(m);

	lkl_host_ops.sem_free(done);
	lkl_host_ops.mutex_free(lock);
	CHECK(lkl_sys_halt() == 0, "halt");
	lkl_cleanup();
	return ktest_done();
}
