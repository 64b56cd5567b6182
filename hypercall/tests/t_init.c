/* Conformance cases: version handshake, init/fini and platform parameters. */
#include "ct.h"

#define KNOWN_CAPS (LHC_CAP_VDEV | LHC_CAP_NET | LHC_CAP_PCI | LHC_CAP_EXIT | \
		    LHC_CAP_STDIO)
#define SENTINEL 0xdeadbeefu

static const char *wrong_version(void)
{
	static const int bad[] = { 0, -1, LHC_VERSION + 1, LHC_VERSION + 100 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t caps = SENTINEL;
		int err = lhc_init(bad[i], &ct_upcalls, &caps);

		if (err != LHC_EPROTO)
			return ct_fail_want("lhc_init(wrong version)", err,
					    LHC_EPROTO);
		if (caps != SENTINEL)
			return "lhc_init wrote *caps while failing";
	}
	return 0;
}

static const char *null_args(void)
{
	uint32_t caps = SENTINEL;
	int err;

	err = lhc_init(LHC_VERSION, 0, &caps);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_init(up = NULL)", err, LHC_EINVAL);
	if (caps != SENTINEL)
		return "lhc_init wrote *caps while failing";
	err = lhc_init(LHC_VERSION, &ct_upcalls, 0);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_init(caps = NULL)", err, LHC_EINVAL);
	return 0;
}

static const char *right_version(void)
{
	uint32_t caps = SENTINEL;
	int err = lhc_init(LHC_VERSION, &ct_upcalls, &caps);

	if (err)
		return ct_fail_want("lhc_init(LHC_VERSION)", err, 0);
	ct_initialised = 1;
	ct_caps = caps;
	if (caps & ~KNOWN_CAPS)
		return ct_fail_got("unknown capability bits", caps);
	ct_diag("capability bits: ", caps, "");
	return 0;
}

static const char *init_twice(void)
{
	uint32_t caps = SENTINEL;
	int err;

	if (!ct_initialised)
		return "needs a successful lhc_init";
	err = lhc_init(LHC_VERSION, &ct_upcalls, &caps);
	if (err != LHC_EBUSY)
		return ct_fail_want("second lhc_init", err, LHC_EBUSY);
	if (caps != SENTINEL)
		return "lhc_init wrote *caps while failing";
	return 0;
}

static int untouched(const char *buf, unsigned long len)
{
	unsigned long i;

	for (i = 0; i < len; i++)
		if (buf[i] != 'x')
			return 0;
	return 1;
}

static void fill(char *buf, unsigned long len)
{
	unsigned long i;

	for (i = 0; i < len; i++)
		buf[i] = 'x';
}

static const char *param_enoent(void)
{
	char buf[16];
	int err;

	fill(buf, sizeof(buf));
	err = lhc_getparam("lunik.conformance.no-such-parameter", buf,
			   sizeof(buf));
	if (err != LHC_ENOENT)
		return ct_fail_want("unknown parameter", err, LHC_ENOENT);
	if (!untouched(buf, sizeof(buf)))
		return "buf written while failing";
	return 0;
}

static const char *param_erange(void)
{
	static char buf[4096];
	unsigned long len;
	int err;

	/* "ncpus" holds at least one digit, so it never fits in 0 or 1. */
	fill(buf, sizeof(buf));
	err = lhc_getparam("ncpus", buf, 0);
	if (err != LHC_ERANGE)
		return ct_fail_want("ncpus in 0 bytes", err, LHC_ERANGE);
	err = lhc_getparam("ncpus", buf, 1);
	if (err != LHC_ERANGE)
		return ct_fail_want("ncpus in 1 byte", err, LHC_ERANGE);
	if (!untouched(buf, sizeof(buf)))
		return "buf written while failing";

	/* The NUL counts: exactly strlen bytes is one too few. */
	err = lhc_getparam("cmdline", buf, sizeof(buf));
	if (err == LHC_ERANGE)
		return "cmdline over 4095 bytes: boundary untestable";
	if (err)
		return ct_fail_want("cmdline", err, 0);
	len = ct_strlen(buf);
	fill(buf, sizeof(buf));
	err = lhc_getparam("cmdline", buf, len);
	if (err != LHC_ERANGE)
		return ct_fail_want("cmdline in strlen bytes", err, LHC_ERANGE);
	if (!untouched(buf, sizeof(buf)))
		return "buf written while failing";
	err = lhc_getparam("cmdline", buf, len + 1);
	if (err || buf[len] != 0)
		return ct_fail_want("cmdline in strlen + 1 bytes", err, 0);
	return 0;
}

static const char *param_values(void)
{
	char buf[32];
	long long n = 0;
	int err, i;

	fill(buf, sizeof(buf));
	err = lhc_getparam("ncpus", buf, sizeof(buf));
	if (err)
		return ct_fail_want("ncpus", err, 0);
	for (i = 0; buf[i]; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return "ncpus is not a decimal number";
		n = n * 10 + (buf[i] - '0');
	}
	if (i == 0 || n < 1)
		return ct_fail_got("ncpus below 1", n);
	ct_diag("ncpus: ", n, "");
	return 0;
}

const struct ct_case ct_init_cases[] = {
	{ "init rejects other versions with LHC_EPROTO", wrong_version },
	{ "init rejects NULL arguments with LHC_EINVAL", null_args },
	{ "init accepts LHC_VERSION and reports known caps", right_version },
	{ "second init gives LHC_EBUSY", init_twice },
	{ "getparam of an unknown name gives LHC_ENOENT", param_enoent },
	{ "getparam into a short buffer gives LHC_ERANGE", param_erange },
	{ "getparam ncpus is a decimal >= 1", param_values },
	{ 0, 0 },
};

static const char *reinit(void)
{
	uint32_t caps = SENTINEL;
	int err;

	lhc_fini();
	ct_initialised = 0;
	err = lhc_init(LHC_VERSION, &ct_upcalls, &caps);
	if (err)
		return ct_fail_want("lhc_init after lhc_fini", err, 0);
	ct_initialised = 1;
	/* Timers need what lhc_init starts; prove they came back. */
	ct_sleep_ns(2 * CT_MS);
	return 0;
}

const struct ct_case ct_fini_cases[] = {
	{ "init works again after fini", reinit },
	{ 0, 0 },
};
