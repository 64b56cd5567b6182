/* posix platform: the console is the process's standard output. */
#include "hostsys.h"
#include "posix.h"

/*
 * A host write(2) directly rather than stdio: no buffer to flush before
 * lhc_exit or an abort, and concurrent callers' lines stay whole for short
 * writes (pipe and terminal writes under PIPE_BUF are atomic). A raw one
 * (hostsys.h): under a lunik musl, write(1, ...) is the kernel's fd 1.
 */
void lhc_putstr(const char *s, size_t len)
{
	while (len) {
		long n = host_write(1, s, len);

		if (n == -EINTR)
			continue;
		if (n <= 0)
			return; /* cannot fail: a closed console drops it */
		s += n;
		len -= (size_t)n;
	}
}
