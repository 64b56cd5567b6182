/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: no arch vmalloc hooks (vmalloc is kmalloc-backed without an MMU). */
#ifndef _ASM_LKL_VMALLOC_H
#define _ASM_LKL_VMALLOC_H
#endif
