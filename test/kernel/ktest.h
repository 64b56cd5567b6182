/* ktest.h: tiny TAP-style checks for the C programs that test the kernel library. */
#ifndef KTEST_H
#define KTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lkl.h>

static int ktest_n, ktest_failed;

/* Record one check; msg says what was expected. */
#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		ktest_n++;                                                    \
		if (cond) {                                                   \
			printf("ok %d - ", ktest_n);                          \
		} else {                                                      \
			ktest_failed++;                                       \
			printf("not ok %d - (%s:%d) ", ktest_n, __FILE__,     \
			       __LINE__);                                     \
		}                                                             \
		printf(__VA_ARGS__);                                          \
		printf("\n");                                                 \
		fflush(stdout);                                               \
	} while (0)

/* A syscall result that must be >= 0; evaluates to the result. */
#define OK(call)                                                              \
	({                                                                    \
		long _r = (long)(call);                                       \
		CHECK(_r >= 0, "%s = %ld%s%s", #call, _r, _r < 0 ? " " : "",  \
		      _r < 0 ? lkl_strerror((int)_r) : "");                   \
		_r;                                                           \
	})

/* Stop at once: the rest of the program cannot run without this. */
#define REQUIRE(cond, ...)                                                    \
	do {                                                                  \
		int _ok = !!(cond); /* once: cond may be a call */            \
		CHECK(_ok, __VA_ARGS__);                                      \
		if (!_ok) {                                                   \
			printf("Bail out! required check failed\n");          \
			exit(2);                                              \
		}                                                             \
	} while (0)

static inline int ktest_done(void)
{
	printf("%d passed, %d failed\n", ktest_n - ktest_failed, ktest_failed);
	return ktest_failed ? 1 : 0;
}

#endif
