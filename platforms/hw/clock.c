/* hw platform: the TSC clock (calibrated at boot), the CMOS RTC, lhc_clock_ns. */
#include "hw.h"

/*
 * LHC_CLOCK_MONO is the TSC scaled to nanoseconds, from 0 at boot. Its
 * rate comes from the hypervisor when it says (CPUID 0x40000010, the TSC
 * in kHz, or leaf 0x15's crystal ratio), else from counting TSC ticks
 * across a 20 ms one-shot of the PIT's channel 2, whose 1.193182 MHz
 * clock every PC (and QEMU's TCG) has. The same window calibrates the
 * LAPIC timer. LHC_CLOCK_WALL is the RTC's reading at boot (whole
 * seconds, UTC as QEMU's default -rtc base=utc gives it) carried on by
 * the monotonic clock.
 */

#define PIT_HZ 1193182u
#define PIT_TICKS (PIT_HZ / 50) /* 20 ms */

static uint64_t tsc_hz, tsc0, mult; /* ns = (tsc - tsc0) * mult >> 32 */
static uint64_t last_ns;
static uint64_t wall_at_zero; /* LHC_CLOCK_WALL when LHC_CLOCK_MONO was 0 */

uint64_t hw_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t hw_now(void)
{
	uint64_t d = hw_rdtsc() - tsc0;
	uint64_t ns = (uint64_t)(((unsigned __int128)d * mult) >> 32);

	/* one CPU, but a TSC write by firmware or a migrating hypervisor
	 * must not make the clock go back */
	if (ns < last_ns)
		return last_ns;
	last_ns = ns;
	return ns;
}

int lhc_clock_ns(int clock, uint64_t *ns)
{
	switch (clock) {
	case LHC_CLOCK_MONO:
		*ns = hw_now();
		return 0;
	case LHC_CLOCK_WALL:
		*ns = wall_at_zero + hw_now();
		return 0;
	default:
		return LHC_EINVAL;
	}
}

/* TSC rate from CPUID where the hypervisor or CPU states it; 0 if not. */
static uint64_t cpuid_tsc_hz(void)
{
	uint32_t r[4];

	hw_cpuid(1, 0, r);
	if (r[2] & (1u << 31)) { /* running under a hypervisor */
		hw_cpuid(0x40000000, 0, r);
		if (r[0] >= 0x40000010 && r[0] < 0x40000100) {
			hw_cpuid(0x40000010, 0, r);
			if (r[0])
				return (uint64_t)r[0] * 1000;
		}
	}
	hw_cpuid(0, 0, r);
	if (r[0] >= 0x15) {
		hw_cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0];
	}
	return 0;
}

/* TSC ticks and LAPIC counts across `ticks` of PIT channel 2 (mode 0:
 * its output, port 0x61 bit 5, rises when the count runs out). */
static uint64_t pit_window(uint32_t *lapic_counts, unsigned ticks)
{
	uint8_t gate = hw_inb(0x61);
	uint64_t t0, t1;
	unsigned long spins = 0;

	hw_outb(0x61, (uint8_t)((gate & ~0x02) | 0x01)); /* gate on, speaker off */
	hw_outb(0x43, 0xb0); /* channel 2, lo/hi byte, mode 0, binary */
	hw_outb(0x42, ticks & 0xff);
	hw_lapic_count_start();
	t0 = hw_rdtsc();
	hw_outb(0x42, ticks >> 8); /* counting starts here */
	while (!(hw_inb(0x61) & 0x20)) {
		if (++spins > 200000000ul) {
			hw_outb(0x61, gate);
			return 0;
		}
	}
	t1 = hw_rdtsc();
	*lapic_counts = hw_lapic_count_stop();
	hw_outb(0x61, gate);
	return t1 - t0;
}

static uint8_t cmos(uint8_t reg)
{
	hw_outb(0x70, reg);
	return hw_inb(0x71);
}

static int same(const uint8_t *a, const uint8_t *b, int n)
{
	while (n--)
		if (a[n] != b[n])
			return 0;
	return 1;
}

static unsigned bcd(uint8_t v)
{
	return (v & 15) + (v >> 4) * 10u;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Seconds since the epoch from the RTC: read twice until two reads
 * agree (an update may land between the registers). */
static uint64_t rtc_seconds(void)
{
	uint8_t a[7], b[7], regb;
	unsigned sec, min, hour, day, mon, year, cent;
	int tries = 0, i;
	static const uint8_t regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32 };

	if (cmos(0x0a) == 0xff)
		return 0; /* no RTC (Firecracker): the wall clock starts at 1970 */
	do {
		while ((cmos(0x0a) & 0x80) && tries++ < 1000000)
			;
		for (i = 0; i < 7; i++)
			a[i] = cmos(regs[i]);
		while ((cmos(0x0a) & 0x80) && tries++ < 1000000)
			;
		for (i = 0; i < 7; i++)
			b[i] = cmos(regs[i]);
	} while (!same(a, b, 7) && tries++ < 1000000);
	regb = cmos(0x0b);
	sec = a[0];
	min = a[1];
	hour = a[2] & 0x7f;
	day = a[3];
	mon = a[4];
	year = a[5];
	cent = a[6];
	if (!(regb & 0x04)) { /* BCD */
		sec = bcd(a[0]);
		min = bcd(a[1]);
		hour = bcd(a[2] & 0x7f);
		day = bcd(a[3]);
		mon = bcd(a[4]);
		year = bcd(a[5]);
		cent = bcd(a[6]);
	}
	if (!(regb & 0x02) && (a[2] & 0x80)) /* 12-hour clock, PM */
		hour = (hour % 12) + 12;
	else if (!(regb & 0x02) && hour == 12)
		hour = 0;
	year += cent >= 19 && cent <= 30 ? cent * 100 : 2000;
	if (mon < 1 || mon > 12 || day < 1 || day > 31)
		return 0;
	return (uint64_t)(days_from_civil(year, mon, day) * 86400 +
			  hour * 3600 + min * 60 + sec);
}

void hw_clock_init(void)
{
	uint32_t counts = 0;
	uint64_t ticks;

	/* A short window first: under an emulator (QEMU's TCG) the first run
	 * of this code is translated, which would count against the PIT. */
	pit_window(&counts, PIT_TICKS / 16);
	ticks = pit_window(&counts, PIT_TICKS);

	tsc_hz = cpuid_tsc_hz();
	if (!tsc_hz) {
		if (!ticks)
			hw_die("cannot calibrate the TSC: the PIT's channel 2 never ran out");
		tsc_hz = ticks * PIT_HZ / PIT_TICKS;
	}
	if (ticks && counts)
		hw_lapic_set_rate((uint64_t)counts * tsc_hz / ticks);
	else
		hw_lapic_set_rate(1000000000u / 16); /* a guess; re-checked on fire */
	mult = (1000000000ull << 32) / tsc_hz; /* fits: 1e9 < 2^32 */
	tsc0 = hw_rdtsc();
	wall_at_zero = rtc_seconds() * 1000000000ull;
}
