/*
 * lunik runtime: declarations shared by its files (start.c, net.c, disk.c,
 * cwd.c), grouped by the file that defines them. Every name an app's link
 * sees starts with __lunik_, so none can clash with the app's own.
 */
#ifndef LUNIK_RUNTIME_H
#define LUNIK_RUNTIME_H

#include <lkl.h>
#include <lkl_host.h>
#include <lunik/hypercall.h>
#include <lunik/libc_host.h>

#define RT_HIDDEN __attribute__((visibility("hidden")))

/* start.c: small string helpers, errors, the settings */
RT_HIDDEN unsigned long __lunik_rt_slen(const char *s);
RT_HIDDEN int __lunik_rt_starts(const char *s, const char *prefix);
RT_HIDDEN int __lunik_rt_same(const char *a, const char *b);
RT_HIDDEN void __lunik_rt_say(const char *a, const char *b, const char *c);
/* "lunik: error: WHAT DETAIL", then the process ends with status 1 */
RT_HIDDEN _Noreturn void __lunik_rt_fail(const char *what, const char *detail);
/* __lunik_rt_fail with the kernel's text for err, if err < 0 */
RT_HIDDEN void __lunik_rt_failed(const char *what, long err);
/* a setting's value (the last word with that key), or NULL */
RT_HIDDEN const char *__lunik_rt_get(const char *key);

/* net.c: net=, ip=, gw=, mtu= */
RT_HIDDEN void __lunik_rt_net_before_boot(void);
RT_HIDDEN void __lunik_rt_net_after_boot(void);

/* disk.c: disk= */
RT_HIDDEN void __lunik_rt_disk_before_boot(void);
RT_HIDDEN void __lunik_rt_disk_after_boot(void);

/* cwd.c: a program without a root file system works in a copy of its
 * working directory; __lunik_rt_copy_cwd_in returns that directory, or NULL where
 * the platform has no host files */
RT_HIDDEN const char *__lunik_rt_copy_cwd_in(void);
RT_HIDDEN void __lunik_rt_copy_cwd_out(void);

#endif /* LUNIK_RUNTIME_H */
