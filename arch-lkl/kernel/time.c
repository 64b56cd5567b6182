// SPDX-License-Identifier: GPL-2.0
/* lkl: clocksource from lhc_clock_ns, clock event from a one-shot lhc_timer. */

#include <linux/clockchips.h>
#include <linux/clocksource.h>
#include <linux/interrupt.h>
#include <linux/sched_clock.h>
#include <linux/sched/clock.h>
#include <linux/timekeeping.h>
#include <linux/delay.h>
#include "internal.h"

static struct lhc_timer *lkl_timer;

static u64 mono_ns(void)
{
	uint64_t ns = 0;

	lhc_clock_ns(LHC_CLOCK_MONO, &ns);
	return ns;
}

/* The monotonic clock when the kernel started: uptime counts from it. */
static u64 boot_ns;

void lkl_time_boot(void)
{
	boot_ns = mono_ns();
}

/* Also the boot offset of CLOCK_MONOTONIC (timekeeping_init). */
unsigned long long sched_clock(void)
{
	return mono_ns() - boot_ns;
}

static u64 lkl_cs_read(struct clocksource *cs)
{
	return mono_ns();
}

static struct clocksource lkl_clocksource = {
	.name	= "lkl",
	.rating	= 499,
	.read	= lkl_cs_read,
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS | CLOCK_SOURCE_VALID_FOR_HRES,
	.mask	= CLOCKSOURCE_MASK(64),
};

static int lkl_ce_next(unsigned long delta, struct clock_event_device *evt)
{
	return lhc_timer_set(lkl_timer, delta) ? -EINVAL : 0;
}

static int lkl_ce_shutdown(struct clock_event_device *evt)
{
	lhc_timer_cancel(lkl_timer);
	return 0;
}

static struct clock_event_device lkl_clockevent = {
	.name			= "lkl",
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.set_next_event		= lkl_ce_next,
	.set_state_shutdown	= lkl_ce_shutdown,
	.set_state_oneshot	= NULL,
	.rating			= 499,
	.irq			= LKL_TIMER_IRQ,
};

static irqreturn_t lkl_timer_irq(int irq, void *dev_id)
{
	lkl_clockevent.event_handler(&lkl_clockevent);
	return IRQ_HANDLED;
}

/* Runs on the platform's timer thread. */
static void lkl_timer_fired(void *arg)
{
	lkl_irq_raise(LKL_TIMER_IRQ);
}

void read_persistent_clock64(struct timespec64 *ts)
{
	uint64_t ns = 0;

	lhc_clock_ns(LHC_CLOCK_WALL, &ns);
	*ts = ns_to_timespec64(ns);
}

void __init time_init(void)
{
	int err;

	err = lhc_timer_alloc(lkl_timer_fired, NULL, &lkl_timer);
	if (err)
		panic("lkl: cannot allocate the timer (%d)\n", err);
	err = request_irq(LKL_TIMER_IRQ, lkl_timer_irq, IRQF_TIMER, "timer",
			  NULL);
	if (err)
		panic("lkl: cannot request the timer IRQ (%d)\n", err);
	clocksource_register_hz(&lkl_clocksource, NSEC_PER_SEC);
	lkl_clockevent.cpumask = cpumask_of(0);
	clockevents_config_and_register(&lkl_clockevent, NSEC_PER_SEC, 1,
					ULONG_MAX);
}

void lkl_time_teardown(void)
{
	if (lkl_timer) {
		lhc_timer_free(lkl_timer);
		lkl_timer = NULL;
	}
}

/* Delays spin on the monotonic clock. */
static void spin_ns(u64 ns)
{
	u64 end = mono_ns() + ns;

	while (mono_ns() < end)
		cpu_relax();
}

void __delay(unsigned long loops)
{
	spin_ns(loops);
}

void __ndelay(unsigned long nsecs)
{
	spin_ns(nsecs);
}

void __udelay(unsigned long usecs)
{
	spin_ns((u64)usecs * NSEC_PER_USEC);
}

void __const_udelay(unsigned long xloops)
{
	/* asm-generic/delay.h scales usecs by 2^32 / 10^6 (0x10c7). */
	spin_ns(((u64)xloops * NSEC_PER_SEC) >> 32);
}

void calibrate_delay(void)
{
	/* Delays use the clock, not loops; one "loop" is a nanosecond. */
	loops_per_jiffy = NSEC_PER_SEC / HZ;
}
