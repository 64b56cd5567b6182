/*
 * lunik runtime: what happens in an app before main and after exit.
 *
 * musl calls __lunik_start before the app's constructors and main. It boots
 * the kernel library with the root filesystem linked into the app (an
 * initramfs), mounts /dev, /proc, /sys and /tmp, opens the kernel's fds
 * 0, 1 and 2 on the host's stdio, and brings up the network. exit() ends in
 * __lunik_exit, which halts the kernel and ends the process with the app's
 * status.
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
 * A program linked without a root file system (lunik-cc's plain output,
 * such as a configure probe) gets a copy of its working directory instead,
 * where the platform has host files (posix): the directory's regular files
 * (up to 1 MiB each) are copied into the kernel at the same path before
 * main, and files created or changed there are written back at exit. That
 * is what lets autoconf's run probes write conftest.val. Subdirectories and
 * deletions are not copied.
 *
 * Only the kernel library's API, the hypercalls and the libc host interface
 * are used here: the runtime is the same for every platform.
 */
#include <lkl.h>
#include <lkl_host.h>
#include <lunik/hypercall.h>
#include <lunik/libc_host.h>

int lkl_set_initrd(const void *data, unsigned long len);

#define MAX_WORDS 32
#define CONFIG_LEN 1024

extern const char __lunik_config[] __attribute__((weak));
extern const char __lunik_initrd_start[] __attribute__((weak));
extern const char __lunik_initrd_end[] __attribute__((weak));

static struct {
	char buf[CONFIG_LEN];
	char *key[MAX_WORDS], *val[MAX_WORDS];
	int n;
} cfg;

static unsigned long slen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void say(const char *a, const char *b, const char *c)
{
	lhc_putstr(a, slen(a));
	if (b)
		lhc_putstr(b, slen(b));
	if (c)
		lhc_putstr(c, slen(c));
	lhc_putstr("\n", 1);
}

static _Noreturn void fail(const char *what, const char *detail)
{
	say("lunik: error: ", what, detail);
	__lunik_host_syscall(94 /* exit_group */, 1, 0, 0, 0, 0, 0);
	for (;;)
		;
}

static void failed(const char *what, long err)
{
	if (err < 0)
		fail(what, lkl_strerror(err));
}

/* Split words into cfg, appending; a later key overrides an earlier one. */
static void add_words(const char *s)
{
	unsigned long used = 0;

	for (int i = 0; i < cfg.n; i++)
		used = (unsigned long)(cfg.val[i] - cfg.buf) + slen(cfg.val[i]) + 1;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (cfg.n == MAX_WORDS)
			fail("too many settings in the lunik configuration", "");
		char *k = cfg.buf + used, *v = 0;
		while (*s && *s != ' ') {
			if (used + 2 >= CONFIG_LEN)
				fail("the lunik configuration is too long", "");
			cfg.buf[used] = *s == '=' && !v ? 0 : *s;
			if (*s == '=' && !v)
				v = cfg.buf + used + 1;
			used++, s++;
		}
		cfg.buf[used++] = 0;
		if (!v)
			fail("a lunik setting lacks '=': ", k);
		cfg.key[cfg.n] = k;
		cfg.val[cfg.n++] = v;
	}
}

static const char *get(const char *key)
{
	for (int i = cfg.n - 1; i >= 0; i--)
		if (same(cfg.key[i], key))
			return cfg.val[i];
	return 0;
}

/* "A.B.C.D" → network-order address; "/N" after it → *prefix. */
static int parse_ipv4(const char *s, unsigned int *addr, unsigned int *prefix)
{
	unsigned char b[4];
	unsigned int v;

	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		for (v = 0; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (unsigned)(*s - '0');
		if (v > 255 || (i < 3 && *s++ != '.'))
			return -1;
		b[i] = (unsigned char)v;
	}
	if (prefix) {
		*prefix = 32;
		if (*s == '/') {
			s++;
			for (v = 0; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (unsigned)(*s - '0');
			if (v > 32)
				return -1;
			*prefix = v;
		}
	}
	if (*s)
		return -1;
	*addr = (unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
		(unsigned)b[3] << 24;
	return 0;
}

static int net_id = -1;
static int verbose;

static void net_before_boot(void)
{
	const char *net = get("net");
	struct lkl_netdev *nd;
	struct lkl_netdev_args args = { 0 };

	if (!net || !*net || same(net, "none") || starts(net, "if:"))
		return; /* if:NAME is configured once the kernel has found it */
	const char *m = get("mtu");
	int mtu = 0;

	for (; m && *m >= '0' && *m <= '9'; m++)
		mtu = mtu * 10 + (*m - '0');
	if (m && *m)
		fail("bad number in mtu=", get("mtu"));
	if (starts(net, "unix:"))
		nd = lkl_netdev_stream_create(net, LKL_NETDEV_STREAM, mtu);
	else if (starts(net, "tap:"))
		nd = lkl_netdev_tap_create(net + 4, 0);
	else
		fail("unknown network setting net=", net);
	if (!nd)
		fail("cannot make a network device for net=", net);
	net_id = lkl_netdev_add(nd, &args);
	if (net_id < 0)
		fail("cannot attach the network device: ", lkl_strerror(net_id));
}

/*
 * Send one datagram to the gateway (the discard port), so that a user-mode
 * network helper such as passt learns our MAC address now rather than
 * addressing its first frames to broadcast, which TCP ignores.
 */
static void announce(unsigned int gwaddr)
{
	struct lkl_sockaddr_in sa = { .sin_family = LKL_AF_INET,
				      .sin_port = (unsigned short)(9 << 8),
				      .sin_addr = { gwaddr } };
	long fd = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	lkl_sys_sendto(fd, "", 0, 0, (struct lkl_sockaddr *)&sa, sizeof(sa));
	lkl_sys_close(fd);
}

/* The index of interface name, or -errno. */
static int if_index(const char *name)
{
	struct lkl_ifreq ifr = { 0 };
	long fd = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_DGRAM, 0), err;

	if (fd < 0)
		return (int)fd;
	for (unsigned i = 0; name[i] && i + 1 < sizeof(ifr.lkl_ifr_name); i++)
		ifr.lkl_ifr_name[i] = name[i];
	err = lkl_sys_ioctl(fd, LKL_SIOCGIFINDEX, (long)&ifr);
	lkl_sys_close(fd);
	return err < 0 ? (int)err : ifr.lkl_ifr_ifindex;
}

static void net_after_boot(void)
{
	const char *ip = get("ip"), *gw = get("gw"), *net = get("net");
	unsigned int addr, prefix, gwaddr;
	int ifindex;

	failed("cannot bring up the loopback interface: ", lkl_if_up(1));
	if (net && starts(net, "if:")) {
		ifindex = if_index(net + 3);
		if (ifindex < 0)
			fail("no network interface ", net + 3);
	} else if (net_id < 0) {
		return;
	} else {
		ifindex = lkl_netdev_get_ifindex(net_id);
	}
	failed("cannot find the network interface: ", ifindex);
	failed("cannot bring up the network interface: ", lkl_if_up(ifindex));
	if (!ip || same(ip, "dhcp"))
		return; /* ip=dhcp: the kernel configured it while booting */
	if (parse_ipv4(ip, &addr, &prefix))
		fail("bad address in ip=", ip);
	failed("cannot set the IPv4 address: ",
	       lkl_if_set_ipv4(ifindex, addr, prefix));
	if (gw) {
		if (parse_ipv4(gw, &gwaddr, 0))
			fail("bad address in gw=", gw);
		failed("cannot set the default gateway: ",
		       lkl_set_ipv4_gateway(gwaddr));
		announce(gwaddr);
	}
}

static int disk_id = -1;
static char disk_dir[256], disk_type[16], disk_dev[64];

/* disk=FD:DIR[:TYPE], added before boot so the kernel finds it at once. */
static void disk_before_boot(void)
{
	const char *d = get("disk"), *p;
	struct lkl_disk disk = { 0 };
	unsigned long i;
	int fd = 0;

	if (!d)
		return;
	if (*d == '/') {
		/* a device the kernel finds itself: only remembered here */
		for (p = d, i = 0; *p && *p != ':' && i + 1 < sizeof(disk_dev); p++)
			disk_dev[i++] = *p;
		disk_dev[i] = 0;
		if (*p++ != ':' || *p != '/')
			fail("bad disk setting (want disk=/dev/NAME:DIR[:TYPE]): ", d);
	} else {
		for (p = d; *p >= '0' && *p <= '9'; p++)
			fd = fd * 10 + (*p - '0');
		if (p == d || *p++ != ':' || *p != '/')
			fail("bad disk setting (want disk=FD:DIR[:TYPE]): ", d);
	}
	for (i = 0; *p && *p != ':' && i + 1 < sizeof(disk_dir); p++)
		disk_dir[i++] = *p;
	disk_dir[i] = 0;
	for (i = 0, p += *p == ':'; *p && i + 1 < sizeof(disk_type); p++)
		disk_type[i++] = *p;
	disk_type[i] = 0;
	if (*p)
		fail("bad disk setting (too long): ", d);
	if (!disk_type[0])
		__builtin_memcpy(disk_type, "ext4", 5);
	if (disk_dev[0])
		return;
	disk.fd = fd;
	disk_id = lkl_disk_add(&disk);
	if (disk_id < 0)
		fail("cannot attach the disk: ", lkl_strerror(disk_id));
}

static void mount_one(const char *src, const char *dir, const char *type)
{
	long err = lkl_sys_mkdir(dir, 0755);

	if (err < 0 && err != -LKL_EEXIST)
		failed("cannot create a mount point: ", err);
	failed("cannot mount the kernel's file systems: ",
	       lkl_sys_mount((char *)src, (char *)dir, (char *)type, 0, 0));
}

static void disk_after_boot(void)
{
	unsigned int dev;
	long err;

	const char *node = "/dev/lunik-disk";

	if (disk_dev[0]) {
		node = disk_dev;
	} else if (disk_id < 0) {
		return;
	} else {
		failed("cannot find the disk: ", lkl_get_virtio_blkdev(disk_id, 0, &dev));
		failed("cannot make the disk's device node: ",
		       lkl_sys_mknodat(LKL_AT_FDCWD, node, LKL_S_IFBLK | 0600, dev));
	}
	err = lkl_sys_mkdir(disk_dir, 0755);
	if (err < 0 && err != -LKL_EEXIST)
		failed("cannot create the disk's mount point: ", err);
	err = lkl_sys_mount((char *)node, disk_dir, disk_type, 0, 0);
	if (err < 0) {
		say("lunik: error: cannot mount the disk on ", disk_dir, ":");
		fail("  ", lkl_strerror(err));
	}
}

/* ---- the working directory of a program without a root file system ---- */

#define H_GETCWD 17
#define H_OPENAT 56
#define H_CLOSE 57
#define H_GETDENTS64 61
#define H_READ 63
#define H_WRITE 64
#define H_FSTATAT 79
#define H_AT_FDCWD (-100)
#define H_O_RDONLY 0
#define H_O_WRONLY 1
#define H_O_CREAT 0100
#define H_O_TRUNC 01000
#define H_O_DIRECTORY 0200000
#define H_O_CLOEXEC 02000000
#define COPY_MAX (1UL << 20)
#define COPY_FILES 256

struct dirent64 {
	unsigned long d_ino;
	long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static char cwd[512];
static int cwd_copied;
static struct {
	char name[64];
	long size, mtime;
} copied[COPY_FILES];
static int ncopied;

static long host(long n, long a, long b, long c, long d)
{
	return __lunik_host_syscall(n, a, b, c, d, 0, 0);
}

static int name_ok(const char *n)
{
	return n[0] && !(n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) &&
	       slen(n) < sizeof(copied[0].name);
}

static void join(char *out, unsigned long len, const char *dir, const char *name)
{
	unsigned long i = 0;

	for (; *dir && i + 2 < len; dir++)
		out[i++] = *dir;
	if (i && out[i - 1] != '/')
		out[i++] = '/';
	for (; *name && i + 1 < len; name++)
		out[i++] = *name;
	out[i] = 0;
}

/* mkdir -p in the kernel */
static void kernel_mkdirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = 0;
			lkl_sys_mkdir(path, 0755);
			*p = c;
			if (!c)
				break;
		}
	}
}

static void copy_in_file(const char *name, long size)
{
	static char buf[1 << 16];
	char hpath[sizeof(cwd) + 64];
	long hfd, kfd, n;
	struct lkl_stat st;

	join(hpath, sizeof(hpath), cwd, name);
	hfd = host(H_OPENAT, H_AT_FDCWD, (long)hpath, H_O_RDONLY | H_O_CLOEXEC, 0);
	if (hfd < 0)
		return;
	kfd = lkl_sys_open(hpath, LKL_O_WRONLY | LKL_O_CREAT | LKL_O_TRUNC, 0644);
	while (kfd >= 0 && (n = host(H_READ, hfd, (long)buf, sizeof(buf), 0)) > 0)
		if (lkl_sys_write(kfd, buf, n) != n)
			break;
	host(H_CLOSE, hfd, 0, 0, 0);
	if (kfd < 0)
		return;
	if (lkl_sys_fstat(kfd, &st) == 0 && ncopied < COPY_FILES) {
		join(copied[ncopied].name, sizeof(copied[0].name), "", name);
		copied[ncopied].size = size;
		copied[ncopied++].mtime = (long)st.lkl_st_mtime * 1000000000L + (long)st.st_mtime_nsec;
	}
	lkl_sys_close(kfd);
}

static void copy_cwd_in(void)
{
	static char dents[1 << 14];
	unsigned char hst[144];
	long dfd, n;

	if (host(H_GETCWD, (long)cwd, sizeof(cwd), 0, 0) < 0 || cwd[0] != '/')
		return; /* a platform without host files */
	kernel_mkdirs(cwd);
	cwd_copied = 1;
	dfd = host(H_OPENAT, H_AT_FDCWD, (long)cwd,
		   H_O_RDONLY | H_O_DIRECTORY | H_O_CLOEXEC, 0);
	if (dfd < 0)
		return;
	while ((n = host(H_GETDENTS64, dfd, (long)dents, sizeof(dents), 0)) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dents + off);
			char hpath[sizeof(cwd) + 64];

			off += d->d_reclen;
			if (!name_ok(d->d_name))
				continue;
			join(hpath, sizeof(hpath), cwd, d->d_name);
			/* x86_64 struct stat: st_mode at 24, st_size at 48 */
			if (host(H_FSTATAT, H_AT_FDCWD, (long)hpath, (long)hst, 0) < 0)
				continue;
			unsigned int mode = *(unsigned int *)(hst + 24);
			long size = *(long *)(hst + 48);

			if ((mode & 0170000) == 0100000 && (unsigned long)size <= COPY_MAX)
				copy_in_file(d->d_name, size);
		}
	}
	host(H_CLOSE, dfd, 0, 0, 0);
}

/* Write back what is new or changed in the kernel's copy of the directory. */
static void copy_cwd_out(void)
{
	static char buf[1 << 16];
	static char dents[1 << 14];
	long dfd, n;

	if (!cwd_copied)
		return;
	dfd = lkl_sys_open(cwd, LKL_O_RDONLY | LKL_O_DIRECTORY, 0);
	if (dfd < 0)
		return;
	while ((n = lkl_sys_getdents64(dfd, (void *)dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dents + off);
			char path[sizeof(cwd) + 64];
			struct lkl_stat st;
			long kfd, hfd, mt, got;
			int i;

			off += d->d_reclen;
			if (!name_ok(d->d_name))
				continue;
			join(path, sizeof(path), cwd, d->d_name);
			if (lkl_sys_stat(path, &st) < 0 || !LKL_S_ISREG(st.st_mode))
				continue;
			mt = (long)st.lkl_st_mtime * 1000000000L + (long)st.st_mtime_nsec;
			for (i = 0; i < ncopied; i++)
				if (same(copied[i].name, d->d_name))
					break;
			if (i < ncopied && copied[i].mtime == mt && copied[i].size == (long)st.st_size)
				continue;
			kfd = lkl_sys_open(path, LKL_O_RDONLY, 0);
			if (kfd < 0)
				continue;
			hfd = host(H_OPENAT, H_AT_FDCWD, (long)path,
				   H_O_WRONLY | H_O_CREAT | H_O_TRUNC | H_O_CLOEXEC,
				   st.st_mode & 0777);
			while (hfd >= 0 && (got = lkl_sys_read(kfd, buf, sizeof(buf))) > 0)
				if (host(H_WRITE, hfd, (long)buf, got, 0) != got)
					break;
			if (hfd >= 0)
				host(H_CLOSE, hfd, 0, 0, 0);
			lkl_sys_close(kfd);
		}
	}
	lkl_sys_close(dfd);
}

static void open_stdio(void)
{
	static const char *const names[3] = {
		"/dev/hoststdin", "/dev/hoststdout", "/dev/hoststderr"
	};

	for (int fd = 0; fd < 3; fd++) {
		long got = lkl_sys_open(names[fd], fd ? LKL_O_WRONLY : LKL_O_RDONLY, 0);

		failed("cannot open the standard streams: ", got);
		if (got != fd)
			fail("the standard streams did not get fds 0, 1 and 2", "");
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

	failed("cannot ignore SIGPIPE: ",
	       lkl_sys_rt_sigaction(LKL_SIGPIPE, &sa, 0, sizeof(lkl_sigset_t)));
}

void __lunik_start(int argc, char **argv, char **envp)
{
	const char *mem, *ip;
	long err;

	(void)argc, (void)argv;
	if (__lunik_config)
		add_words(__lunik_config);
	for (char **e = envp; *e; e++)
		if (starts(*e, "LUNIK_CONFIG="))
			add_words(*e + 13);

	if (__lunik_initrd_start &&
	    (unsigned long)__lunik_initrd_end > (unsigned long)__lunik_initrd_start) {
		err = lkl_set_initrd(__lunik_initrd_start,
				     (unsigned long)__lunik_initrd_end -
					     (unsigned long)__lunik_initrd_start);
		failed("cannot use the root file system: ", err);
	}
	net_before_boot();
	disk_before_boot();

	err = lkl_init(&lkl_host_ops);
	failed("cannot start the kernel library: ", err);
	mem = get("mem");
	ip = get("ip");
	verbose = get("verbose") && !same(get("verbose"), "0");
	/* without verbose=1 only critical messages (and panics) are shown */
	err = lkl_start_kernel("mem=%s %s%s", mem ? mem : "64M",
			       verbose ? "" : "loglevel=3 ",
			       ip && same(ip, "dhcp") ? "ip=dhcp" : "");
	failed("the kernel did not boot: ", err);

	mount_one("devtmpfs", "/dev", "devtmpfs");
	mount_one("proc", "/proc", "proc");
	mount_one("sysfs", "/sys", "sysfs");
	mount_one("tmpfs", "/tmp", "tmpfs");
	open_stdio();
	ignore_sigpipe();
	net_after_boot();
	disk_after_boot();
	if (!__lunik_initrd_start)
		copy_cwd_in();
	failed("cannot change to the working directory: ",
	       lkl_sys_chdir(cwd_copied ? cwd : "/"));
}

_Noreturn void __lunik_exit(int status)
{
	if (lkl_is_running()) {
		copy_cwd_out();
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
