/* Conformance cases: context save and jump. */
#include "ct.h"

static struct lhc_jmpbuf jb;
static int ran, after_jump;

static void returns(void)
{
	ran++;
}

static void jump_from(int depth);

/* Through a volatile pointer: real frames between lhc_jmp_set and the jump
 * (and no GCC "infinite recursion" warning, which ignores noreturn exits). */
static void (*volatile deeper)(int) = jump_from;

static void jump_from(int depth)
{
	volatile char pad[64];

	pad[0] = (char)depth;
	if (depth > 0)
		deeper(depth - 1);
	ran += pad[0] == depth;
	lhc_jmp_longjmp(&jb);
}

static void jumps(void)
{
	jump_from(20);
	after_jump = 1;
}

static const char *both_paths(void)
{
	/* Computed before, read after: must survive the jump in a
	 * callee-saved register or the stack. */
	long keep = (long)&jb ^ 0x5a5a;
	int returned = 0;

	ran = 0;
	lhc_jmp_set(&jb, returns);
	returned++;
	if (ran != 1 || returned != 1)
		return "f returned, but lhc_jmp_set did not return once";

	ran = 0;
	after_jump = 0;
	lhc_jmp_set(&jb, jumps);
	returned++;
	if (after_jump)
		return "code after lhc_jmp_longjmp ran";
	if (ran != 1)
		return "f did not run up to the jump";
	if (returned != 2)
		return "lhc_jmp_set did not return exactly once";
	if (keep != ((long)&jb ^ 0x5a5a))
		return "a local of the caller was clobbered by the jump";
	return 0;
}

static int loops; /* only the one test thread touches it */

static void loop_jump(void)
{
	loops++;
	jump_from(3);
}

static void repeat(void *arg)
{
	int *ok = arg;
	int i;

	for (i = 0; i < 1000; i++)
		lhc_jmp_set(&jb, loop_jump);
	*ok = loops == 1000;
}

static const char *on_thread(void)
{
	struct lhc_thread *t;
	int ok = 0;

	if (lhc_thread_create(repeat, &ok, "ct-jmp", 1, &t))
		return "lhc_thread_create failed";
	lhc_thread_join(t);
	return ok ? 0 : "1000 set/jump rounds on a thread did not all return";
}

const struct ct_case ct_jmp_cases[] = {
	{ "jmp_set returns once whether f returns or jumps", both_paths },
	{ "1000 set/longjmp rounds on a platform thread", on_thread },
	{ 0, 0 },
};
