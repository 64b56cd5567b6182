// The toolchain (issue: Toolchain): lunik's musl and lunik-cc build apps
// that run as ordinary processes whose every system call the kernel
// library inside them serves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ROOT, lunik, tempDir, withTimeout } from './helpers.js';

const BUILD_TIMEOUT = 40 * 60_000; // a fresh machine builds the kernel, musl and the toolchain first
let cc = '';

test(
  'lunik toolchain builds lunik-cc and prints its path',
  withTimeout(BUILD_TIMEOUT, async () => {
    const r = await lunik(['toolchain'], { timeoutMs: BUILD_TIMEOUT });
    assert.is(r.exitCode, 0, r.all.slice(-3000));
    cc = r.stdout.trim().split('\n').pop()!;
    assert.ok(cc.endsWith('/bin/lunik-cc'), r.stdout);
    await fs.access(cc);
  }),
);

test(
  'lunik run hello --platform posix: prints, reads its root file system, exits with its status',
  withTimeout(10 * 60_000, async () => {
    const r = await lunik(['run', 'hello', '--platform', 'posix'], { timeoutMs: 10 * 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-3000));
    assert.match(r.stdout, /^hello from Linux 6\.12\.\d+$/m);
    assert.match(r.stdout, /^hello\.txt: This line was read from the root file system\.$/m);
    assert.match(r.stderr, /^hello: exiting with status 0$/m);
    // the kernel's own boot log stays quiet unless asked for
    assert.not.match(r.all, /Linux version|Restarting|unable to open an initial console/);
    for (const code of [7, 113]) {
      const c = await lunik(['run', 'hello', '--platform', 'posix', '--', String(code)], { timeoutMs: 60_000 });
      assert.is(c.exitCode, code, c.all.slice(-2000));
      assert.match(c.stderr, new RegExp(`^hello: exiting with status ${code}$`, 'm'));
    }
  }),
);

test(
  'hello is a static program with the kernel inside: no host open of its file, no libc but ours',
  withTimeout(5 * 60_000, async () => {
    const b = await lunik(['build', 'hello', '--platform', 'posix']);
    assert.is(b.exitCode, 0, b.all.slice(-2000));
    const bin = b.stdout.trim().split('\n').pop()!;
    const file = await execa('file', [bin], { reject: false });
    if (file.exitCode === 0) assert.match(file.stdout, /statically linked/);
    const dir = await tempDir('strace');
    const log = path.join(dir, 'strace.log');
    const r = await execa('strace', ['-f', '-o', log, bin, '5'], { reject: false, all: true, env: { LUNIK_CONFIG: '' } });
    assert.is(r.exitCode, 5, String(r.all));
    const trace = await fs.readFile(log, 'utf8');
    // the host only sees the output written to its stdout, never a call on the file
    assert.not.match(trace, /^\d+\s+\w+\([^\n]*\/etc\/hello\.txt/m, 'the host saw a call on /etc/hello.txt: the file must live in the kernel');
    assert.not.match(trace, /\b(open|openat|stat|newfstatat|statx|access)\(/, 'the host was asked about a file');
    assert.match(trace, /^\d+\s+write\(1, "hello\.txt: This line/m, 'the output reached the host through write(2) on its stdout');
    assert.match(String(r.all), /hello\.txt: This line/);
  }),
);

test(
  'a configure-based project builds with CC=lunik-cc; its run probes run on the lunik kernel',
  withTimeout(10 * 60_000, async () => {
    const dir = await tempDir('autoconf');
    await fs.cp(path.join(ROOT, 'test/fixtures/autoconf-app'), dir, { recursive: true });
    const env = { PATH: `${path.dirname(cc)}:${process.env.PATH}` };
    const ac = await execa('autoreconf', ['-i'], { cwd: dir, reject: false, all: true });
    assert.is(ac.exitCode, 0, `autoreconf (Debian package autoconf; lunik doctor --install): ${ac.all}`);
    const conf = await execa('./configure', ['CC=lunik-cc'], { cwd: dir, env, reject: false, all: true });
    assert.is(conf.exitCode, 0, String(conf.all).slice(-3000));
    assert.match(String(conf.all), /checking whether run probes run on the lunik kernel\.\.\. lunik/);
    assert.match(String(conf.all), /checking for epoll_create1\.\.\. yes/);
    const make = await execa('make', [], { cwd: dir, env, reject: false, all: true });
    assert.is(make.exitCode, 0, String(make.all));
    const run = await execa(path.join(dir, 'probe-app'), [], { reject: false, all: true });
    assert.is(run.exitCode, 0, String(run.all));
    assert.is(run.stdout, 'epoll: yes\nsizeof(long)=8 sizeof(off_t)=8\nrun probes: lunik');
  }),
);

test(
  'lunik bake links a relocatable program with a root file system and settings',
  withTimeout(5 * 60_000, async () => {
    const dir = await tempDir('bake');
    await fs.writeFile(
      path.join(dir, 'motd.c'),
      '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { char l[64]; FILE *f = fopen("/etc/motd", "r");\n' +
        'if (!f || !fgets(l, sizeof l, f)) return 1; printf("motd: %s", l); printf("config: %s\\n", getenv("LUNIK_CONFIG") ? "env" : "linked"); return 0; }\n',
    );
    const c = await execa(cc, ['-O2', '-o', 'motd', 'motd.c'], { cwd: dir, env: { LUNIK_RELOC: '1' }, reject: false, all: true });
    assert.is(c.exitCode, 0, String(c.all));
    await fs.access(path.join(dir, 'motd.lunik.o'));
    await fs.mkdir(path.join(dir, 'root/etc'), { recursive: true });
    await fs.writeFile(path.join(dir, 'root/etc/motd'), 'baked in\n');
    const cpio = await execa('sh', ['-c', 'cd root && find . | cpio -o -H newc --quiet > ../root.cpio'], { cwd: dir, reject: false, all: true });
    assert.is(cpio.exitCode, 0, String(cpio.all));
    const b = await lunik(['bake', path.join(dir, 'motd.lunik.o'), '--rootfs', path.join(dir, 'root.cpio'), '--config', 'mem=32M', '-o', path.join(dir, 'motd.posix')]);
    assert.is(b.exitCode, 0, b.all);
    const r = await execa(path.join(dir, 'motd.posix'), [], { reject: false, all: true });
    assert.is(r.exitCode, 0, String(r.all));
    assert.is(r.stdout, 'motd: baked in\nconfig: linked');
    const bad = await lunik(['bake', path.join(dir, 'motd.lunik.o'), '--rootfs', path.join(dir, 'motd.c')]);
    assert.is(bad.exitCode, 2);
    assert.match(bad.stderr, /is not a newc cpio archive/);
  }),
);

test(
  'a recipe with "network": {"mode": "dhcp"} gets its address from DHCP at boot (passt serves it)',
  withTimeout(5 * 60_000, async () => {
    const r = await lunik(['run', 'netinfo', '--platform', 'posix'], { env: { LUNIK_APPS: path.join(ROOT, 'test/fixtures/apps') }, timeoutMs: 5 * 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-3000));
    assert.match(r.stdout, /^address 10\.0\.2\.15$/m);
    assert.match(r.stdout, /^gateway 10\.0\.2\.2$/m);
  }),
);

test(
  'a CMake project builds with CC=lunik-cc and its program runs on the lunik kernel',
  withTimeout(5 * 60_000, async () => {
    const src = await tempDir('cmake');
    await fs.cp(path.join(ROOT, 'test/fixtures/cmake-app'), src, { recursive: true });
    const build = path.join(src, 'build');
    await fs.mkdir(build);
    const conf = await execa('cmake', ['..'], { cwd: build, env: { CC: cc }, reject: false, all: true });
    assert.is(conf.exitCode, 0, `cmake (Debian package cmake; lunik doctor --install): ${String(conf.all).slice(-3000)}`);
    const make = await execa('make', [], { cwd: build, reject: false, all: true });
    assert.is(make.exitCode, 0, String(make.all));
    const run = await execa(path.join(build, 'cmake-app'), [], { reject: false, all: true });
    assert.is(run.exitCode, 0, String(run.all));
    assert.is(run.stdout, 'epoll: yes\nLinux 6.12');
  }),
);

/** A folder of apps for LUNIK_APPS: each entry is [name, recipe, files]. */
async function appsDir(apps: [string, object, Record<string, string>][]): Promise<string> {
  const dir = await tempDir('apps');
  for (const [name, recipe, files] of apps) {
    await fs.mkdir(path.join(dir, name, 'src'), { recursive: true });
    await fs.writeFile(path.join(dir, name, 'recipe.json'), JSON.stringify(recipe, null, 2));
    for (const [f, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name, f), text);
  }
  return dir;
}

test(
  'bad input: unknown app, unknown recipe key, missing source package, a link error',
  withTimeout(5 * 60_000, async () => {
    const unknown = await lunik(['build', 'helo', '--platform', 'posix']);
    assert.is(unknown.exitCode, 2);
    assert.match(unknown.stderr, /unknown app "helo" \(did you mean "hello"\?\)/);

    const apps = await appsDir([
      ['colour', { name: 'colour', source: { dir: 'src' }, program: 'x', cmdline: ['x'], colour: 'blue' }, {}],
      ['nosuch', { name: 'nosuch', source: { debian: 'lunik-no-such-source-package' }, program: 'x', cmdline: ['x'] }, {}],
      [
        'badlink',
        { name: 'badlink', source: { dir: 'src' }, program: 'badlink', cmdline: ['badlink'] },
        {
          'src/Makefile': 'badlink: main.c\n\t$(CC) -o $@ main.c\n',
          'src/main.c': 'void lunik_test_missing_function(void);\nint main(void) { lunik_test_missing_function(); return 0; }\n',
        },
      ],
    ]);
    const env = { LUNIK_APPS: apps };
    const key = await lunik(['build', 'colour', '--platform', 'posix'], { env });
    assert.is(key.exitCode, 2, key.all);
    assert.match(key.stderr, /colour\/recipe\.json:\d+:\d+/);
    assert.match(key.stderr, /"colour"/);

    const src = await lunik(['build', 'nosuch', '--platform', 'posix'], { env });
    assert.is(src.exitCode, 2, src.all);
    assert.match(src.stderr, /Debian source package "lunik-no-such-source-package" cannot be found/);

    const link = await lunik(['build', 'badlink', '--platform', 'posix'], { env, timeoutMs: 5 * 60_000 });
    assert.is(link.exitCode, 1, link.all.slice(-3000));
    assert.match(link.stderr, /undefined reference to `lunik_test_missing_function'/);
  }),
);

test.run();
