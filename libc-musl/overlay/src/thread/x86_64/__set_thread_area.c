/* lunik: the thread pointer is set by the platform. */
#include "pthread_impl.h"

int __lunik_host_set_tp(void *tp);

hidden int __set_thread_area(void *p)
{
	return __lunik_host_set_tp(p);
}
