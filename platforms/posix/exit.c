/* posix platform: lhc_exit, lhc_panic and the platform's own fatal errors. */
#include <stdlib.h>
#include <string.h>

#include "hostsys.h"
#include "posix.h"

/* Best-effort write to the host's stderr (a raw write: see hostsys.h): we
 * are about to abort, so errors are moot. */
static void put_err(const char *s)
{
	size_t len = strlen(s);

	while (len) {
		long n = host_write(2, s, len);

		if (n == -EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

void lhc_exit(int status)
{
	exit(status);
}

void lhc_panic(const char *msg)
{
	put_err("lunik: panic: ");
	put_err(msg ? msg : "(null)");
	put_err("\n");
	abort();
}

void posix_die(const char *what, int err)
{
	put_err("lunik: posix platform: ");
	put_err(what);
	put_err(": ");
	put_err(strerror(err));
	put_err("\n");
	abort();
}
