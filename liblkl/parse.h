/* parse.h: the number parsing liblkl needs, without stdio's scanf. */
#ifndef LIBLKL_PARSE_H
#define LIBLKL_PARSE_H

/*
 * Read an unsigned number in base 10 or 16 at *s, advancing *s past it.
 * Returns 0, or -1 when no digit is there or the value passes 32 bits.
 */
static inline int lkl_parse_uint(const char **s, unsigned int base, unsigned int *out)
{
	unsigned long long v = 0;
	const char *p = *s;

	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A' + 10);
		else
			break;
		v = v * base + d;
		if (v > 0xffffffffULL)
			return -1;
	}
	if (p == *s)
		return -1;
	*s = p;
	*out = (unsigned int)v;
	return 0;
}

#endif
