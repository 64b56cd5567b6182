/* Hypercall conformance suite: the entry point a platform's wrapper calls. */
#ifndef LUNIK_CONFORMANCE_H
#define LUNIK_CONFORMANCE_H

/*
 * Runs every case against the linked platform, printing TAP-like lines
 * through lhc_putstr and a last line "N passed, N failed". The suite calls
 * lhc_init itself (the handshake is under test) and lhc_fini at the end.
 * Returns 0 if every case passed, 1 otherwise. Call it once, from a thread
 * with a normal stack; it does not bound its own run time, so the wrapper
 * (or whoever starts the machine) must.
 */
int lhc_conformance_run(void);

/*
 * Optional, defined by a platform's wrapper where the platform can run
 * threads it did not create (posix: plain pthreads): run fn(arg) to
 * completion on such a thread, including that thread's exit, and return 0;
 * non-zero if it could not. Cases that need it are skipped without it.
 */
int lhc_conformance_foreign_thread(void (*fn)(void *), void *arg)
	__attribute__((weak));

#endif /* LUNIK_CONFORMANCE_H */
