/* hw-pci.c: the kernel library on the hw platform (bare metal, PVH) under
 * QEMU, driving QEMU's virtio-blk-pci and virtio-net-pci with Linux's own
 * drivers through arch-lkl's PCI host bridge (LHC_CAP_PCI, MSI-X).
 *
 * Not a hosted program like the others here: it is hw_main of a PVH image
 * (built -ffreestanding, linked with lkl.o and libhw-platform.a), so it
 * uses only lkl.h and the hypercalls, and prints through lhc_putstr. The
 * command line carries "hwpci.port=N": a TCP port on the host, which
 * QEMU's user network reaches at 10.0.2.2; "ip=dhcp" configures eth0. The
 * disk's sector 0 starts with "LUNIKDISK"; sector 16 is written here and
 * checked by the host afterwards. test/pci-hw.test.ts runs it. */
#include <lkl.h>
#include <lkl_host.h>
#include <lunik/hypercall.h>

static void print(const char *s, int len)
{
	lhc_putstr(s, (size_t)len);
}

static struct lkl_host_operations ops = { .print = print };
static int n_checks, failed;

static unsigned long slen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	lhc_putstr(s, slen(s));
}

static void say_num(int v)
{
	char b[12];
	int i = sizeof(b) - 1;

	b[i] = 0;
	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	say(b + i);
}

static void check(int ok, const char *what)
{
	n_checks++;
	failed += !ok;
	say(ok ? "ok - " : "not ok - ");
	say(what);
	say("\n");
}

static const char *find(const char *hay, const char *needle)
{
	unsigned long n = slen(needle), i;

	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i] == needle[i]; i++)
			;
		if (i == n)
			return hay;
	}
	return 0;
}

static long readf(const char *path, char *buf, long len)
{
	long fd = lkl_sys_open(path, LKL_O_RDONLY, 0), n;

	if (fd < 0)
		return fd;
	n = lkl_sys_read(fd, buf, len - 1);
	lkl_sys_close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

static void show(const char *path)
{
	static char buf[4096];

	say("# ");
	say(path);
	say(":\n");
	if (readf(path, buf, sizeof(buf)) > 0)
		say(buf);
}

static unsigned long number(const char *s, const char **end)
{
	unsigned long v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (end)
		*end = s;
	return v;
}

static void check_bus(void)
{
	char buf[128];

	check(readf("/sys/bus/pci/devices/0000:00:00.0/class", buf, sizeof(buf)) > 0 &&
	      find(buf, "0x0600"), "the host bridge is 00:00.0");
	show("/proc/iomem");
}

static void check_disk(void)
{
	static char buf[4096];
	const char *p;
	unsigned long major, minor;
	long fd, i;

	check(readf("/sys/block/vda/size", buf, sizeof(buf)) > 0 && number(buf, 0) == 2048,
	      "virtio_blk: /sys/block/vda has 2048 sectors");
	check(readf("/sys/block/vda/device/../vendor", buf, sizeof(buf)) > 0 &&
	      find(buf, "0x1af4"), "vda's virtio device sits on a PCI function of Red Hat's");
	readf("/sys/block/vda/dev", buf, sizeof(buf));
	major = number(buf, &p);
	minor = number(p + 1, 0);
	lkl_sys_mkdir("/dev", 0755);
	lkl_sys_mknod("/dev/vda", LKL_S_IFBLK | 0600,
		      (unsigned int)((minor & 0xff) | major << 8 | (minor & ~0xfful) << 12));
	fd = lkl_sys_open("/dev/vda", LKL_O_RDWR, 0);
	check(fd >= 0, "open /dev/vda");
	check(lkl_sys_pread64(fd, buf, 512, 0) == 512 && find(buf, "LUNIKDISK") == buf,
	      "sector 0 read over virtio-blk-pci holds the host's marker");
	for (i = 0; i < 512; i++)
		buf[i] = "written by the kernel on hw. "[i % 29];
	check(lkl_sys_pwrite64(fd, buf, 512, 16 * 512) == 512 && lkl_sys_fsync(fd) == 0,
	      "sector 16 written and flushed");
	lkl_sys_close(fd);
}

static void check_net(unsigned long port)
{
	static char buf[4096];
	static const char req[] = "GET /hello.txt HTTP/1.0\r\n\r\n";
	struct lkl_sockaddr_in sin = { 0 };
	long s, n, got = 0;

	check(readf("/sys/class/net/eth0/device/../class", buf, sizeof(buf)) > 0 &&
	      find(buf, "0x0200"), "virtio_net: eth0 sits on a PCI network function");
	s = lkl_sys_socket(LKL_AF_INET, LKL_SOCK_STREAM, 0);
	sin.sin_family = LKL_AF_INET;
	sin.sin_port = lkl_htons((unsigned short)port);
	sin.sin_addr.lkl_s_addr = lkl_htonl(0x0a000202); /* 10.0.2.2: the host */
	check(lkl_sys_connect(s, (void *)&sin, sizeof(sin)) == 0,
	      "TCP connect to the host through QEMU's user network (address from DHCP)");
	lkl_sys_write(s, req, sizeof(req) - 1);
	while (got < (long)sizeof(buf) - 1 &&
	       (n = lkl_sys_read(s, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	lkl_sys_close(s);
	check(find(buf, " 200 ") && find(buf, "hello from the host"),
	      "an HTTP GET answered over virtio-net-pci");
}

int hw_main(void)
{
	static char cmdline[1024];
	const char *p;
	unsigned long port = 0;

	if (!lhc_getparam("cmdline", cmdline, sizeof(cmdline)) &&
	    (p = find(cmdline, "hwpci.port=")))
		port = number(p + 11, 0);
	if (lkl_init(&ops) || lkl_start_kernel("mem=64M")) {
		say("Bail out! the kernel did not boot\n");
		return 2;
	}
	lkl_sys_mkdir("/sys", 0755);
	lkl_sys_mkdir("/proc", 0755);
	lkl_sys_mount("sysfs", "/sys", "sysfs", 0, 0);
	lkl_sys_mount("proc", "/proc", "proc", 0, 0);
	check_bus();
	check_disk();
	if (port)
		check_net(port);
	show("/proc/interrupts");
	lkl_sys_halt();
	say_num(n_checks - failed);
	say(" passed, ");
	say_num(failed);
	say(" failed\n");
	return failed ? 1 : 0;
}
