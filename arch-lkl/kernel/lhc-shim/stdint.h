/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: <stdint.h> for hypercall.h inside the kernel (no libc headers here). */
#ifndef _LKL_SHIM_STDINT_H
#define _LKL_SHIM_STDINT_H
#include <linux/types.h>
#endif
