/* hw platform: the few C library string routines, for a platform with none. */
#include "hw.h"

/*
 * The compiler emits calls to memcpy, memmove, memset and memcmp even in
 * freestanding code (structure copies, the builtins platforms/common uses),
 * so they must exist under those names. They are weak: an image that links
 * a C library (a baked app with lunik's musl) gets the library's faster
 * ones, and ours step aside without a duplicate-symbol error. This file is
 * built with -fno-builtin and no loop-to-libcall transformation, so none
 * of them turns into a call to itself.
 */

/* rep movsb/stosb: fast on CPUs with ERMS, and one helper call under TCG. */
__attribute__((weak)) void *memcpy(void *d, const void *s, size_t n)
{
	void *ret = d;

	__asm__ __volatile__("rep movsb"
			     : "+D"(d), "+S"(s), "+c"(n)
			     :
			     : "memory");
	return ret;
}

__attribute__((weak)) void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp) {
		while (n--)
			*dp++ = *sp++;
	} else {
		while (n--)
			dp[n] = sp[n];
	}
	return d;
}

__attribute__((weak)) void *memset(void *d, int c, size_t n)
{
	void *ret = d;

	__asm__ __volatile__("rep stosb"
			     : "+D"(d), "+c"(n)
			     : "a"(c)
			     : "memory");
	return ret;
}

__attribute__((weak)) int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *hw_memcpy(void *d, const void *s, size_t n)
{
	return memcpy(d, s, n);
}

void *hw_memset(void *d, int c, size_t n)
{
	return memset(d, c, n);
}

size_t hw_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int hw_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int hw_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}
