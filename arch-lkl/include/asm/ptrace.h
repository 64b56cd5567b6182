/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: pt_regs placeholder; there is never a trapped user context. */
#ifndef _ASM_LKL_PTRACE_H
#define _ASM_LKL_PTRACE_H

#include <uapi/asm/ptrace.h>

#ifndef __ASSEMBLY__
struct pt_regs {
	unsigned long regs[8];
	long orig_syscall;
};

#define user_mode(regs)			(0)
#define kernel_mode(regs)		(1)
#define instruction_pointer(regs)	(0UL)
#define profile_pc(regs)		instruction_pointer(regs)
#define user_stack_pointer(regs)	(0UL)
#define arch_has_single_step()		(0)
#define current_pt_regs()		(&current->thread.regs)
#endif

#endif
