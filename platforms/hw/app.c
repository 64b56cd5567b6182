/*
 * hw platform: the start of an app built with lunik-cc (lunik's musl).
 *
 * The image's hw_main: it turns the boot loader's command line into what a
 * Linux program gets from exec — argc, argv, envp and the auxiliary vector
 * on a fresh stack — and jumps to musl's _start (crt1). From there the app
 * runs as it would on Linux: musl's start-up calls the runtime (which boots
 * the kernel library), then main; exit ends in lhc_exit.
 *
 * The command line is "SETTINGS -- ARGS": the words before "--" become
 * LUNIK_CONFIG (the runtime's settings, toolchain/runtime/start.c), the
 * words after it argv[1..]; argv[0] is the image's app name. Without "--"
 * every word is a setting. Nothing of it reaches the kernel's own command
 * line: the runtime gives the kernel its parameters.
 *
 * Built into the platform library only for apps (the toolchain stage), not
 * into the conformance or self-test images.
 */
#include <stdint.h>

#include "hw.h"

#define APP_STACK (1 << 20)
#define MAX_ARGS 64

/* The ELF header, loaded with the image (hw.ld), and musl's entry (crt1). */
extern const char __ehdr_start[];
extern void _start(void);
/* The app's name (argv[0]), from the bake step; "app" without one. */
extern const char __lunik_app_name[] __attribute__((weak));

enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6,
	AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_SECURE = 23,
	AT_RANDOM = 25,
};

/* The part of Elf64_Ehdr used here. */
struct ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum;
};

static char line[HW_CMDLINE_MAX];
static char config[HW_CMDLINE_MAX + 16] = "LUNIK_CONFIG=";

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

int hw_main(void)
{
	const struct ehdr *eh = (const void *)__ehdr_start;
	char *argv[MAX_ARGS + 1], *w;
	int argc = 0, settings = 1;
	size_t n = 0, i;
	uint64_t *sp, *p;
	void *stack;
	static uint64_t random[2];

	/* The command line is the app's, not the kernel's. */
	hw_memcpy(line, hw_cmdline, sizeof(line));
	hw_cmdline[0] = 0;
	argv[argc++] = (char *)(__lunik_app_name && __lunik_app_name[0] ? __lunik_app_name : "app");
	n = hw_strlen(config);
	for (w = line; *w;) {
		char *end;

		while (*w == ' ')
			*w++ = 0;
		if (!*w)
			break;
		for (end = w; *end && *end != ' '; end++)
			;
		if (*end)
			*end++ = 0;
		if (settings && hw_strcmp(w, "--") == 0)
			settings = 0;
		else if (settings) {
			size_t len = hw_strlen(w);

			if (n + len + 2 >= sizeof(config))
				hw_die("app: the settings do not fit");
			if (n > 13)
				config[n++] = ' ';
			hw_memcpy(config + n, w, len + 1);
			n += len;
		} else if (argc < MAX_ARGS) {
			argv[argc++] = w;
		}
		w = end;
	}
	argv[argc] = 0;
	random[0] = rdtsc() * 0x9e3779b97f4a7c15ull;
	random[1] = rdtsc() ^ (uint64_t)(uintptr_t)&random;

	/* argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL: Linux's layout. */
	if (lhc_malloc(APP_STACK, 16, &stack))
		hw_die("app: no memory for the main stack");
	sp = (uint64_t *)((char *)stack + APP_STACK) - (argc + 40);
	sp = (uint64_t *)((uintptr_t)sp & ~(uintptr_t)15);
	p = sp;
	*p++ = (uint64_t)argc;
	for (i = 0; i < (size_t)argc; i++)
		*p++ = (uint64_t)(uintptr_t)argv[i];
	*p++ = 0;
	*p++ = (uint64_t)(uintptr_t)config;
	*p++ = 0;
#define AUX(k, v) (*p++ = (k), *p++ = (uint64_t)(v))
	AUX(AT_PHDR, (uintptr_t)__ehdr_start + eh->phoff);
	AUX(AT_PHENT, eh->phentsize);
	AUX(AT_PHNUM, eh->phnum);
	AUX(AT_PAGESZ, 4096);
	AUX(AT_RANDOM, (uintptr_t)random);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_SECURE, 0);
	AUX(AT_NULL, 0);
#undef AUX
	/* As the kernel enters a program: %rsp at argc, %rdx 0 (no atexit). */
	__asm__ volatile("mov %0, %%rsp\n\txor %%edx, %%edx\n\txor %%ebp, %%ebp\n\tjmp _start"
			 :
			 : "r"(sp)
			 : "memory");
	__builtin_unreachable();
}
