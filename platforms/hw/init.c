/* hw platform: version handshake, init/fini and platform parameters. */
#include "hw.h"

const struct lhc_upcalls *hw_upcalls;
static int initialised;

int lhc_init(int version, const struct lhc_upcalls *up, uint32_t *caps)
{
	int err;

	if (version != LHC_VERSION)
		return LHC_EPROTO;
	if (!up || !caps)
		return LHC_EINVAL;
	if (initialised)
		return LHC_EBUSY;
	err = hw_timer_start();
	if (err)
		return err;
	hw_upcalls = up;
	initialised = 1;
	/* EXIT: lhc_exit's status leaves through QEMU's isa-debug-exit
	 * (exit.c); STDIO: the serial port; VDEV: platforms/common. */
	*caps = LHC_CAP_EXIT | LHC_CAP_STDIO | LHC_CAP_VDEV | hw_pci_init();
	return 0;
}

void lhc_fini(void)
{
	if (!initialised)
		return;
	hw_stdio_fini();
	hw_pci_fini();
	hw_timer_stop();
	hw_upcalls = 0;
	initialised = 0;
}

void hw_raise(int irq)
{
	if (hw_upcalls && hw_upcalls->irq_raise)
		hw_upcalls->irq_raise(irq);
}

/* Copy val (and the device announcement, for "cmdline") only if all of it
 * fits, as the contract requires. */
int lhc_getparam(const char *name, char *buf, size_t len)
{
	size_t n, d;

	if (!name || (!buf && len))
		return LHC_EINVAL;
	if (hw_strcmp(name, "cmdline") == 0) {
		/* the boot loader's line, then the devices (LHC_CAP_VDEV) */
		n = hw_strlen(hw_cmdline);
		d = hw_vdev_cmdline(0, 0, n > 0);
		if (n + d + 1 > len)
			return LHC_ERANGE;
		hw_memcpy(buf, hw_cmdline, n);
		hw_vdev_cmdline(buf + n, d, n > 0);
		buf[n + d] = 0;
		return 0;
	}
	if (hw_strcmp(name, "ncpus") == 0) {
		if (len < 2)
			return LHC_ERANGE;
		buf[0] = '1';
		buf[1] = 0;
		return 0;
	}
	return LHC_ENOENT;
}
