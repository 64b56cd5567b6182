/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: <stddef.h> for hypercall.h inside the kernel (no libc headers here). */
#ifndef _LKL_SHIM_STDDEF_H
#define _LKL_SHIM_STDDEF_H
#include <linux/stddef.h>
#include <linux/types.h>
#endif
