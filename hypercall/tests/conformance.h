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

/*
 * Optional, defined by a platform's wrapper where it can choose what the
 * platform's standard input holds (posix: a pipe on fd 0): make standard
 * input deliver exactly the len bytes at data, then, if end is non-zero,
 * end of input; with end zero nothing more ever arrives (and no end
 * either). Called only while the suite has standard input closed. Returns
 * 0, non-zero if it could not. The standard-input cases are skipped
 * without it.
 */
int lhc_conformance_stdin(const void *data, unsigned long len, int end)
	__attribute__((weak));

#endif /* LUNIK_CONFORMANCE_H */
