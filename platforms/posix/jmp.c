/* posix platform: context jump on top of the C library's _setjmp/_longjmp. */
#include <setjmp.h>

#include "posix.h"

/*
 * The underscore variants neither save nor restore the signal mask: a jump
 * stays a few register loads, with no sigprocmask system call.
 */
_Static_assert(sizeof(jmp_buf) <= sizeof(struct lhc_jmpbuf),
	       "jmp_buf does not fit in struct lhc_jmpbuf");
_Static_assert(_Alignof(jmp_buf) <= _Alignof(struct lhc_jmpbuf),
	       "struct lhc_jmpbuf is not aligned enough for jmp_buf");

/* jmp_buf is an array type, so the cast goes through a pointer to it. */
#define JB(jb) (*(jmp_buf *)(void *)(jb)->regs)

void lhc_jmp_set(struct lhc_jmpbuf *jb, void (*f)(void))
{
	/* Our frame stays live while f runs, so a longjmp back here is valid;
	 * nothing is modified between _setjmp and the jump, so no volatile. */
	if (_setjmp(JB(jb)) == 0)
		f();
}

void lhc_jmp_longjmp(struct lhc_jmpbuf *jb)
{
	_longjmp(JB(jb), 1);
}
