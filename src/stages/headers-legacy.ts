// lkl_sys_*() for the calls LKL programs use that the generic syscall table
// only has in a newer form (open → openat, epoll_wait → epoll_pwait, …).
// Each is emitted only when the arch lacks a syscall of that name and has
// the ones it is built on.

/** [name, parameters, body, syscalls the body uses] */
const LEGACY: [string, string, string, string[]][] = [
  ['open', 'const char *file, int flags, int mode', 'return lkl_sys_openat(LKL_AT_FDCWD, file, flags, mode);', ['openat']],
  ['creat', 'const char *file, int mode',
    'return lkl_sys_openat(LKL_AT_FDCWD, file, LKL_O_CREAT | LKL_O_WRONLY | LKL_O_TRUNC, mode);', ['openat']],
  ['mkdir', 'const char *path, int mode', 'return lkl_sys_mkdirat(LKL_AT_FDCWD, path, mode);', ['mkdirat']],
  ['rmdir', 'const char *path', 'return lkl_sys_unlinkat(LKL_AT_FDCWD, path, LKL_AT_REMOVEDIR);', ['unlinkat']],
  ['unlink', 'const char *path', 'return lkl_sys_unlinkat(LKL_AT_FDCWD, path, 0);', ['unlinkat']],
  ['link', 'const char *oldpath, const char *newpath',
    'return lkl_sys_linkat(LKL_AT_FDCWD, oldpath, LKL_AT_FDCWD, newpath, 0);', ['linkat']],
  ['symlink', 'const char *target, const char *path', 'return lkl_sys_symlinkat(target, LKL_AT_FDCWD, path);', ['symlinkat']],
  ['readlink', 'const char *path, char *buf, int size', 'return lkl_sys_readlinkat(LKL_AT_FDCWD, path, buf, size);', ['readlinkat']],
  ['rename', 'const char *oldpath, const char *newpath',
    'return lkl_sys_renameat2(LKL_AT_FDCWD, oldpath, LKL_AT_FDCWD, newpath, 0);', ['renameat2']],
  ['access', 'const char *path, int mode', 'return lkl_sys_faccessat(LKL_AT_FDCWD, path, mode);', ['faccessat']],
  ['chmod', 'const char *path, int mode', 'return lkl_sys_fchmodat(LKL_AT_FDCWD, path, mode);', ['fchmodat']],
  ['chown', 'const char *path, unsigned int uid, unsigned int gid',
    'return lkl_sys_fchownat(LKL_AT_FDCWD, path, uid, gid, 0);', ['fchownat']],
  ['lchown', 'const char *path, unsigned int uid, unsigned int gid',
    'return lkl_sys_fchownat(LKL_AT_FDCWD, path, uid, gid, LKL_AT_SYMLINK_NOFOLLOW);', ['fchownat']],
  ['mknod', 'const char *path, int mode, unsigned int dev', 'return lkl_sys_mknodat(LKL_AT_FDCWD, path, mode, dev);', ['mknodat']],
  ['fstatat', 'int dirfd, const char *path, struct lkl_stat *st, int flags',
    'return lkl_sys_newfstatat(dirfd, path, st, flags);', ['newfstatat']],
  ['stat', 'const char *path, struct lkl_stat *st', 'return lkl_sys_newfstatat(LKL_AT_FDCWD, path, st, 0);', ['newfstatat']],
  ['lstat', 'const char *path, struct lkl_stat *st',
    'return lkl_sys_newfstatat(LKL_AT_FDCWD, path, st, LKL_AT_SYMLINK_NOFOLLOW);', ['newfstatat']],
  ['umount', 'const char *path, int flags', 'return lkl_sys_umount2((char *)path, flags);', ['umount2']],
  ['pipe', 'int fds[2]', 'return lkl_sys_pipe2(fds, 0);', ['pipe2']],
  ['dup2', 'int oldfd, int newfd',
    'if (oldfd == newfd)\n\t\treturn lkl_sys_fcntl(oldfd, LKL_F_GETFD, 0) < 0 ? -LKL_EBADF : newfd;\n\treturn lkl_sys_dup3(oldfd, newfd, 0);',
    ['fcntl', 'dup3']],
  ['epoll_create', 'int size', 'return size <= 0 ? -LKL_EINVAL : lkl_sys_epoll_create1(0);', ['epoll_create1']],
  ['epoll_wait', 'int epfd, struct lkl_epoll_event *events, int maxevents, int timeout',
    'return lkl_sys_epoll_pwait(epfd, events, maxevents, timeout, (const lkl_sigset_t *)0, 0);', ['epoll_pwait']],
  ['poll', 'struct lkl_pollfd *fds, unsigned int nfds, int timeout',
    [
      'struct __lkl__kernel_timespec ts;',
      '',
      '\tts.tv_sec = timeout / 1000;',
      '\tts.tv_nsec = (timeout % 1000) * 1000000L;',
      '\treturn lkl_sys_ppoll(fds, nfds, timeout < 0 ? (struct __lkl__kernel_timespec *)0 : &ts,',
      '\t\t\t     (const lkl_sigset_t *)0, 0);',
    ].join('\n'),
    ['ppoll']],
  ['select', 'int n, __lkl__kernel_fd_set *rfds, __lkl__kernel_fd_set *wfds, __lkl__kernel_fd_set *efds, struct __lkl__kernel_old_timeval *tv',
    [
      'struct __lkl__kernel_timespec ts;',
      '\tlong ret;',
      '',
      '\tif (tv) {',
      '\t\tts.tv_sec = tv->tv_sec;',
      '\t\tts.tv_nsec = tv->tv_usec * 1000L;',
      '\t}',
      '\tret = lkl_sys_pselect6(n, rfds, wfds, efds, tv ? &ts : (struct __lkl__kernel_timespec *)0, (void *)0);',
      '\tif (tv) {',
      '\t\ttv->tv_sec = ts.tv_sec;',
      '\t\ttv->tv_usec = ts.tv_nsec / 1000;',
      '\t}',
      '\treturn ret;',
    ].join('\n'),
    ['pselect6']],
  ['getpgrp', '', 'return lkl_sys_getpgid(0);', ['getpgid']],
];

/** The C text of the legacy wrappers the arch needs. */
export function legacyWrappers(have: Set<string>): string {
  const lines = ['', '/* older calls, over their replacements in the generic table */'];
  for (const [name, params, body, uses] of LEGACY) {
    if (have.has(name) || !uses.every((n) => have.has(n))) continue;
    lines.push(`static inline long lkl_sys_${name}(${params || 'void'})`, '{', `\t${body}`, '}', '');
  }
  return lines.join('\n');
}
