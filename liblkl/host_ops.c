/* host_ops.c: lkl_host_ops, LKL's host operations as adapters over the hypercalls. */
#include <string.h>

#include <lkl_host.h>
#include <lunik/hypercall.h>

_Static_assert(sizeof(struct lkl_jmp_buf) >= sizeof(struct lhc_jmpbuf), "lkl_jmp_buf holds an lhc_jmpbuf");

static void print(const char *str, int len)
{
	lhc_putstr(str, (size_t)len);
}

static struct lkl_sem *sem_alloc(int count)
{
	struct lhc_sem *s;

	return lhc_sem_alloc(count, &s) ? NULL : (struct lkl_sem *)s;
}

static void sem_free(struct lkl_sem *s)
{
	lhc_sem_free((struct lhc_sem *)s);
}

static void sem_up(struct lkl_sem *s)
{
	lhc_sem_up((struct lhc_sem *)s);
}

static void sem_down(struct lkl_sem *s)
{
	lhc_sem_down((struct lhc_sem *)s);
}

static struct lkl_mutex *mutex_alloc(int recursive)
{
	struct lhc_mutex *m;

	return lhc_mutex_alloc(recursive ? LHC_MTX_RECURSIVE : 0, &m) ? NULL : (struct lkl_mutex *)m;
}

static void mutex_free(struct lkl_mutex *m)
{
	lhc_mutex_free((struct lhc_mutex *)m);
}

static void mutex_lock(struct lkl_mutex *m)
{
	lhc_mutex_lock((struct lhc_mutex *)m);
}

static void mutex_unlock(struct lkl_mutex *m)
{
	lhc_mutex_unlock((struct lhc_mutex *)m);
}

/*
 * Threads are joinable as in LKL. The hypercall interface fixes joinability
 * at creation, so thread_detach cannot release a running thread's handle:
 * a detached thread that is never joined keeps its (small) handle until the
 * program ends.
 */
static lkl_thread_t thread_create(void (*f)(void *), void *arg)
{
	struct lhc_thread *t;

	return lhc_thread_create(f, arg, "lkl-host", 1, &t) ? 0 : (lkl_thread_t)t;
}

static void thread_detach(void)
{
}

static void thread_exit(void)
{
	lhc_thread_exit();
}

static int thread_join(lkl_thread_t t)
{
	return lhc_thread_join((struct lhc_thread *)t) ? -1 : 0;
}

static lkl_thread_t thread_self(void)
{
	return (lkl_thread_t)lhc_thread_self();
}

static int thread_equal(lkl_thread_t a, lkl_thread_t b)
{
	return a == b;
}

static long gettid(void)
{
	return lhc_thread_id();
}

static struct lkl_tls_key *tls_alloc(void (*destructor)(void *))
{
	struct lhc_tls_key *k;

	return lhc_tls_alloc(destructor, &k) ? NULL : (struct lkl_tls_key *)k;
}

static void tls_free(struct lkl_tls_key *k)
{
	lhc_tls_free((struct lhc_tls_key *)k);
}

static int tls_set(struct lkl_tls_key *k, void *data)
{
	return lhc_tls_set((struct lhc_tls_key *)k, data) ? -1 : 0;
}

static void *tls_get(struct lkl_tls_key *k)
{
	return lhc_tls_get((struct lhc_tls_key *)k);
}

/* mem_free gets no size, but lhc_free wants one: keep it in front of the block. */
#define MEM_HEADER 16

static void *mem_alloc(unsigned long size)
{
	void *p;

	if (lhc_malloc(size + MEM_HEADER, MEM_HEADER, &p))
		return NULL;
	*(unsigned long *)p = size;
	return (char *)p + MEM_HEADER;
}

static void mem_free(void *ptr)
{
	char *base;

	if (!ptr)
		return;
	base = (char *)ptr - MEM_HEADER;
	lhc_free(base, *(unsigned long *)base + MEM_HEADER);
}

static void *page_alloc(unsigned long size)
{
	void *p;

	return lhc_malloc(size, 4096, &p) ? NULL : p;
}

static void page_free(void *addr, unsigned long size)
{
	lhc_free(addr, size);
}

static unsigned long long time_ns(void)
{
	uint64_t ns = 0;

	lhc_clock_ns(LHC_CLOCK_MONO, &ns);
	return ns;
}

static void *timer_alloc(void (*fn)(void *), void *arg)
{
	struct lhc_timer *t;

	return lhc_timer_alloc(fn, arg, &t) ? NULL : t;
}

static int timer_set_oneshot(void *t, unsigned long delta_ns)
{
	return lhc_timer_set(t, delta_ns) ? -1 : 0;
}

static void timer_free(void *t)
{
	lhc_timer_free(t);
}

static void jmp_buf_set(struct lkl_jmp_buf *jb, void (*f)(void))
{
	lhc_jmp_set((struct lhc_jmpbuf *)jb, f);
}

/* LKL passes a value that lhc_jmp_set does not return; nothing reads it. */
static void jmp_buf_longjmp(struct lkl_jmp_buf *jb, int val)
{
	(void)val;
	lhc_jmp_longjmp((struct lhc_jmpbuf *)jb);
}

static void *copy(void *dest, const void *src, unsigned long n)
{
	return memcpy(dest, src, n);
}

static void *fill(void *s, int c, unsigned long n)
{
	return memset(s, c, n);
}

struct lkl_host_operations lkl_host_ops = {
	.print = print,
	.sem_alloc = sem_alloc,
	.sem_free = sem_free,
	.sem_up = sem_up,
	.sem_down = sem_down,
	.mutex_alloc = mutex_alloc,
	.mutex_free = mutex_free,
	.mutex_lock = mutex_lock,
	.mutex_unlock = mutex_unlock,
	.thread_create = thread_create,
	.thread_detach = thread_detach,
	.thread_exit = thread_exit,
	.thread_join = thread_join,
	.thread_self = thread_self,
	.thread_equal = thread_equal,
	.gettid = gettid,
	.tls_alloc = tls_alloc,
	.tls_free = tls_free,
	.tls_set = tls_set,
	.tls_get = tls_get,
	.mem_alloc = mem_alloc,
	.mem_free = mem_free,
	.page_alloc = page_alloc,
	.page_free = page_free,
	.time = time_ns,
	.timer_alloc = timer_alloc,
	.timer_set_oneshot = timer_set_oneshot,
	.timer_free = timer_free,
	.jmp_buf_set = jmp_buf_set,
	.jmp_buf_longjmp = jmp_buf_longjmp,
	.memcpy = copy,
	.memset = fill,
};
