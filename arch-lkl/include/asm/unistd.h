/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: kernel-side syscall numbers and the legacy calls the arch wants. */
#ifndef _ASM_LKL_UNISTD_H
#define _ASM_LKL_UNISTD_H

#include <uapi/asm/unistd.h>

#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SYS_CLONE
#define __ARCH_WANT_SYS_CLONE3

#define NR_syscalls __NR_syscalls

#endif
