/* SPDX-License-Identifier: GPL-2.0 */
/* lkl: xchg/cmpxchg on the compiler's atomics (kernel code runs on many
 * host threads, one at a time, but IRQ delivery threads may race). */
#ifndef _ASM_LKL_CMPXCHG_H
#define _ASM_LKL_CMPXCHG_H

#define arch_xchg(ptr, x) \
	__atomic_exchange_n((ptr), (x), __ATOMIC_SEQ_CST)

#define arch_cmpxchg(ptr, o, n)						\
({									\
	__typeof__(*(ptr)) __lkl_old = (o);				\
	__atomic_compare_exchange_n((ptr), &__lkl_old, (n), 0,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__lkl_old;							\
})

#define arch_cmpxchg_local(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))
#define arch_cmpxchg64(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))
#define arch_cmpxchg64_local(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))

#endif
