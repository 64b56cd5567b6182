/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkl: MMIO. Device registers live in windows inside [LKL_IOMEM_BASE,
 * LKL_IOMEM_END) (the hypercall interface's LHC_IOMEM_*, a range that is
 * never memory); an access there becomes lhc_iomem_access, any other
 * address is plain memory. ioremap is the identity (NOMMU).
 */
#ifndef _ASM_LKL_IO_H
#define _ASM_LKL_IO_H

#include <linux/types.h>
#include <linux/compiler.h>

#define LKL_IOMEM_BASE 0xffffff0000000000UL
#define LKL_IOMEM_END 0xffffff8000000000UL

u64 lkl_iomem_read(const volatile void __iomem *addr, int size);
void lkl_iomem_write(volatile void __iomem *addr, u64 val, int size);

static inline bool lkl_is_iomem(const volatile void __iomem *addr)
{
	unsigned long a = (unsigned long)addr;

	return a >= LKL_IOMEM_BASE && a < LKL_IOMEM_END;
}

#define LKL_RAW_IO(sfx, type)						\
static inline type __raw_read##sfx(const volatile void __iomem *addr)	\
{									\
	if (unlikely(lkl_is_iomem(addr)))				\
		return (type)lkl_iomem_read(addr, sizeof(type));	\
	return *(const volatile type __force *)addr;			\
}									\
static inline void __raw_write##sfx(type val, volatile void __iomem *addr) \
{									\
	if (unlikely(lkl_is_iomem(addr)))				\
		lkl_iomem_write(addr, val, sizeof(type));		\
	else								\
		*(volatile type __force *)addr = val;			\
}

LKL_RAW_IO(b, u8)
LKL_RAW_IO(w, u16)
LKL_RAW_IO(l, u32)
LKL_RAW_IO(q, u64)
#undef LKL_RAW_IO

#define __raw_readb __raw_readb
#define __raw_readw __raw_readw
#define __raw_readl __raw_readl
#define __raw_readq __raw_readq
#define __raw_writeb __raw_writeb
#define __raw_writew __raw_writew
#define __raw_writel __raw_writel
#define __raw_writeq __raw_writeq

#include <asm-generic/io.h>

#endif
