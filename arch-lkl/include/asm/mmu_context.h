/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: one address space, so switching mm does nothing. */
#ifndef _ASM_LKL_MMU_CONTEXT_H
#define _ASM_LKL_MMU_CONTEXT_H

#include <asm-generic/nommu_context.h>

#endif
