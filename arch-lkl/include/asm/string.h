/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: the memory routines are the arch's own (kernel/string.c). */
#ifndef _ASM_LKL_STRING_H
#define _ASM_LKL_STRING_H

#include <linux/types.h>

/*
 * lib/string.c copies one byte at a time. Every user copy here is a memcpy
 * (UACCESS_MEMCPY), so socket and file throughput rides on these.
 */
#define __HAVE_ARCH_MEMCPY
void *memcpy(void *dest, const void *src, size_t n);
#define __HAVE_ARCH_MEMSET
void *memset(void *s, int c, size_t n);
#define __HAVE_ARCH_MEMMOVE
void *memmove(void *dest, const void *src, size_t n);

#endif
