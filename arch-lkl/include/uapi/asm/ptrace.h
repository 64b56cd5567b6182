/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* lkl uapi: register set. There are no user registers: syscalls are calls. */
#ifndef _UAPI_ASM_LKL_PTRACE_H
#define _UAPI_ASM_LKL_PTRACE_H

#ifndef __ASSEMBLY__
struct user_regs_struct {
	unsigned long regs[8];
};
#endif

#endif
