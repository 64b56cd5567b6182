/* lunik: cancellation points without a system call instruction. */
#include "pthread_impl.h"
#include "syscall.h"

/*
 * Cancellation points. musl's asm version makes the system call between
 * the labels __cp_begin and __cp_end, so that a cancellation signal landing
 * there can act at once. Here the call is a function call into the kernel,
 * which a signal handler cannot interrupt safely, so cancellation is acted
 * on when a cancellation point is entered (the labels mark an empty range).
 */
__asm__(
	".text\n"
	".global __cp_begin\n.hidden __cp_begin\n"
	".global __cp_end\n.hidden __cp_end\n"
	".global __cp_cancel\n.hidden __cp_cancel\n"
	"__cp_begin:\n__cp_end:\n__cp_cancel:\n"
	"	jmp __cancel\n");

hidden long __cancel(void);
hidden long __lunik_syscall(long, long, long, long, long, long, long);

hidden long __syscall_cp_asm(volatile int *cancel, syscall_arg_t nr,
			     syscall_arg_t u, syscall_arg_t v, syscall_arg_t w,
			     syscall_arg_t x, syscall_arg_t y, syscall_arg_t z)
{
	if (*cancel)
		return __cancel();
	return __lunik_syscall(nr, u, v, w, x, y, z);
}
