/* Hypercall conformance suite: case runner, TAP output, small helpers. */
#include "ct.h"

const char ct_skip[] = "skip";
const char *ct_skip_reason;
int ct_initialised;
uint32_t ct_caps;

static int irqs_raised;
static int irqs_by_line[LHC_IRQ_MAX + 1];

static void ct_irq_raise(int irq)
{
	ct_inc(&irqs_raised);
	if (irq >= 0 && irq <= LHC_IRQ_MAX)
		ct_inc(&irqs_by_line[irq]);
}

const struct lhc_upcalls ct_upcalls = { .irq_raise = ct_irq_raise };

int ct_irq_count(void)
{
	return ct_load(&irqs_raised);
}

int ct_irq_line_count(int irq)
{
	return irq >= 0 && irq <= LHC_IRQ_MAX ? ct_load(&irqs_by_line[irq]) : 0;
}

unsigned long ct_strlen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

int ct_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

void ct_puts(const char *s)
{
	lhc_putstr(s, ct_strlen(s));
}

/* A bounded string builder; output past the end is dropped. */
struct ct_buf {
	char s[240];
	unsigned long n;
};

static void buf_str(struct ct_buf *b, const char *s)
{
	while (*s && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = *s++;
	b->s[b->n] = 0;
}

static void buf_num(struct ct_buf *b, long long v)
{
	char tmp[24];
	int i = 0;
	/* Negate in unsigned arithmetic so LLONG_MIN works too. */
	unsigned long long u =
		v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		tmp[i++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[i++] = '-';
	while (i && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = tmp[--i];
	b->s[b->n] = 0;
}

static struct ct_buf reason;

const char *ct_fail_got(const char *what, long long got)
{
	reason.n = 0;
	buf_str(&reason, what);
	buf_str(&reason, " (got ");
	buf_num(&reason, got);
	buf_str(&reason, ")");
	return reason.s;
}

const char *ct_fail_want(const char *what, long long got, long long want)
{
	reason.n = 0;
	buf_str(&reason, what);
	buf_str(&reason, " (got ");
	buf_num(&reason, got);
	buf_str(&reason, ", want ");
	buf_num(&reason, want);
	buf_str(&reason, ")");
	return reason.s;
}

void ct_diag(const char *text, long long value, const char *unit)
{
	struct ct_buf b = { .n = 0 };

	buf_str(&b, "# ");
	buf_str(&b, text);
	buf_num(&b, value);
	buf_str(&b, unit);
	buf_str(&b, "\n");
	lhc_putstr(b.s, b.n);
}

uint64_t ct_now(void)
{
	uint64_t ns = 0;

	if (lhc_clock_ns(LHC_CLOCK_MONO, &ns))
		lhc_panic("conformance: monotonic clock unavailable");
	return ns;
}

static void sleep_wake(void *arg)
{
	lhc_sem_up(arg);
}

void ct_sleep_ns(uint64_t ns)
{
	struct lhc_timer *t;
	struct lhc_sem *s;

	if (lhc_sem_alloc(0, &s) || lhc_timer_alloc(sleep_wake, s, &t))
		lhc_panic("conformance: cannot allocate a sleep timer");
	lhc_timer_set(t, ns);
	lhc_sem_down(s);
	lhc_timer_free(t);
	lhc_sem_free(s);
}

int ct_wait_flag(int *flag, uint64_t timeout_ns)
{
	uint64_t end = ct_now() + timeout_ns;

	while (!ct_load(flag)) {
		if (ct_now() >= end)
			return 0;
		ct_sleep_ns(CT_MS);
	}
	return 1;
}

void ct_spin_ns(uint64_t ns)
{
	uint64_t end = ct_now() + ns;

	while (ct_now() < end)
		;
}

static const struct ct_case *const groups[] = {
	ct_init_cases,	 ct_mem_cases,	ct_clock_cases,
	ct_thread_cases, ct_sync_cases, ct_tls_cases,
	ct_timer_cases,	 ct_jmp_cases,	ct_vdev_cases,
	ct_stdio_cases,	 ct_pci_cases,	ct_fini_cases,
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

int lhc_conformance_run(void)
{
	const struct ct_case *c;
	struct ct_buf b;
	long long n = 0, passed = 0, failed = 0;
	unsigned long g;

	for (g = 0; g < NGROUPS; g++)
		for (c = groups[g]; c->name; c++)
			n++;
	b.n = 0;
	buf_str(&b, "1..");
	buf_num(&b, n);
	buf_str(&b, "\n");
	lhc_putstr(b.s, b.n);

	n = 0;
	for (g = 0; g < NGROUPS; g++) {
		for (c = groups[g]; c->name; c++) {
			const char *why;

			/* Without a platform only init cases make sense. */
			if (g > 0 && !ct_initialised)
				why = "not run: lhc_init never succeeded";
			else
				why = c->fn();
			b.n = 0;
			buf_str(&b, why && why != CT_SKIP ? "not ok " : "ok ");
			buf_num(&b, ++n);
			buf_str(&b, " - ");
			buf_str(&b, c->name);
			if (why == CT_SKIP) {
				buf_str(&b, " # SKIP ");
				buf_str(&b, ct_skip_reason);
				passed++;
			} else if (why) {
				buf_str(&b, ": ");
				buf_str(&b, why);
				failed++;
			} else {
				passed++;
			}
			buf_str(&b, "\n");
			lhc_putstr(b.s, b.n);
		}
	}
	if (ct_initialised)
		lhc_fini();

	b.n = 0;
	buf_num(&b, passed);
	buf_str(&b, " passed, ");
	buf_num(&b, failed);
	buf_str(&b, " failed\n");
	lhc_putstr(b.s, b.n);
	return failed ? 1 : 0;
}
