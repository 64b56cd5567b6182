/* Hypercall conformance suite: helpers shared by the case files. */
#ifndef LUNIK_CT_H
#define LUNIK_CT_H

#include <lunik/hypercall.h>

#include "conformance.h"

/*
 * A case returns NULL when it passes, CT_SKIP (with ct_skip_reason set) when
 * it cannot run here, or a reason for the failure: a string literal or one
 * built by ct_fail*() (valid until the next such call).
 */
typedef const char *(*ct_fn)(void);

struct ct_case {
	const char *name;
	ct_fn fn;
};

/* Each case file exports one table, ended by { 0, 0 }. */
extern const struct ct_case ct_init_cases[];
extern const struct ct_case ct_mem_cases[];
extern const struct ct_case ct_clock_cases[];
extern const struct ct_case ct_thread_cases[];
extern const struct ct_case ct_sync_cases[];
extern const struct ct_case ct_tls_cases[];
extern const struct ct_case ct_timer_cases[];
extern const struct ct_case ct_jmp_cases[];
extern const struct ct_case ct_vdev_cases[];
extern const struct ct_case ct_stdio_cases[];
extern const struct ct_case ct_pci_cases[];
extern const struct ct_case ct_fini_cases[];

extern const char ct_skip[];
#define CT_SKIP ct_skip
extern const char *ct_skip_reason;

/* Set by the init cases once lhc_init succeeded; later groups need it. */
extern int ct_initialised;
/* The capability bits lhc_init reported. */
extern uint32_t ct_caps;
/* How many times the platform called irq_raise, in all and for one line. */
int ct_irq_count(void);
int ct_irq_line_count(int irq);

/* Upcalls the suite registers; counts raised interrupts. */
extern const struct lhc_upcalls ct_upcalls;

#define CT_MS 1000000ull
/* How late a timer may fire on a loaded 2-core host before we fail it. */
#define CT_TIMER_SLACK_NS (20 * CT_MS)

/* Failure reasons: "what", "what (got G)", "what (got G, want W)". */
const char *ct_fail_got(const char *what, long long got);
const char *ct_fail_want(const char *what, long long got, long long want);

/* "# " + text + value + unit, one diagnostic line (not a test result). */
void ct_diag(const char *text, long long value, const char *unit);

/* Freestanding bits: no libc in the suite. */
unsigned long ct_strlen(const char *s);
int ct_streq(const char *a, const char *b);
void ct_puts(const char *s);

uint64_t ct_now(void);
/* Block the caller for at least ns, using a timer and a semaphore. */
void ct_sleep_ns(uint64_t ns);
/* Wait until *flag != 0 (acquire), polling every ms; 0 on timeout. */
int ct_wait_flag(int *flag, uint64_t timeout_ns);
/* Busy-wait ns on the monotonic clock, without blocking. */
void ct_spin_ns(uint64_t ns);

/* Relaxed-enough atomics from the compiler, no libc needed. */
#define ct_load(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ct_store(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ct_inc(p) __atomic_add_fetch((p), 1, __ATOMIC_ACQ_REL)
#define ct_dec(p) __atomic_sub_fetch((p), 1, __ATOMIC_ACQ_REL)

#endif /* LUNIK_CT_H */
