/* boot.c: boot the kernel library and exercise file, time, pipe, epoll and proc syscalls. */
#include <time.h>

#include "ktest.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void test_files(void)
{
	char buf[64];
	struct lkl_stat st;
	long fd;

	/* umask returns the previous mask and the new one applies to creat */
	OK(lkl_sys_umask(022));
	CHECK(lkl_sys_umask(027) == 022, "umask returns the previous mask");

	fd = OK(lkl_sys_creat("/file", 0666));
	CHECK(lkl_sys_close(fd) == 0, "close");
	fd = OK(lkl_sys_open("/file", LKL_O_RDWR, 0));
	CHECK(lkl_sys_write(fd, "hello, world", 12) == 12, "write 12 bytes");
	CHECK(lkl_sys_lseek(fd, 7, LKL_SEEK_SET) == 7, "lseek to 7");
	memset(buf, 0, sizeof(buf));
	CHECK(lkl_sys_read(fd, buf, sizeof(buf)) == 5, "read the 5 bytes after it");
	CHECK(memcmp(buf, "world", 5) == 0, "read back \"%s\"", buf);
	CHECK(lkl_sys_fstat(fd, &st) == 0, "fstat");
	CHECK(st.st_size == 12, "st_size is 12 (got %lld)", (long long)st.st_size);
	CHECK((st.st_mode & 07777) == 0640, "mode 0666 & ~027 = 0640 (got %o)",
	      (unsigned)(st.st_mode & 07777));
	CHECK(LKL_S_ISREG(st.st_mode), "a regular file");
	lkl_sys_close(fd);

	CHECK(lkl_sys_open("/missing", LKL_O_RDONLY, 0) == -LKL_ENOENT,
	      "open of a missing file gives -ENOENT");

	OK(lkl_sys_mkdir("/dir", 0755));
	CHECK(lkl_sys_stat("/dir", &st) == 0 && LKL_S_ISDIR(st.st_mode),
	      "mkdir then stat gives a directory");
	CHECK((st.st_mode & 0777) == 0750, "dir mode 0755 & ~027 = 0750");
	CHECK(lkl_sys_mkdir("/dir", 0755) == -LKL_EEXIST, "mkdir twice gives -EEXIST");
}

static void test_getdents(void)
{
	char buf[4096];
	int seen_a = 0, seen_b = 0, seen_sub = 0;
	long fd, n, off;

	OK(lkl_sys_mkdir("/list", 0755));
	lkl_sys_close(lkl_sys_creat("/list/a", 0644));
	lkl_sys_close(lkl_sys_creat("/list/b", 0644));
	OK(lkl_sys_mkdir("/list/sub", 0755));
	fd = OK(lkl_sys_open("/list", LKL_O_RDONLY | LKL_O_DIRECTORY, 0));
	while ((n = lkl_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			struct lkl_linux_dirent64 *d = (void *)(buf + off);

			seen_a |= !strcmp(d->d_name, "a") && d->d_type == LKL_DT_REG;
			seen_b |= !strcmp(d->d_name, "b") && d->d_type == LKL_DT_REG;
			seen_sub |= !strcmp(d->d_name, "sub") && d->d_type == LKL_DT_DIR;
			off += d->d_reclen;
		}
	}
	CHECK(n == 0, "getdents64 ends with 0");
	CHECK(seen_a && seen_b && seen_sub, "getdents64 lists a, b (files) and sub (dir)");
	lkl_sys_close(fd);
}

static void test_nanosleep(void)
{
	struct __lkl__kernel_timespec req = { .tv_sec = 0, .tv_nsec = 200 * 1000000 };
	long long t0 = now_ns(), slept;

	OK(lkl_sys_nanosleep(&req, NULL));
	slept = now_ns() - t0;
	CHECK(slept >= 180 * 1000000LL, "nanosleep(200 ms) slept %lld ms (>= 90%%)",
	      slept / 1000000);
}

static void test_pipe_epoll(void)
{
	struct lkl_epoll_event ev = { .events = LKL_EPOLLIN, .data = 7 }, out;
	int fds[2];
	char c = 0;
	long ep;

	CHECK(lkl_sys_pipe2(fds, LKL_O_CLOEXEC) == 0, "pipe2");
	ep = OK(lkl_sys_epoll_create1(0));
	OK(lkl_sys_epoll_ctl(ep, LKL_EPOLL_CTL_ADD, fds[0], &ev));
	CHECK(lkl_sys_epoll_pwait(ep, &out, 1, 0, NULL, 8) == 0,
	      "epoll: the empty pipe is not ready");
	CHECK(lkl_sys_write(fds[1], "x", 1) == 1, "write one byte into the pipe");
	CHECK(lkl_sys_epoll_pwait(ep, &out, 1, 1000, NULL, 8) == 1 &&
		      (out.events & LKL_EPOLLIN) && out.data == 7,
	      "epoll: the pipe is readable after the write");
	CHECK(lkl_sys_read(fds[0], &c, 1) == 1 && c == 'x', "read the byte back");
	lkl_sys_close(ep);
	lkl_sys_close(fds[0]);
	lkl_sys_close(fds[1]);
}

static void test_proc(void)
{
	char buf[256] = { 0 };
	long fd;

	OK(lkl_sys_mkdir("/proc", 0555));
	OK(lkl_sys_mount("proc", "/proc", "proc", 0, NULL));
	fd = OK(lkl_sys_open("/proc/version", LKL_O_RDONLY, 0));
	OK(lkl_sys_read(fd, buf, sizeof(buf) - 1));
	CHECK(strstr(buf, "Linux version 6.12") != NULL, "/proc/version: %.40s", buf);
	lkl_sys_close(fd);
}

int main(void)
{
	long ret;

	REQUIRE(lkl_init(&lkl_host_ops) == 0, "lkl_init");
	ret = lkl_start_kernel("mem=32M loglevel=4");
	REQUIRE(ret == 0, "lkl_start_kernel(mem=32M) = %ld", ret);
	CHECK(lkl_is_running(), "lkl_is_running after boot");
	CHECK(lkl_sys_getpid() == 1, "getpid is 1");

	test_files();
	test_getdents();
	test_nanosleep();
	test_pipe_epoll();
	test_proc();

	ret = lkl_sys_halt();
	CHECK(ret == 0, "lkl_sys_halt returns 0 (got %ld)", ret);
	CHECK(!lkl_is_running(), "not running after halt");
	lkl_cleanup();
	return ktest_done();
}
