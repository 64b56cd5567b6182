/* Conformance cases: monotonic and wall clocks. */
#include "ct.h"

#define READS 200000

struct mono_run {
	int backwards;
	int err;
};

static void mono_reads(void *arg)
{
	struct mono_run *r = arg;
	uint64_t prev = 0, now;
	int i;

	for (i = 0; i < READS; i++) {
		r->err |= lhc_clock_ns(LHC_CLOCK_MONO, &now);
		if (now < prev)
			r->backwards++;
		prev = now;
	}
}

static const char *mono_forward(void)
{
	struct mono_run r[3] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	struct lhc_thread *t[2];
	int i, err;

	/* Two threads and the caller at once: per-CPU clocks must agree. */
	for (i = 0; i < 2; i++) {
		err = lhc_thread_create(mono_reads, &r[i], "ct-mono", 1, &t[i]);
		if (err)
			return ct_fail_want("lhc_thread_create", err, 0);
	}
	mono_reads(&r[2]);
	for (i = 0; i < 2; i++)
		lhc_thread_join(t[i]);
	for (i = 0; i < 3; i++) {
		if (r[i].err)
			return "lhc_clock_ns(LHC_CLOCK_MONO) failed";
		if (r[i].backwards)
			return ct_fail_got("clock went backwards, times",
					   r[i].backwards);
	}
	return 0;
}

static const char *mono_advances(void)
{
	uint64_t start = ct_now(), now = start, reads = 0;

	/* Spin, not sleep: sleeping would rely on the timers under test. */
	while (now - start < CT_MS && reads < 500000000ull) {
		now = ct_now();
		reads++;
	}
	if (now - start < CT_MS)
		return "monotonic clock did not advance 1 ms in 500M reads";
	return 0;
}

static const char *wall_plausible(void)
{
	/* 2020-01-01 and 2100-01-01, in seconds since the epoch. */
	const uint64_t lo = 1577836800ull, hi = 4102444800ull;
	uint64_t ns = 0;
	int err = lhc_clock_ns(LHC_CLOCK_WALL, &ns);

	if (err)
		return ct_fail_want("lhc_clock_ns(LHC_CLOCK_WALL)", err, 0);
	if (ns / 1000000000u < lo || ns / 1000000000u > hi)
		return ct_fail_got("wall clock outside 2020..2100, seconds",
				   (long long)(ns / 1000000000u));
	return 0;
}

static const char *bad_clock(void)
{
	uint64_t ns = 12345;
	int err = lhc_clock_ns(7, &ns);

	if (err != LHC_EINVAL)
		return ct_fail_want("clock 7", err, LHC_EINVAL);
	if (ns != 12345)
		return "*ns written while failing";
	err = lhc_clock_ns(-1, &ns);
	if (err != LHC_EINVAL)
		return ct_fail_want("clock -1", err, LHC_EINVAL);
	return 0;
}

const struct ct_case ct_clock_cases[] = {
	{ "monotonic clock never goes backwards (3 threads)", mono_forward },
	{ "monotonic clock advances", mono_advances },
	{ "wall clock is after 2020 and before 2100", wall_plausible },
	{ "unknown clock gives LHC_EINVAL", bad_clock },
	{ 0, 0 },
};
