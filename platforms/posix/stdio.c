/* posix platform: LHC_CAP_STDIO, the process's standard streams (fds 0, 1
 * and 2), which the kernel serves as /dev/hoststdin, /dev/hoststdout and
 * /dev/hoststderr. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "hostsys.h"
#include "posix.h"

/*
 * Every access to fds 0, 1 and 2 is a raw host call (hostsys.h): under a
 * lunik musl, read(0, ...) is the kernel's fd 0 — the very file that is
 * served from here.
 */

/* ---- output -------------------------------------------------------------- */

/* One lock per stream, so that one call's bytes stay together on it. */
static pthread_mutex_t out_lock[3] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER,
};

int lhc_stdio_write(int stream, const void *buf, size_t len)
{
	const char *p = buf;
	int fd, err = 0;

	if (stream != LHC_STDIO_OUT && stream != LHC_STDIO_ERR)
		return LHC_EINVAL;
	if (!buf && len)
		return LHC_EINVAL;
	fd = stream == LHC_STDIO_OUT ? 1 : 2;
	pthread_mutex_lock(&out_lock[fd]);
	while (len) {
		long n = host_write(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == -EINTR) {
			continue;
		} else if (n == -EAGAIN) {
			/* A descriptor the parent left non-blocking: the
			 * contract is synchronous, so wait until it drains. */
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			host_poll(&pfd, 1, -1);
		} else {
			err = n == -EPIPE ? LHC_EPIPE : LHC_EIO;
			break;
		}
	}
	pthread_mutex_unlock(&out_lock[fd]);
	return err;
}

/* ---- input --------------------------------------------------------------- */

/*
 * A reader thread does the host reads, so that lhc_stdio_in_read never
 * blocks: a read that finds nothing sets `want` and returns LHC_EAGAIN;
 * the reader then waits for fd 0 (and for the wake pipe, which close
 * writes), reads once, stores what it got, and raises the line. It reads
 * only when asked, so it is at most one host read (4 KiB) ahead of the
 * kernel, and nothing is read from a program's stdin that never asks.
 */
#define IN_BUF 4096

/* open/close are serialised by life_lock; everything in `in` below by
 * in_lock (the reader's wake pipe and irq are fixed while it runs). */
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t in_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t in_cond = PTHREAD_COND_INITIALIZER; /* to the reader */

static struct {
	int open;
	int irq;
	pthread_t reader;
	int wake[2];
	int want; /* a read found nothing: fetch, then raise the line */
	int stop;
	/* fetched and not yet taken: buf[start, end), an end, an error */
	char buf[IN_BUF];
	size_t start, end;
	int eof, err;
} in;

/* One host read of fd 0 into buf, waiting for input first: the read's
 * result or -errno; *stopped instead if close woke the reader. */
static long fetch(char *buf, size_t len, int *stopped)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = in.wake[0], .events = POLLIN },
		};
		long r = host_poll(p, 2, -1);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		if (p[1].revents) {
			*stopped = 1;
			return 0;
		}
		/* readable, hung up (the read sees the end) or not open
		 * (the read fails with EBADF) */
		if (p[0].revents)
			return host_read(0, buf, len);
	}
}

static void *reader_main(void *unused)
{
	char tmp[IN_BUF];

	(void)unused;
	pthread_mutex_lock(&in_lock);
	for (;;) {
		long n;
		int irq, stopped = 0;

		while (!in.stop && !in.want)
			pthread_cond_wait(&in_cond, &in_lock);
		if (in.stop)
			break;
		/* the host read runs unlocked: lhc_stdio_in_read must not
		 * wait for it */
		pthread_mutex_unlock(&in_lock);
		n = fetch(tmp, sizeof(tmp), &stopped);
		pthread_mutex_lock(&in_lock);
		if (stopped || n == -EINTR || n == -EAGAIN)
			continue; /* stop is set, or try again (a shared
				   * non-blocking fd another process drained) */
		if (n > 0) {
			memcpy(in.buf, tmp, (size_t)n);
			in.start = 0;
			in.end = (size_t)n;
		} else if (n == 0) {
			in.eof = 1;
		} else {
			in.err = 1;
		}
		in.want = 0;
		irq = in.irq;
		/* the upcall may run kernel code: no platform lock held */
		pthread_mutex_unlock(&in_lock);
		if (posix_upcalls && posix_upcalls->irq_raise)
			posix_upcalls->irq_raise(irq);
		pthread_mutex_lock(&in_lock);
	}
	pthread_mutex_unlock(&in_lock);
	return NULL;
}

int lhc_stdio_in_open(int *irq)
{
	sigset_t all, old;
	int line, err;

	if (!irq)
		return LHC_EINVAL;
	pthread_mutex_lock(&life_lock);
	if (in.open) {
		err = LHC_EBUSY;
		goto out;
	}
	err = posix_vdev_line_reserve(&line);
	if (err)
		goto out;
	if (host_pipe2(in.wake, O_NONBLOCK | O_CLOEXEC)) {
		posix_vdev_line_release(line);
		err = LHC_EAGAIN;
		goto out;
	}
	pthread_mutex_lock(&in_lock);
	in.irq = line;
	in.want = in.stop = in.eof = in.err = 0;
	in.start = in.end = 0;
	pthread_mutex_unlock(&in_lock);
	/* Like the timer thread: a full mask, so the host program's signals
	 * go to its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&in.reader, NULL, reader_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		host_close(in.wake[0]);
		host_close(in.wake[1]);
		posix_vdev_line_release(line);
		err = err == ENOMEM ? LHC_ENOMEM : LHC_EAGAIN;
		goto out;
	}
	pthread_mutex_lock(&in_lock);
	in.open = 1;
	pthread_mutex_unlock(&in_lock);
	*irq = line;
out:
	pthread_mutex_unlock(&life_lock);
	return err;
}

int lhc_stdio_in_read(void *buf, size_t len, size_t *got)
{
	int err = 0;

	if (!buf || !got || !len)
		return LHC_EINVAL;
	pthread_mutex_lock(&in_lock);
	if (!in.open) {
		err = LHC_EINVAL;
	} else if (in.start < in.end) {
		size_t n = in.end - in.start < len ? in.end - in.start : len;

		memcpy(buf, in.buf + in.start, n);
		in.start += n;
		*got = n;
	} else if (in.eof) {
		in.eof = 0;
		*got = 0;
	} else if (in.err) {
		in.err = 0;
		err = LHC_EIO;
	} else {
		if (!in.want) {
			in.want = 1;
			pthread_cond_signal(&in_cond);
		}
		err = LHC_EAGAIN;
	}
	pthread_mutex_unlock(&in_lock);
	return err;
}

void lhc_stdio_in_close(void)
{
	char c = 1;

	pthread_mutex_lock(&life_lock);
	pthread_mutex_lock(&in_lock);
	if (!in.open) {
		pthread_mutex_unlock(&in_lock);
		pthread_mutex_unlock(&life_lock);
		return;
	}
	in.open = 0; /* reads from now on are LHC_EINVAL */
	in.stop = 1;
	pthread_cond_signal(&in_cond);
	pthread_mutex_unlock(&in_lock);
	/* out of a host poll on a silent stdin (the pipe is never read:
	 * full would mean already woken) */
	host_write(in.wake[1], &c, 1);
	pthread_join(in.reader, NULL);
	host_close(in.wake[0]);
	host_close(in.wake[1]);
	posix_vdev_line_release(in.irq);
	pthread_mutex_unlock(&life_lock);
}

void posix_stdio_fini(void)
{
	lhc_stdio_in_close();
}
