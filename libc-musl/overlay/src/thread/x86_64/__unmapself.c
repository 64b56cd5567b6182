/* lunik: a detached thread frees its own stack through the platform. */
#include "pthread_impl.h"

_Noreturn void __lunik_host_unmapself(void *base, unsigned long size);

_Noreturn void __unmapself(void *base, size_t size)
{
	__lunik_host_unmapself(base, size);
}
