/* lunik: threads are the platform's (see <lunik/libc_host.h>). */
#include <stdarg.h>
#include "pthread_impl.h"

int __lunik_host_clone(int (*fn)(void *), void *stack, int flags, void *arg,
		       int *ptid, void *tls, int *ctid);

hidden int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	int *ptid, *ctid;
	void *tls;

	va_start(ap, arg);
	ptid = va_arg(ap, int *);
	tls = va_arg(ap, void *);
	ctid = va_arg(ap, int *);
	va_end(ap);
	return __lunik_host_clone(fn, stack, flags, arg, ptid, tls, ctid);
}
