// SPDX-License-Identifier: GPL-2.0
/* lkl: the public start/stop API, init's hand-over, machine halt hooks. */

#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/init_syscalls.h>
#include <linux/initrd.h>
#include <linux/stat.h>
#include <linux/reboot.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/start_kernel.h>
#include <linux/syscalls.h>
#include <linux/task_work.h>
#include <linux/string.h>
#include <asm/setup.h>
#include <lkl.h>
#include "internal.h"

int lkl_halt_requested;
static int lkl_running;
static struct lhc_thread *boot_thread;
static struct lhc_sem *boot_sem;	/* posted when init is host task 0 */

static bool lkl_inited;
uint32_t lkl_lhc_caps;

/* One boot per process: init_task and the memory map are not reset. */
static bool booted;

/* A second call only replaces the operations (the platform is set up). */
int lkl_init(struct lkl_host_operations *ops)
{
	uint32_t caps;
	static const struct lhc_upcalls upcalls = {
		.irq_raise = lkl_irq_raise,
	};

	lkl_ops = ops;
	if (lkl_inited)
		return 0;
	if (lhc_init(LHC_VERSION, &upcalls, &caps))
		return -EPROTO;
	lkl_lhc_caps = caps;
	lkl_inited = true;
	return 0;
}

const void *lkl_initrd_data;
unsigned long lkl_initrd_len;

/*
 * Only recorded here: setup_arch hands the archive to the kernel's own
 * unpacker (populate_rootfs), which reads it where it is, during
 * lkl_start_kernel. It stays the program's memory (see free_initrd_mem).
 */
int lkl_set_initrd(const void *data, unsigned long len)
{
	if (!IS_ENABLED(CONFIG_BLK_DEV_INITRD))
		return -EOPNOTSUPP;
	if (booted)
		return -EBUSY;
	if (!data && len)
		return -EINVAL;
	lkl_initrd_data = len ? data : NULL;
	lkl_initrd_len = len;
	return 0;
}

void lkl_cleanup(void)
{
	if (lkl_running || !lkl_inited)
		return;	/* lkl_sys_halt first */
	lkl_syscalls_fini();
	lkl_cpu_fini();
	lhc_fini();
	lkl_inited = false;
}

int lkl_is_running(void)
{
	return lkl_running;
}

/* Runs start_kernel; the thread then becomes the idle task's. The __ref
 * functions here run before any __init memory could be freed (never). */
static void __ref boot_main(void *arg)
{
	struct lhc_jmpbuf exit_jb;

	lkl_time_boot();
	lkl_idle_thread = lhc_thread_self();
	init_task.thread.thread = lkl_idle_thread;
	init_task.thread.exit_jb = &exit_jb;
	if (lkl_cpu_get() < 0)
		return;
	lhc_jmp_set(&exit_jb, start_kernel);
}

/* Append s to the command line being built; false when it is full. */
static bool __ref cmdline_add(size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return true;
	if (*len + n + 2 > COMMAND_LINE_SIZE)
		return false;
	if (*len)
		boot_command_line[(*len)++] = ' ';
	memcpy(boot_command_line + *len, s, n + 1);
	*len += n;
	return true;
}

/* Tell the program why lkl_start_kernel fails (through its print op). */
static void __ref boot_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lkl_ops && lkl_ops->print && n > 0)
		lkl_ops->print(msg, min_t(int, n, sizeof(msg) - 1));
}

/*
 * The size the last mem= on the command line asks for (the default without
 * one), checked before boot: a bad value is an error return, not a panic.
 */
static int __ref boot_mem_size(const char *cmdline, unsigned long *size)
{
	const char *p = cmdline;
	char *end;

	*size = memparse(CONFIG_LKL_MEM_DEFAULT, NULL);
	for (; (p = strstr(p, "mem=")); p += 4) {
		if (p != cmdline && p[-1] != ' ')
			continue;	/* part of another parameter */
		*size = memparse(p + 4, &end);
		if (end == p + 4 || (*end && *end != ' ')) {
			boot_error("lkl: error: bad mem= value \"%.*s\": write a size such as mem=64M\n",
				   (int)strcspn(p + 4, " "), p + 4);
			return -EINVAL;
		}
	}
	if (*size < LKL_MEM_MIN) {
		boot_error("lkl: error: mem=%luK is too small: the kernel needs at least %luK\n",
			   *size >> 10, LKL_MEM_MIN >> 10);
		return -EINVAL;
	}
	return 0;
}

int __ref lkl_start_kernel(const char *fmt, ...)
{
	unsigned long mem;
	static char arg[COMMAND_LINE_SIZE];
	size_t len = 0;
	va_list ap;
	int err;

	if (booted)
		return -EBUSY;

	boot_command_line[0] = 0;
	if (!cmdline_add(&len, CONFIG_LKL_BUILTIN_CMDLINE))
		return -E2BIG;
	if (lhc_getparam("cmdline", arg, sizeof(arg)) == 0 &&
	    !cmdline_add(&len, arg))
		return -E2BIG;
	va_start(ap, fmt);
	err = vsnprintf(arg, sizeof(arg), fmt, ap);
	va_end(ap);
	if (err >= sizeof(arg) || !cmdline_add(&len, arg)) {
		boot_error("lkl: error: the command line is longer than %d bytes\n", COMMAND_LINE_SIZE - 1);
		return -E2BIG;
	}
	err = boot_mem_size(boot_command_line, &mem);
	if (err)
		return err;
	if (lkl_mem_prepare(mem)) {
		boot_error("lkl: error: the platform cannot give mem=%luM of memory\n", mem >> 20);
		return -ENOMEM;
	}
	booted = true;

	err = lkl_cpu_init();
	if (!err)
		err = lkl_syscalls_init();
	if (!err && lhc_sem_alloc(0, &boot_sem))
		err = -ENOMEM;
	if (!err && lhc_sem_alloc(0, &init_task.thread.sem))
		err = -ENOMEM;
	if (err)
		return err;

	if (lhc_thread_create(boot_main, NULL, "lkl-idle", 1, &boot_thread))
		return -ENOMEM;
	lhc_sem_down(boot_sem);
	lkl_running = 1;
	return 0;
}

void lkl_init_done(struct task_struct *init)
{
	/* Process 1 must not die of SIGPIPE from a closed pipe or socket. */
	spin_lock_irq(&init->sighand->siglock);
	init->sighand->action[SIGPIPE - 1].sa.sa_handler = SIG_IGN;
	spin_unlock_irq(&init->sighand->siglock);

	lkl_init_thread = init->thread.thread;
	init->thread.flags |= LKL_TF_HOST;
	init->thread.thread = NULL;
	lkl_host0 = init;
	lkl_sched_away();
	lhc_sem_up(boot_sem);
}

long lkl_sys_halt(void)
{
	long params[6] = { LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
			   LINUX_REBOOT_CMD_RESTART, 0, 0, 0 };
	long err;

	if (!lkl_running)
		return -EINVAL;
	err = lkl_syscall(__NR_reboot, params);
	if (err < 0)
		return err;

	err = lkl_cpu_get();
	if (err < 0)
		return err;
	lkl_running = 0;
	lkl_cpu_shutdown();
	lkl_time_teardown();
	lkl_threads_teardown();

	/* The idle thread waits either for a handover or in __switch_to. */
	init_task.thread.flags |= LKL_TF_DEAD;
	lkl_cpu_wake_idle();
	lhc_sem_up(init_task.thread.sem);
	lhc_thread_join(boot_thread);
	boot_thread = NULL;

	lhc_sem_free(init_task.thread.sem);
	init_task.thread.sem = NULL;
	lhc_sem_free(boot_sem);
	boot_sem = NULL;
	lkl_mem_free();
	/* The CPU lock stays (shut) until lkl_cleanup: host threads that end
	 * now still run the TLS destructor, which must find it refusing. */
	return 0;
}

void machine_restart(char *cmd)
{
	lkl_pci_halt();
	lkl_halt_requested = 1;
}

void machine_halt(void)
{
	lkl_pci_halt();
	lkl_halt_requested = 1;
}

void machine_power_off(void)
{
	lkl_pci_halt();
	lkl_halt_requested = 1;
}

/*
 * The first exec of the empty /init (by kernel_init, pid 1) is accepted
 * without loading anything: kernel_init then returns and init becomes
 * host task 0 (threads.c).
 */
static int lkl_load_init(struct linux_binprm *bprm)
{
	int err;

	if (lkl_host0 || task_pid_nr(current) != 1 ||
	    strcmp(bprm->filename, "/init"))
		return -ENOEXEC;
	err = begin_new_exec(bprm);
	if (err)
		return err;
	setup_new_exec(bprm);
	finalize_exec(bprm);
	return 0;
}

static struct linux_binfmt lkl_init_binfmt = {
	.load_binary = lkl_load_init,
};

static int __init lkl_init_setup(void)
{
	struct kstat st;
	struct file *f;

	register_binfmt(&lkl_init_binfmt);
	/*
	 * The initramfs is unpacked asynchronously: wait for it, so that an
	 * /init it brings is seen (and never half-written by both of us).
	 * Then make an empty /init if there is none. One from the archive is
	 * left as it is (its content is never run: lkl_load_init accepts
	 * it), but the exec needs an executable file to get that far.
	 */
	wait_for_initramfs();
	f = filp_open("/init", O_CREAT | O_EXCL | O_WRONLY, 0755);
	if (!IS_ERR(f)) {
		fput(f);
		/* Finish the fput now: a file still open for writing cannot
		 * be exec'ed (ETXTBSY), and this task never returns to "user
		 * space", where task work would normally run. */
		task_work_run();
	} else if (PTR_ERR(f) != -EEXIST) {
		pr_err("lkl: cannot create /init: %ld\n", PTR_ERR(f));
	} else if (init_stat("/init", &st, 0) || !S_ISREG(st.mode) ||
		   !(st.mode & 0111)) {
		pr_err("lkl: error: the initramfs has an /init that is not an executable file, so init cannot start: make it executable (it is never run) or leave it out\n");
	}
	return 0;
}
late_initcall(lkl_init_setup);
