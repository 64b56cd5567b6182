// SPDX-License-Identifier: GPL-2.0
/*
 * lkl: the host's standard streams as character devices (LHC_CAP_STDIO):
 * /dev/hoststdin, /dev/hoststdout and /dev/hoststderr, misc devices that
 * devtmpfs creates. A program opens them as its fds 0, 1 and 2: they are
 * ordinary kernel files (dup, poll, redirect inside the kernel all work)
 * whose bytes come from and go to the host's own standard streams.
 */

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/reboot.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include "internal.h"

/* The platform's stdio errors as the errno a file operation returns. */
static int stdio_errno(int lhc_err)
{
	switch (lhc_err) {
	case 0:
		return 0;
	case LHC_EPIPE:
		return -EPIPE;
	case LHC_EAGAIN:
		return -EAGAIN;
	case LHC_EBUSY:
		return -EBUSY;
	case LHC_ENOMEM:
		return -ENOMEM;
	case LHC_ENOSYS:
		return -ENODEV;
	default:
		return -EIO;
	}
}

/* ---- /dev/hoststdout, /dev/hoststderr ------------------------------------ */

static struct miscdevice stdout_misc, stderr_misc;

/*
 * Synchronous: every byte is with the host when write() returns, so output
 * interleaves with the host's own writes as it would from a native
 * program. The data goes through a bounce page because an iov_iter may
 * hold kernel pages (splice, sendfile) as well as user buffers. The CPU is
 * held while the host write blocks (a full pipe), as for a console, and
 * no other task runs in between: one write() stays contiguous.
 */
static ssize_t out_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	int stream = iocb->ki_filp->private_data == &stdout_misc ?
			     LHC_STDIO_OUT : LHC_STDIO_ERR;
	size_t done = 0;
	char *page;
	int err = 0;

	if (!iov_iter_count(from))
		return 0;
	page = (char *)__get_free_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	while (iov_iter_count(from)) {
		size_t n = copy_from_iter(page, PAGE_SIZE, from);

		if (!n) {
			err = -EFAULT;
			break;
		}
		err = stdio_errno(lhc_stdio_write(stream, page, n));
		if (err)
			break;
		done += n;
	}
	free_page((unsigned long)page);
	return done ? done : err;
}

/* A stream, not a file: lseek and pread/pwrite fail with -ESPIPE. */
static int stdio_open(struct inode *inode, struct file *file)
{
	return nonseekable_open(inode, file);
}

static const struct file_operations out_fops = {
	.owner = THIS_MODULE,
	.open = stdio_open,
	.write_iter = out_write_iter,
	.splice_write = iter_file_splice_write,
};

static struct miscdevice stdout_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hoststdout",
	.fops = &out_fops,
	.mode = 0666,
};

static struct miscdevice stderr_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hoststderr",
	.fops = &out_fops,
	.mode = 0666,
};

/* ---- /dev/hoststdin ------------------------------------------------------- */

/*
 * The platform never blocks a read: it answers LHC_EAGAIN and raises our
 * line once input (or its end) is there. A reader that got LHC_EAGAIN
 * sleeps until the interrupt count moves past the value it saw before
 * asking, so an interrupt between the answer and the sleep is not lost,
 * and a reader woken for input another one took just asks again. The
 * platform's bytes land in a page here first, so that poll can learn
 * whether input is there without losing it.
 */
static struct {
	struct mutex lock; /* everything below but seq and wq */
	bool open;	   /* platform side opened, irq requested */
	int irq;
	char *buf; /* one page: [start, end) not yet read */
	size_t start, end;
	bool eof, err; /* an end of input / an error, reported once */
	atomic_t seq;  /* interrupts so far */
	wait_queue_head_t wq;
} in = {
	.lock = __MUTEX_INITIALIZER(in.lock),
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(in.wq),
};

static irqreturn_t stdin_interrupt(int irq, void *dev)
{
	atomic_inc(&in.seq);
	wake_up_interruptible(&in.wq);
	return IRQ_HANDLED;
}

/* The first open starts the platform's side, which then reads nothing
 * until the first read or poll asks. */
static int in_open(struct inode *inode, struct file *file)
{
	int irq, err = 0;

	nonseekable_open(inode, file);
	mutex_lock(&in.lock);
	if (in.open)
		goto out;
	if (!in.buf) {
		in.buf = (char *)__get_free_page(GFP_KERNEL);
		if (!in.buf) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = stdio_errno(lhc_stdio_in_open(&irq));
	if (err)
		goto out;
	err = request_irq(irq, stdin_interrupt, 0, "hoststdin", &in);
	if (err) {
		lhc_stdio_in_close();
		goto out;
	}
	in.irq = irq;
	in.start = in.end = 0;
	in.eof = in.err = false;
	in.open = true;
out:
	mutex_unlock(&in.lock);
	return err;
}

/*
 * With in.lock held: true if input, an end or an error is waiting here,
 * fetching it from the platform if need be; false if the platform has
 * nothing yet (it will interrupt), with *seq the count seen before asking.
 */
static bool in_fill(int *seq)
{
	size_t got;
	int err;

	if (in.start < in.end || in.eof || in.err)
		return true;
	if (!in.open) {
		in.err = true; /* halted */
		return true;
	}
	*seq = atomic_read(&in.seq);
	err = lhc_stdio_in_read(in.buf, PAGE_SIZE, &got);
	if (err == LHC_EAGAIN)
		return false;
	if (err)
		in.err = true;
	else if (!got)
		in.eof = true;
	else {
		in.start = 0;
		in.end = got;
	}
	return true;
}

static ssize_t in_read(struct file *file, char __user *ubuf, size_t len,
		       loff_t *ppos)
{
	ssize_t ret;
	int seq = 0;

	if (!len)
		return 0;
	for (;;) {
		if (mutex_lock_interruptible(&in.lock))
			return -ERESTARTSYS;
		if (in_fill(&seq)) {
			if (in.start < in.end) {
				size_t n = min(len, in.end - in.start);

				ret = copy_to_user(ubuf, in.buf + in.start, n) ?
					      -EFAULT : n;
				if (ret > 0)
					in.start += n;
			} else if (in.eof) {
				in.eof = false;
				ret = 0;
			} else {
				in.err = false;
				ret = -EIO;
			}
			mutex_unlock(&in.lock);
			return ret;
		}
		mutex_unlock(&in.lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(in.wq, atomic_read(&in.seq) != seq))
			return -ERESTARTSYS;
	}
}

static __poll_t in_poll(struct file *file, poll_table *wait)
{
	__poll_t mask = 0;
	int seq;

	poll_wait(file, &in.wq, wait);
	mutex_lock(&in.lock);
	if (in_fill(&seq))
		mask = EPOLLIN | EPOLLRDNORM | (in.err ? EPOLLERR : 0);
	mutex_unlock(&in.lock);
	return mask;
}

static const struct file_operations in_fops = {
	.owner = THIS_MODULE,
	.open = in_open,
	.read = in_read,
	.poll = in_poll,
};

static struct miscdevice stdin_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hoststdin",
	.fops = &in_fops,
	.mode = 0666,
};

/*
 * Halt (lkl_sys_halt reboots): stop the platform's reader before the
 * kernel goes, so that it raises nothing into a stopped kernel. Waiting
 * readers see an error.
 */
static int stdio_reboot(struct notifier_block *nb, unsigned long action,
			void *data)
{
	mutex_lock(&in.lock);
	if (in.open) {
		free_irq(in.irq, &in);
		lhc_stdio_in_close();
		in.open = false;
		atomic_inc(&in.seq);
		wake_up_interruptible(&in.wq);
	}
	mutex_unlock(&in.lock);
	return NOTIFY_DONE;
}

static struct notifier_block stdio_reboot_nb = {
	.notifier_call = stdio_reboot,
};

static int __init lkl_stdio_init(void)
{
	int err;

	if (!(lkl_lhc_caps & LHC_CAP_STDIO))
		return 0; /* a platform without host streams */
	err = misc_register(&stdin_misc);
	if (!err)
		err = misc_register(&stdout_misc);
	if (!err)
		err = misc_register(&stderr_misc);
	if (err) {
		pr_err("lkl: cannot register the host stdio devices: %d\n", err);
		return err;
	}
	register_reboot_notifier(&stdio_reboot_nb);
	return 0;
}
device_initcall(lkl_stdio_init);
