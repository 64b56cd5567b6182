/*
 * posix platform: the libc host interface (<lunik/libc_host.h>) for apps
 * built with lunik's musl. The calls musl keeps for the host are passed to
 * Linux as they are: only the numbers differ, musl using the kernel
 * library's asm-generic numbering and the host being x86_64.
 *
 * Nothing here uses libc: this file is linked under musl, whose own system
 * call functions go to the kernel library.
 */
#include <lunik/libc_host.h>

#define ENOSYS 38

/* asm-generic number → x86_64 number, for the calls musl sends here. */
static const struct {
	short generic, x86_64;
} host_calls[] = {
	{ 98, 202 },	/* futex */
	{ 96, 218 },	/* set_tid_address */
	{ 99, 273 },	/* set_robust_list */
	{ 100, 274 },	/* get_robust_list */
	{ 93, 60 },	/* exit */
	{ 94, 231 },	/* exit_group */
	{ 178, 186 },	/* gettid */
	{ 130, 200 },	/* tkill */
	{ 131, 234 },	/* tgkill */
	{ 124, 24 },	/* sched_yield */
	{ 135, 14 },	/* rt_sigprocmask */
	{ 283, 324 },	/* membarrier */
	{ 113, 228 },	/* clock_gettime */
	{ 114, 229 },	/* clock_getres */
	{ 169, 96 },	/* gettimeofday */
	{ 101, 35 },	/* nanosleep */
	{ 115, 230 },	/* clock_nanosleep */
	{ 222, 9 },	/* mmap */
	{ 215, 11 },	/* munmap */
	{ 216, 25 },	/* mremap */
	{ 226, 10 },	/* mprotect */
	{ 233, 28 },	/* madvise */
	{ 214, 12 },	/* brk */
	/* the host's files, for the runtime's copy of the working directory */
	{ 17, 79 },	/* getcwd */
	{ 56, 257 },	/* openat */
	{ 57, 3 },	/* close */
	{ 61, 217 },	/* getdents64 */
	{ 63, 0 },	/* read */
	{ 64, 1 },	/* write */
	{ 79, 262 },	/* newfstatat */
};

static long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	unsigned long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10),
			       "r"(r8), "r"(r9)
			     : "rcx", "r11", "memory");
	return ret;
}

long __lunik_host_syscall(long n, long a, long b, long c, long d, long e,
			  long f)
{
	unsigned i;

	for (i = 0; i < sizeof(host_calls) / sizeof(host_calls[0]); i++)
		if (host_calls[i].generic == n)
			return raw6(host_calls[i].x86_64, a, b, c, d, e, f);
	return -ENOSYS;
}

int __lunik_host_set_tp(void *tp)
{
	return raw6(158 /* arch_prctl */, 0x1002 /* ARCH_SET_FS */, (long)tp,
		    0, 0, 0, 0);
}

/*
 * __lunik_host_clone(fn, stack, flags, arg, ptid, tls, ctid) as Linux's
 * clone(flags, stack, ptid, ctid, tls). fn and arg ride on the new stack,
 * since the child returns from the system call with only its registers and
 * that stack; it pops them, calls fn(arg) and exits with fn's result.
 */
__asm__(
	".text\n"
	".global __lunik_host_clone\n"
	".type __lunik_host_clone,@function\n"
	"__lunik_host_clone:\n"
	"	and $-16,%rsi\n"
	"	sub $16,%rsi\n"
	"	mov %rdi,(%rsi)\n"	/* fn */
	"	mov %rcx,8(%rsi)\n"	/* arg */
	"	mov %edx,%edi\n"	/* flags */
	"	mov %r8,%rdx\n"		/* ptid */
	"	mov 8(%rsp),%r10\n"	/* ctid */
	"	mov %r9,%r8\n"		/* tls */
	"	mov $56,%eax\n"		/* clone */
	"	syscall\n"
	"	test %rax,%rax\n"
	"	jnz 1f\n"
	"	xor %ebp,%ebp\n"	/* the child: outermost frame */
	"	pop %r11\n"
	"	pop %rdi\n"
	"	call *%r11\n"
	"	mov %eax,%edi\n"
	"	mov $60,%eax\n"		/* exit */
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size __lunik_host_clone,.-__lunik_host_clone\n"
	"\n"
	".global __lunik_host_unmapself\n"
	".type __lunik_host_unmapself,@function\n"
	"__lunik_host_unmapself:\n"
	"	mov $11,%eax\n"		/* munmap(base, size): no stack use after */
	"	syscall\n"
	"	xor %edi,%edi\n"
	"	mov $60,%eax\n"		/* exit(0) */
	"	syscall\n"
	"	hlt\n"
	".size __lunik_host_unmapself,.-__lunik_host_unmapself\n");
