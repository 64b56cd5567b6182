// SPDX-License-Identifier: GPL-2.0
/* lkl: memcpy, memset and memmove fast enough for the network and file paths. */

#include <linux/export.h>
#include <linux/string.h>
#include <linux/types.h>

/*
 * The arch runs on whatever CPU the host has. On x86_64 the string
 * instructions are the fastest copy for all but tiny sizes (ERMS); elsewhere
 * copy a word at a time once both pointers share an alignment.
 */

#define WORD sizeof(unsigned long)
#define ALIGNED(a, b) ((((unsigned long)(a)) | ((unsigned long)(b))) % WORD == 0)

void *memcpy(void *dest, const void *src, size_t n)
{
#ifdef __x86_64__
	void *d = dest;

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
#else
	unsigned char *d = dest;
	const unsigned char *s = src;

	while (n && !ALIGNED(d, s) && ((unsigned long)d ^ (unsigned long)s) % WORD == 0) {
		*d++ = *s++;
		n--;
	}
	if (ALIGNED(d, s)) {
		for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
			*(unsigned long *)d = *(const unsigned long *)s;
	}
	while (n--)
		*d++ = *s++;
#endif
	return dest;
}
EXPORT_SYMBOL(memcpy);

void *memset(void *s, int c, size_t n)
{
#ifdef __x86_64__
	void *d = s;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
#else
	unsigned char *d = s;
	unsigned long w = (unsigned char)c * (~0UL / 0xff);

	while (n && (unsigned long)d % WORD) {
		*d++ = (unsigned char)c;
		n--;
	}
	for (; n >= WORD; n -= WORD, d += WORD)
		*(unsigned long *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
#endif
	return s;
}
EXPORT_SYMBOL(memset);

void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dest, src, n);
	/* overlapping, destination above: copy backwards */
#ifdef __x86_64__
	{
		void *de = d + n - 1;
		const void *se = s + n - 1;

		asm volatile("std\n\trep movsb\n\tcld" : "+D"(de), "+S"(se), "+c"(n) : : "memory");
	}
#else
	while (n--)
		d[n] = s[n];
#endif
	return dest;
}
EXPORT_SYMBOL(memmove);
