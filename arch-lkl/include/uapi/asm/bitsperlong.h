/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* lkl uapi: word size. The library is 64-bit only. */
#ifndef _UAPI_ASM_LKL_BITSPERLONG_H
#define _UAPI_ASM_LKL_BITSPERLONG_H

#define __BITS_PER_LONG 64
#define __BITS_PER_LONG_LONG 64

#include <asm-generic/bitsperlong.h>

#endif
