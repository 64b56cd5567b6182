/* lunik: one program, one address space; there is no second process to
 * start, so vfork fails like fork does (ENOSYS). */
#include <errno.h>
#include <unistd.h>

pid_t vfork(void)
{
	errno = ENOSYS;
	return -1;
}
