/* hw platform: the conformance image's program (the suite on the boot thread). */
#include "conformance.h"
#include "hw.h"

/*
 * The suite's status becomes the machine's (lhc_exit): 0 when every case
 * passed. Its run time is bounded by whoever starts QEMU (lunik
 * conformance --platform hw). No foreign threads and no standard-input
 * feed exist here: a serial line has no end of input to feed (stdio.c),
 * so those cases skip; tests/selftest.c covers serial input end to end.
 */
int hw_main(void)
{
	return lhc_conformance_run();
}
