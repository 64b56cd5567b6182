/* badcmd.c: a bad lkl_start_kernel command line is an error return with a
 * message, never a crash; a good one afterwards still boots. */
#include "ktest.h"

static char log_buf[8192];
static size_t log_len;

static void capture(const char *str, int len)
{
	if (log_len + (size_t)len < sizeof(log_buf)) {
		memcpy(log_buf + log_len, str, (size_t)len);
		log_len += (size_t)len;
		log_buf[log_len] = 0;
	}
}

static void expect(const char *cmdline, int err, const char *message)
{
	long ret;

	log_len = 0;
	log_buf[0] = 0;
	ret = lkl_start_kernel("%s", cmdline);
	CHECK(ret == err, "lkl_start_kernel(\"%.30s\") = %ld (%s)", cmdline, ret, lkl_strerror((int)ret));
	CHECK(strstr(log_buf, message) != NULL, "it says \"%s\" (got \"%.100s\")", message, log_buf);
	CHECK(!lkl_is_running(), "the kernel is not running");
}

int main(void)
{
	char huge[5000];

	lkl_host_ops.print = capture;
	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	expect("mem=1K", -LKL_EINVAL, "mem=1K is too small");
	expect("loglevel=4 mem=junk", -LKL_EINVAL, "bad mem= value \"junk\"");
	expect("mem=64Mx", -LKL_EINVAL, "bad mem= value \"64Mx\"");
	expect("mem=100000G", -LKL_ENOMEM, "cannot give mem=");
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	expect(huge, -LKL_E2BIG, "command line is longer than");

	REQUIRE(lkl_start_kernel("mem=16M loglevel=4") == 0, "a good command line still boots");
	CHECK(lkl_sys_getpid() == 1, "getpid is 1");
	CHECK(lkl_start_kernel("mem=16M") == -LKL_EBUSY, "a second boot in one process is -EBUSY");
	CHECK(lkl_sys_halt() == 0, "halt");
	lkl_cleanup();
	return ktest_done();
}
