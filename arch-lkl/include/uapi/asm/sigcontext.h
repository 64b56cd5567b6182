/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* lkl uapi: signal context. Signals are never delivered to a user frame. */
#ifndef _UAPI_ASM_LKL_SIGCONTEXT_H
#define _UAPI_ASM_LKL_SIGCONTEXT_H

#include <asm/ptrace.h>

struct sigcontext {
	struct user_regs_struct regs;
	unsigned long oldmask;
};

#endif
