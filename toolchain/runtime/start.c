/*
 * lunik runtime: what happens in an app before main and after exit.
 *
 * musl calls __lunik_start before the app's constructors and main. It boots
 * the kernel library with the root filesystem linked into the app (an
 * initramfs), mounts /dev, /proc, /sys and /tmp, opens the kernel's fds
 * 0, 1 and 2 on the host's stdio, and brings up the network (net.c) and a
 * disk (disk.c). exit() ends in __lunik_exit, which halts the kernel and
 * ends the process with the app's status.
 *
 * Settings are "key=value" words, from the image (__lunik_config, written
 * by the bake step from the recipe), then from LUNIK_CONFIG in the
 * environment, later words winning:
 *
 *   mem=64M                 the kernel's memory
 *   net=unix:PATH           a virtio-net device on a QEMU-stream socket
 *                           (passt), or net=tap:NAME; net=if:NAME: an
 *                           interface the kernel found itself (hw: eth0 on
 *                           virtio-net-pci)
 *   ip=A.B.C.D/N  gw=A.B.C.D  a static IPv4 address and default gateway
 *   mtu=N                   the network device's MTU (default 1500)
 *   ip=dhcp                 the kernel's DHCP client at boot
 *   disk=FD:DIR[:TYPE]      a virtio-blk disk over the already open host file
 *                           descriptor FD (posix), mounted at DIR (TYPE:
 *                           ext4 unless given); disk=/dev/NAME:DIR[:TYPE]:
 *                           a disk the kernel found itself (hw: vda)
 *   verbose=1               show the kernel's boot log
 *
 * A program linked without a root file system works in a copy of its
 * working directory (cwd.c).
 *
 * Only the kernel library's API, the hypercalls and the libc host interface
 * are used here: the runtime is the same for every platform.
 */
#include "runtime.h"

int lkl_set_initrd(const void *data, unsigned long len);

#define MAX_WORDS 32
#define CONFIG_LEN 1024

extern const char __lunik_config[] __attribute__((weak));
extern const char __lunik_initrd_start[] __attribute__((weak));
extern const char __lunik_initrd_end[] __attribute__((weak));

static int verbose;

static struct {
	char buf[CONFIG_LEN];
	char *key[MAX_WORDS], *val[MAX_WORDS];
	int n;
} cfg;

unsigned long __lunik_rt_slen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

int __lunik_rt_starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

int __lunik_rt_same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

void __lunik_rt_say(const char *a, const char *b, const char *c)
{
	lhc_putstr(a, __lunik_rt_slen(a));
	if (b)
		lhc_putstr(b, __lunik_rt_slen(b));
	if (c)
		lhc_putstr(c, __lunik_rt_slen(c));
	lhc_putstr("\n", 1);
}

_Noreturn void __lunik_rt_fail(const char *what, const char *detail)
{
	__lunik_rt_say("lunik: error: ", what, detail);
	__lunik_host_syscall(94 /* exit_group */, 1, 0, 0, 0, 0, 0);
	for (;;)
		;
}

void __lunik_rt_failed(const char *what, long err)
{
	if (err < 0)
		__lunik_rt_fail(what, lkl_strerror(err));
}

/* Split words into cfg, appending; a later key overrides an earlier one. */
static void add_words(const char *s)
{
	unsigned long used = 0;

	for (int i = 0; i < cfg.n; i++)
		used = (unsigned long)(cfg.val[i] - cfg.buf) + __lunik_rt_slen(cfg.val[i]) + 1;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (cfg.n == MAX_WORDS)
			__lunik_rt_fail("too many settings in the lunik configuration", "");
		char *k = cfg.buf + used, *v = 0;
		while (*s && *s != ' ') {
			if (used + 2 >= CONFIG_LEN)
				__lunik_rt_fail("the lunik configuration is too long", "");
			cfg.buf[used] = *s == '=' && !v ? 0 : *s;
			if (*s == '=' && !v)
				v = cfg.buf + used + 1;
			used++, s++;
		}
		cfg.buf[used++] = 0;
		if (!v)
			__lunik_rt_fail("a lunik setting lacks '=': ", k);
		cfg.key[cfg.n] = k;
		cfg.val[cfg.n++] = v;
	}
}

const char *__lunik_rt_get(const char *key)
{
	for (int i = cfg.n - 1; i >= 0; i--)
		if (__lunik_rt_same(cfg.key[i], key))
			return cfg.val[i];
	return 0;
}

static void mount_one(const char *src, const char *dir, const char *type)
{
	long err = lkl_sys_mkdir(dir, 0755);

	if (err < 0 && err != -LKL_EEXIST)
		__lunik_rt_failed("cannot create a mount point: ", err);
	__lunik_rt_failed("cannot mount the kernel's file systems: ",
	       lkl_sys_mount((char *)src, (char *)dir, (char *)type, 0, 0));
}

static void open_stdio(void)
{
	static const char *const names[3] = {
		"/dev/hoststdin", "/dev/hoststdout", "/dev/hoststderr"
	};

	for (int fd = 0; fd < 3; fd++) {
		long got = lkl_sys_open(names[fd], fd ? LKL_O_WRONLY : LKL_O_RDONLY, 0);

		__lunik_rt_failed("cannot open the standard streams: ", got);
		if (got != fd)
			__lunik_rt_fail("the standard streams did not get fds 0, 1 and 2", "");
	}
	/* as udev makes them, for programs that open /dev/stdout by name */
	lkl_sys_symlinkat("/proc/self/fd/0", LKL_AT_FDCWD, "/dev/stdin");
	lkl_sys_symlinkat("/proc/self/fd/1", LKL_AT_FDCWD, "/dev/stdout");
	lkl_sys_symlinkat("/proc/self/fd/2", LKL_AT_FDCWD, "/dev/stderr");
}

/* No process is ever killed by a signal here (none is delivered): a write
 * to a closed socket must give EPIPE, not leave a fatal SIGPIPE pending
 * that would make every later call fail with EINTR. */
static void ignore_sigpipe(void)
{
	struct lkl_sigaction sa = { .lkl_sa_handler = (void *)1 /* SIG_IGN */ };

	__lunik_rt_failed("cannot ignore SIGPIPE: ",
	       lkl_sys_rt_sigaction(LKL_SIGPIPE, &sa, 0, sizeof(lkl_sigset_t)));
}

void __lunik_start(int argc, char **argv, char **envp)
{
	const char *mem, *ip, *dir;
	long err;

	(void)argc, (void)argv;
	if (__lunik_config)
		add_words(__lunik_config);
	for (char **e = envp; *e; e++)
		if (__lunik_rt_starts(*e, "LUNIK_CONFIG="))
			add_words(*e + 13);

	if (__lunik_initrd_start &&
	    (unsigned long)__lunik_initrd_end > (unsigned long)__lunik_initrd_start) {
		err = lkl_set_initrd(__lunik_initrd_start,
				     (unsigned long)__lunik_initrd_end -
					     (unsigned long)__lunik_initrd_start);
		__lunik_rt_failed("cannot use the root file system: ", err);
	}
	__lunik_rt_net_before_boot();
	__lunik_rt_disk_before_boot();

	err = lkl_init(&lkl_host_ops);
	__lunik_rt_failed("cannot start the kernel library: ", err);
	mem = __lunik_rt_get("mem");
	ip = __lunik_rt_get("ip");
	verbose = __lunik_rt_get("verbose") && !__lunik_rt_same(__lunik_rt_get("verbose"), "0");
	/* without verbose=1 only critical messages (and panics) are shown */
	err = lkl_start_kernel("mem=%s %s%s", mem ? mem : "64M",
			       verbose ? "" : "loglevel=3 ",
			       ip && __lunik_rt_same(ip, "dhcp") ? "ip=dhcp" : "");
	__lunik_rt_failed("the kernel did not boot: ", err);

	mount_one("devtmpfs", "/dev", "devtmpfs");
	mount_one("proc", "/proc", "proc");
	mount_one("sysfs", "/sys", "sysfs");
	mount_one("tmpfs", "/tmp", "tmpfs");
	open_stdio();
	ignore_sigpipe();
	__lunik_rt_net_after_boot();
	__lunik_rt_disk_after_boot();
	dir = __lunik_initrd_start ? 0 : __lunik_rt_copy_cwd_in();
	__lunik_rt_failed("cannot change to the working directory: ",
		  lkl_sys_chdir(dir ? dir : "/"));
}

_Noreturn void __lunik_exit(int status)
{
	if (lkl_is_running()) {
		__lunik_rt_copy_cwd_out();
		lkl_sys_sync();
		/* the app's output ends with its own last line, not the
		 * kernel's "Restarting system" (an emergency-level message) */
		if (!verbose)
			lkl_sysctl("kernel/printk", "0");
		lkl_sys_halt();
	}
	for (;;)
		__lunik_host_syscall(94 /* exit_group */, status, 0, 0, 0, 0, 0);
}
