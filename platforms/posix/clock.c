/* posix platform: monotonic and wall clocks from clock_gettime. */
#include <time.h>

#include "posix.h"

int lhc_clock_ns(int clock, uint64_t *ns)
{
	struct timespec ts;
	clockid_t id;

	switch (clock) {
	case LHC_CLOCK_MONO:
		id = CLOCK_MONOTONIC;
		break;
	case LHC_CLOCK_WALL:
		id = CLOCK_REALTIME;
		break;
	default:
		return LHC_EINVAL;
	}
	if (clock_gettime(id, &ts))
		posix_die("clock_gettime", errno);
	*ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return 0;
}
