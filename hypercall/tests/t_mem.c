/* Conformance cases: aligned memory allocation. */
#include "ct.h"

/* Allocate, check alignment, touch both ends; keep a few live at once so
 * overlapping or duplicated blocks would show. */
static const char *try_align(size_t align, size_t len)
{
	enum { N = 3 };
	unsigned char *p[N];
	int i, j, err;

	for (i = 0; i < N; i++) {
		void *v = 0;

		err = lhc_malloc(len, align, &v);
		if (err)
			return ct_fail_want("lhc_malloc", err, 0);
		if (!v)
			return "lhc_malloc returned 0 with a NULL pointer";
		if ((uintptr_t)v & (align - 1))
			return ct_fail_got("misaligned block for align",
					   (long long)align);
		p[i] = v;
		p[i][0] = (unsigned char)i;
		p[i][len - 1] = (unsigned char)i;
	}
	for (i = 0; i < N; i++) {
		for (j = 0; j < N; j++) {
			if (i != j && p[i] < p[j] + len && p[j] < p[i] + len)
				return "two live blocks overlap";
		}
		if (p[i][0] != i || p[i][len - 1] != i)
			return "block contents changed";
	}
	for (i = 0; i < N; i++)
		lhc_free(p[i], len);
	return 0;
}

static const char *aligned(void)
{
	size_t align;
	const char *why;

	for (align = 8; align <= 4096; align <<= 1) {
		why = try_align(align, 1);
		if (!why)
			why = try_align(align, 3 * align + 5);
		if (why)
			return why;
	}
	return try_align(2u << 20, 64 * 1024);
}

static const char *bad_args(void)
{
	static const size_t bad_align[] = { 0, 1, 2, 4, 24, 3 * 4096 };
	unsigned int i;
	void *v = (void *)&v;
	int err;

	for (i = 0; i < sizeof(bad_align) / sizeof(bad_align[0]); i++) {
		/* 4 is a power of two, but below sizeof(void *) on 64-bit. */
		if (bad_align[i] == 4 && sizeof(void *) == 4)
			continue;
		err = lhc_malloc(16, bad_align[i], &v);
		if (err != LHC_EINVAL)
			return ct_fail_want("bad alignment", err, LHC_EINVAL);
		if (v != (void *)&v)
			return "*ret written while failing";
	}
	err = lhc_malloc(0, 16, &v);
	if (err != LHC_EINVAL)
		return ct_fail_want("len 0", err, LHC_EINVAL);
	if (v != (void *)&v)
		return "*ret written while failing";
	lhc_free(0, 0);
	return 0;
}

static const char *huge(void)
{
	void *v = (void *)&v;
	int err = lhc_malloc((size_t)-1 / 2, 16, &v);

	if (err != LHC_ENOMEM)
		return ct_fail_want("half the address space", err, LHC_ENOMEM);
	if (v != (void *)&v)
		return "*ret written while failing";
	return 0;
}

const struct ct_case ct_mem_cases[] = {
	{ "malloc aligns to 8..4096 and 2 MiB", aligned },
	{ "malloc rejects bad alignment and len 0 with LHC_EINVAL", bad_args },
	{ "malloc of an impossible size gives LHC_ENOMEM", huge },
	{ 0, 0 },
};
