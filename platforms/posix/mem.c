/* posix platform: aligned memory from the C library's allocator. */
#include <stdlib.h>

#include "posix.h"

int lhc_malloc(size_t len, size_t align, void **ret)
{
	void *p;
	int err;

	if (len == 0 || align < sizeof(void *) || (align & (align - 1)))
		return LHC_EINVAL;
	err = posix_memalign(&p, align, len);
	if (err)
		return err == EINVAL ? LHC_EINVAL : LHC_ENOMEM;
	*ret = p;
	return 0;
}

void lhc_free(void *p, size_t len)
{
	(void)len; /* free() knows the size; other platforms may need it */
	free(p);
}
