/* posix platform: the console is the process's standard output. */
#include <unistd.h>

#include "posix.h"

/*
 * write(2) directly rather than stdio: no buffer to flush before lhc_exit or
 * an abort, and concurrent callers' lines stay whole for short writes (pipe
 * and terminal writes under PIPE_BUF are atomic).
 */
void lhc_putstr(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(1, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* cannot fail: a closed console drops it */
		s += n;
		len -= (size_t)n;
	}
}
