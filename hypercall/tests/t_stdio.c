/* Conformance cases: the host's standard streams (LHC_CAP_STDIO). */
#include "ct.h"

/* What hypercall.test.ts looks for on the process's two output streams. */
static const char out_line[] = "# lhc_stdio_write: this line went to standard output\n";
static const char err_line[] = "# lhc_stdio_write: this line went to standard error\n";

/* A read may take a lock briefly, never wait for input. */
#define READ_MAX_NS (50 * CT_MS)
/* An interrupt owed after LHC_EAGAIN, with the input already there. */
#define IRQ_WAIT_NS (2000 * CT_MS)

static const char *need_stdio(void)
{
	if (!(ct_caps & LHC_CAP_STDIO)) {
		ct_skip_reason = "no LHC_CAP_STDIO";
		return CT_SKIP;
	}
	return 0;
}

static const char *need_feed(void)
{
	const char *why = need_stdio();

	if (why)
		return why;
	if (!lhc_conformance_stdin) {
		ct_skip_reason = "no lhc_conformance_stdin (a hosted wrapper provides it)";
		return CT_SKIP;
	}
	return 0;
}

static const char *writes(void)
{
	const char *why = need_stdio();
	int err;

	if (why)
		return why;
	err = lhc_stdio_write(0, out_line, 5);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_stdio_write(stream 0)", err, LHC_EINVAL);
	err = lhc_stdio_write(3, out_line, 5);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_stdio_write(stream 3)", err, LHC_EINVAL);
	err = lhc_stdio_write(LHC_STDIO_OUT, 0, 1);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_stdio_write(buf NULL, len 1)", err, LHC_EINVAL);
	err = lhc_stdio_write(LHC_STDIO_OUT, 0, 0);
	if (err)
		return ct_fail_want("lhc_stdio_write(len 0)", err, 0);
	err = lhc_stdio_write(LHC_STDIO_OUT, out_line, sizeof(out_line) - 1);
	if (err)
		return ct_fail_want("lhc_stdio_write(LHC_STDIO_OUT)", err, 0);
	err = lhc_stdio_write(LHC_STDIO_ERR, err_line, sizeof(err_line) - 1);
	if (err)
		return ct_fail_want("lhc_stdio_write(LHC_STDIO_ERR)", err, 0);
	return 0;
}

static const char *open_rules(void)
{
	const char *why = need_stdio();
	char c;
	size_t got = 7;
	int irq = -1, again = -1, err;

	if (why)
		return why;
	err = lhc_stdio_in_read(&c, 1, &got);
	if (err != LHC_EINVAL || got != 7)
		return ct_fail_want("lhc_stdio_in_read before open", err, LHC_EINVAL);
	err = lhc_stdio_in_open(0);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_stdio_in_open(NULL)", err, LHC_EINVAL);
	err = lhc_stdio_in_open(&irq);
	if (err)
		return ct_fail_want("lhc_stdio_in_open", err, 0);
	if (irq < 2 || irq > LHC_IRQ_MAX) {
		lhc_stdio_in_close();
		return ct_fail_got("line outside 2..LHC_IRQ_MAX", irq);
	}
	err = lhc_stdio_in_open(&again);
	if (err != LHC_EBUSY || again != -1) {
		lhc_stdio_in_close();
		return ct_fail_want("a second lhc_stdio_in_open", err, LHC_EBUSY);
	}
	if (lhc_stdio_in_read(0, 1, &got) != LHC_EINVAL ||
	    lhc_stdio_in_read(&c, 1, 0) != LHC_EINVAL ||
	    lhc_stdio_in_read(&c, 0, &got) != LHC_EINVAL) {
		lhc_stdio_in_close();
		return "lhc_stdio_in_read with buf NULL, got NULL or len 0 is not LHC_EINVAL";
	}
	lhc_stdio_in_close();
	err = lhc_stdio_in_read(&c, 1, &got);
	if (err != LHC_EINVAL)
		return ct_fail_want("lhc_stdio_in_read after close", err, LHC_EINVAL);
	lhc_stdio_in_close(); /* not open: nothing */
	return 0;
}

/*
 * One lhc_stdio_in_read that must not block; after LHC_EAGAIN, wait for
 * the line (the input is there, so it is owed). Returns NULL and sets *r
 * and *got, or a failure reason.
 */
static const char *read_once(int irq, char *buf, size_t len, int *r, size_t *got,
			     int *eagains)
{
	int before = ct_irq_line_count(irq);
	uint64_t t0 = ct_now(), dt;

	*got = 12345;
	*r = lhc_stdio_in_read(buf, len, got);
	dt = ct_now() - t0;
	if (dt > READ_MAX_NS)
		return ct_fail_got("lhc_stdio_in_read blocked (ns)", (long long)dt);
	if (*r == LHC_EAGAIN) {
		uint64_t end = ct_now() + IRQ_WAIT_NS;

		(*eagains)++;
		if (*got != 12345)
			return "lhc_stdio_in_read wrote *got with LHC_EAGAIN";
		while (ct_irq_line_count(irq) == before) {
			if (ct_now() >= end)
				return "no interrupt on the stdin line after LHC_EAGAIN, with input waiting";
			ct_sleep_ns(CT_MS);
		}
		return 0;
	}
	if (*r)
		return ct_fail_got("lhc_stdio_in_read", *r);
	if (*got > len)
		return ct_fail_got("lhc_stdio_in_read: *got beyond len", (long long)*got);
	return 0;
}

/* Read until an end, n bytes at a time, into out (cap bytes); the count. */
static const char *read_all(int irq, char *out, size_t cap, size_t n,
			    size_t *total, int *eagains)
{
	const char *why;
	size_t got;
	int r, tries;

	*total = 0;
	for (tries = 0; tries < 10000; tries++) {
		if (*total + n > cap)
			return "more input than was fed";
		why = read_once(irq, out + *total, n, &r, &got, eagains);
		if (why)
			return why;
		if (r == LHC_EAGAIN)
			continue;
		if (!got)
			return 0; /* the end */
		*total += got;
	}
	return "no end of input after 10000 reads";
}

static const char *input(void)
{
	static char fed[300], back[400];
	const char *why = need_feed();
	size_t total, got;
	int irq, err, eagains = 0, r;

	if (why)
		return why;
	for (unsigned i = 0; i < sizeof(fed); i++)
		fed[i] = (char)(i * 37 + 11); /* includes NULs and high bytes */
	if (lhc_conformance_stdin(fed, sizeof(fed), 1))
		return "the wrapper could not set up standard input";
	err = lhc_stdio_in_open(&irq);
	if (err)
		return ct_fail_want("lhc_stdio_in_open", err, 0);
	why = read_all(irq, back, sizeof(back), 7, &total, &eagains);
	if (!why && total != sizeof(fed))
		why = ct_fail_want("bytes read back", (long long)total, sizeof(fed));
	for (unsigned i = 0; !why && i < sizeof(fed); i++)
		if (back[i] != fed[i])
			why = ct_fail_got("input differs at byte", i);
	/* a pipe stays at its end: reported again (after asking the host) */
	for (int k = 0; !why; k++) {
		if (k == 100) {
			why = "no second end of input from a closed pipe";
			break;
		}
		why = read_once(irq, back, 7, &r, &got, &eagains);
		if (!why && r == 0) {
			if (got)
				why = "bytes after the end of a closed pipe";
			break;
		}
	}
	lhc_stdio_in_close();
	if (why)
		return why;
	ct_diag("LHC_EAGAIN answers before the data and the ends: ", eagains, "");
	return 0;
}

static struct lhc_vdev_info blk_info;

static int zero_capacity(void *ctx, uint64_t *bytes)
{
	(void)ctx;
	*bytes = 4096;
	return 0;
}

static int zero_request(void *ctx, int type, uint64_t sector,
			const struct lhc_iovec *iov, int count)
{
	(void)ctx;
	(void)type;
	(void)sector;
	(void)iov;
	(void)count;
	return LHC_EIO;
}

static const struct lhc_blk_backend zero_be = {
	.capacity = zero_capacity,
	.request = zero_request,
};

/* Devices created while stdin is open never get its line. */
static const char *line_kept(int irq)
{
	static struct lhc_vdev *devs[LHC_IRQ_MAX + 1];
	const char *why = 0;
	int n = 0, err = 0;

	if (!(ct_caps & LHC_CAP_VDEV))
		return 0;
	while (n <= LHC_IRQ_MAX) {
		err = lhc_vdev_blk_create(&zero_be, 0, &devs[n], &blk_info);
		if (err)
			break;
		n++;
		if (blk_info.irq == irq) {
			why = ct_fail_got("a device got the stdin line", irq);
			break;
		}
	}
	if (!why && err != LHC_EAGAIN)
		why = ct_fail_want("filling every device slot", err, LHC_EAGAIN);
	while (n)
		lhc_vdev_destroy(devs[--n]);
	return why;
}

static const char *close_wakes(void)
{
	const char *why = need_feed();
	char c = 0;
	size_t got;
	uint64_t t0, dt;
	int irq, err, r, eagains = 0, raised;

	if (why)
		return why;
	if (lhc_conformance_stdin("x", 1, 0))
		return "the wrapper could not set up standard input";
	err = lhc_stdio_in_open(&irq);
	if (err)
		return ct_fail_want("lhc_stdio_in_open", err, 0);
	do
		why = read_once(irq, &c, 1, &r, &got, &eagains);
	while (!why && r == LHC_EAGAIN);
	if (!why && (got != 1 || c != 'x'))
		why = "the one byte fed did not come back";
	/* asks for more, which never comes: the reader waits in the host */
	if (!why && (r = lhc_stdio_in_read(&c, 1, &got)) != LHC_EAGAIN)
		why = ct_fail_want("a read on silent input", r, LHC_EAGAIN);
	if (!why) {
		ct_sleep_ns(20 * CT_MS);
		why = line_kept(irq);
	}
	t0 = ct_now();
	lhc_stdio_in_close();
	dt = ct_now() - t0;
	if (why)
		return why;
	if (dt > 1000 * CT_MS)
		return ct_fail_got("lhc_stdio_in_close waited for input (ns)", (long long)dt);
	raised = ct_irq_line_count(irq);
	ct_sleep_ns(20 * CT_MS);
	if (ct_irq_line_count(irq) != raised)
		return "the stdin line was raised after lhc_stdio_in_close";
	/* afresh: a new open works, and reads the (still silent) input */
	err = lhc_stdio_in_open(&irq);
	if (err)
		return ct_fail_want("lhc_stdio_in_open after close", err, 0);
	r = lhc_stdio_in_read(&c, 1, &got);
	lhc_stdio_in_close();
	if (r != LHC_EAGAIN)
		return ct_fail_want("a read after reopening silent input", r, LHC_EAGAIN);
	return 0;
}

const struct ct_case ct_stdio_cases[] = {
	{ "lhc_stdio_write: bad stream or buffer is LHC_EINVAL; a line to standard output and one to standard error", writes },
	{ "lhc_stdio_in_open: a line in 2..LHC_IRQ_MAX, LHC_EBUSY when open; bad reads are LHC_EINVAL", open_rules },
	{ "standard input: no read blocks; LHC_EAGAIN is followed by the line; 300 bytes then the end, again at the end", input },
	{ "standard input: no device gets its line; close wakes a reader on silent input; reopen", close_wakes },
	{ 0, 0 },
};
