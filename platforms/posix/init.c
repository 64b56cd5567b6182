/* posix platform: version handshake, init/fini and platform parameters. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTSYS_CHECK_LINUX /* the one file that checks hostsys.h's copies */
#include "hostsys.h"
#include "posix.h"

const struct lhc_upcalls *posix_upcalls;

/* Serialises lhc_init/lhc_fini against each other; nothing else takes it. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialised;

int lhc_init(int version, const struct lhc_upcalls *up, uint32_t *caps)
{
	int err;

	if (version != LHC_VERSION)
		return LHC_EPROTO;
	if (!up || !caps)
		return LHC_EINVAL;

	pthread_mutex_lock(&init_lock);
	if (initialised) {
		err = LHC_EBUSY;
		goto out;
	}
	err = posix_timer_start();
	if (err)
		goto out;
	posix_upcalls = up;
	initialised = 1;
	/* The process exit status is what lhc_exit passes to exit(). */
	*caps = LHC_CAP_EXIT | LHC_CAP_VDEV | LHC_CAP_STDIO;
out:
	pthread_mutex_unlock(&init_lock);
	return err;
}

void lhc_fini(void)
{
	pthread_mutex_lock(&init_lock);
	if (initialised) {
		posix_stdio_fini();
		posix_timer_stop();
		posix_upcalls = NULL;
		initialised = 0;
	}
	pthread_mutex_unlock(&init_lock);
}

/*
 * The number of online CPUs, as glibc's sysconf(_SC_NPROCESSORS_ONLN)
 * counts them: the ranges in /sys/devices/system/cpu/online ("0-3,6"),
 * else the CPUs this process may run on, else 1. With raw host calls
 * (hostsys.h): sysconf itself reads files, or asks for the affinity mask,
 * through whatever the libc's system calls reach.
 */
static long online_cpus(void)
{
	char text[256];
	uint64_t mask[16];
	long fd, n, total = 0, i;
	const char *p;

	fd = host_open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		do
			n = host_read((int)fd, text, sizeof(text) - 1);
		while (n == -EINTR);
		host_close((int)fd);
		if (n > 0) {
			text[n] = 0;
			for (p = text; *p >= '0' && *p <= '9';) {
				char *end;
				long lo = strtol(p, &end, 10), hi = lo;

				if (*end == '-')
					hi = strtol(end + 1, &end, 10);
				if (hi >= lo)
					total += hi - lo + 1;
				p = *end == ',' ? end + 1 : end;
			}
			if (total > 0)
				return total;
		}
	}
	n = host_sched_getaffinity(sizeof(mask), mask);
	for (i = 0; n > 0 && i < n / 8; i++)
		total += __builtin_popcountll(mask[i]);
	return total > 0 ? total : 1;
}

/* Copy val into buf only if it fits whole, as the contract requires. */
static int copy_param(const char *val, char *buf, size_t len)
{
	size_t n = strlen(val) + 1;

	if (n > len)
		return LHC_ERANGE;
	memcpy(buf, val, n);
	return 0;
}

int lhc_getparam(const char *name, char *buf, size_t len)
{
	if (!name || (!buf && len))
		return LHC_EINVAL;

	if (strcmp(name, "cmdline") == 0) {
		/* The process's stand-in for a boot loader's command line. */
		const char *v = getenv("LUNIK_CMDLINE");
		size_t n, d, k;
		char *all;
		int err;

		/* ... plus the devices created so far (LHC_CAP_VDEV). */
		v = v ? v : "";
		n = strlen(v);
		d = posix_vdev_cmdline(NULL, 0, n > 0);
		if (!d)
			return copy_param(v, buf, len);
		all = malloc(n + d + 1);
		if (!all)
			return LHC_ERANGE;
		memcpy(all, v, n);
		/* devices may have come meanwhile: only a complete list is used */
		k = posix_vdev_cmdline(all + n, d, n > 0);
		if (k > d) {
			free(all);
			return LHC_ERANGE;
		}
		all[n + k] = 0;
		err = copy_param(all, buf, len);
		free(all);
		return err;
	}
	if (strcmp(name, "ncpus") == 0) {
		char tmp[24];

		snprintf(tmp, sizeof(tmp), "%ld", online_cpus());
		return copy_param(tmp, buf, len);
	}
	return LHC_ENOENT;
}
