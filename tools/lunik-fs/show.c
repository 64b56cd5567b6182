/* show.c: lunik-fs ls, cat and tar (reading an image; the tar archive is
 * POSIX ustar, with pax extended headers for what ustar cannot hold). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"

/* ---- output through a large buffer ---- */

struct out {
	int fd, err;
	size_t len;
	unsigned long long total; /* bytes written or buffered */
	char *buf;
};

static void out_flush(struct out *o)
{
	size_t off = 0;

	while (off < o->len && !o->err) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->err = w < 0 ? -errno : -EIO;
		else
			off += (size_t)w;
	}
	o->len = 0;
}

static void out_put(struct out *o, const void *p, size_t n)
{
	o->total += n;
	while (n && !o->err) {
		size_t k = COPY_BUF - o->len < n ? COPY_BUF - o->len : n;

		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p = (const char *)p + k;
		n -= k;
		if (o->len == COPY_BUF)
			out_flush(o);
	}
}

static int out_err(struct out *o)
{
	if (!o->err)
		return 0;
	err_msg(NULL, "cannot write the output: %s", errstr(o->err));
	return EXIT_FAIL;
}

/* ---- ls ---- */

static void mode_string(unsigned int m, char *s)
{
	const char *rwx = "rwxrwxrwx";

	s[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '-';
	for (int i = 0; i < 9; i++)
		s[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID) s[3] = (m & 0100) ? 's' : 'S';
	if (m & S_ISGID) s[6] = (m & 0010) ? 's' : 'S';
	if (m & S_ISVTX) s[9] = (m & 0001) ? 't' : 'T';
	s[10] = 0;
}

struct entry {
	char *name, *path;
	struct fst st;
	char size[32];
};

int cmd_ls(struct side *s, const char *p)
{
	struct fst st;
	struct entry *e;
	char **names = NULL;
	size_t n = 0;
	int r = s->lstat_fn(p, &st), wu = 1, wg = 1, ws = 1, status = 0;

	if (r < 0) {
		err_msg("check the path inside the image", "cannot list %s: %s", show(s, p), errstr(r));
		return EXIT_BAD;
	}
	if (S_ISDIR(st.mode)) {
		r = s->list_fn(p, &names, &n);
		if (r < 0) {
			err_msg(NULL, "cannot list %s: %s", show(s, p), errstr(r));
			return EXIT_FAIL;
		}
	} else {
		names = malloc(sizeof(*names));
		names[0] = strdup(p);
		n = 1;
	}
	e = calloc(n ? n : 1, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		e[i].name = names[i];
		e[i].path = S_ISDIR(st.mode) ? path_join(p, names[i]) : strdup(p);
		r = s->lstat_fn(e[i].path, &e[i].st);
		if (r < 0) {
			err_msg(NULL, "cannot read %s: %s", show(s, e[i].path), errstr(r));
			status = EXIT_FAIL;
			e[i].name = NULL;
			continue;
		}
		if (S_ISCHR(e[i].st.mode) || S_ISBLK(e[i].st.mode))
			snprintf(e[i].size, sizeof(e[i].size), "%llu, %llu", (e[i].st.rdev >> 8) & 0xfff,
				 (e[i].st.rdev & 0xff) | ((e[i].st.rdev >> 12) & 0xfff00));
		else
			snprintf(e[i].size, sizeof(e[i].size), "%llu", e[i].st.size);
		wu = snprintf(NULL, 0, "%u", e[i].st.uid) > wu ? snprintf(NULL, 0, "%u", e[i].st.uid) : wu;
		wg = snprintf(NULL, 0, "%u", e[i].st.gid) > wg ? snprintf(NULL, 0, "%u", e[i].st.gid) : wg;
		ws = (int)strlen(e[i].size) > ws ? (int)strlen(e[i].size) : ws;
	}
	for (size_t i = 0; i < n; i++) {
		char mode[11], when[32], target[4097] = "";
		time_t t;
		struct tm tm;

		if (!e[i].name)
			continue;
		mode_string(e[i].st.mode, mode);
		t = (time_t)e[i].st.mtime;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		if (S_ISLNK(e[i].st.mode)) {
			long k = s->readlink_fn(e[i].path, target, sizeof(target) - 1);

			target[k > 0 ? k : 0] = 0;
		}
		printf("%s %*u %*u %*s %s %s%s%s\n", mode, wu, e[i].st.uid, wg, e[i].st.gid, ws, e[i].size, when,
		       e[i].name, target[0] ? " -> " : "", target);
		free(e[i].path);
	}
	free(e);
	free_names(names, n);
	if (fflush(stdout)) {
		err_msg(NULL, "cannot write the output: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return status;
}

/* ---- cat ---- */

int cmd_cat(struct side *s, char **paths, int n, int outfd)
{
	struct out o = { .fd = outfd, .buf = malloc(COPY_BUF) };
	int status = 0;

	for (int i = 0; i < n && !o.err; i++) {
		struct fst st;
		int fd, r = s->stat_fn(paths[i], &st);

		if (r == 0 && S_ISDIR(st.mode))
			r = -EISDIR;
		if (r < 0) {
			err_msg(r == -EISDIR ? "use 'lunik fs ls' or 'lunik fs tar' for directories" : "check the path inside the image",
				"cannot show %s: %s", show(s, paths[i]), errstr(r));
			status = EXIT_BAD;
			continue;
		}
		fd = s->open_fn(paths[i], O_RDONLY, 0);
		if (fd < 0) {
			err_msg(NULL, "cannot read %s: %s", show(s, paths[i]), errstr(fd));
			status = EXIT_FAIL;
			continue;
		}
		s->sequential_fn(fd);
		/* straight from the kernel into our buffer, then one write */
		for (;;) {
			long k = s->read_fn(fd, o.buf, COPY_BUF);

			if (k < 0) {
				err_msg(NULL, "cannot read %s: %s", show(s, paths[i]), errstr((int)k));
				status = EXIT_FAIL;
			}
			if (k <= 0)
				break;
			o.len = (size_t)k;
			out_flush(&o);
			if (o.err)
				break;
		}
		s->close_fn(fd);
	}
	if (out_err(&o))
		status = EXIT_FAIL;
	free(o.buf);
	return status;
}

/* ---- tar ---- */

struct tarw {
	struct side *s;
	struct out o;
	char *buf;
	int status;
	struct { unsigned long long ino; char *name; } *links;
	size_t nlinks, caplinks;
};

static int octal(char *field, size_t len, unsigned long long v)
{
	/* len - 1 digits and a NUL */
	if (len < 22 && v >= 1ull << (3 * (len - 1)))
		return -1;
	snprintf(field, len, "%0*llo", (int)len - 1, v);
	return 0;
}

/* one pax record: "LEN key=value\n", LEN counting itself */
static void pax_add(char **rec, size_t *len, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3, n = body + 1;
	char tmp[32];

	for (;;) {
		size_t d = (size_t)snprintf(tmp, sizeof(tmp), "%zu", n);

		if (body + d == n)
			break;
		n = body + d;
	}
	*rec = realloc(*rec, *len + n + 1);
	snprintf(*rec + *len, n + 1, "%zu %s=%s\n", n, key, val);
	*len += n;
}

static void put_header(struct tarw *t, const char *name, const char *link, const struct fst *st, char type, unsigned long long size)
{
	unsigned char h[512];
	char *pax = NULL, num[32];
	size_t paxlen = 0, nl = strlen(name), split = 0;
	unsigned int sum = 0;

	memset(h, 0, sizeof(h));
	/* the name: in name[100], or split at a '/' into prefix[155] and name[100] */
	if (nl <= 100) {
		memcpy(h, name, nl);
	} else {
		for (size_t i = nl - 1; i > 0; i--)
			if (name[i] == '/' && i <= 155 && nl - i - 1 <= 100 && nl - i - 1 > 0) {
				split = i;
				break;
			}
		if (split) {
			memcpy(h + 345, name, split);
			memcpy(h, name + split + 1, nl - split - 1);
		} else {
			pax_add(&pax, &paxlen, "path", name);
			memcpy(h, name, 100);
		}
	}
	if (link) {
		if (strlen(link) <= 100)
			memcpy(h + 157, link, strlen(link));
		else {
			pax_add(&pax, &paxlen, "linkpath", link);
			memcpy(h + 157, link, 100);
		}
	}
	octal((char *)h + 100, 8, st->mode & 07777);
	if (octal((char *)h + 108, 8, st->uid)) {
		snprintf(num, sizeof(num), "%u", st->uid);
		pax_add(&pax, &paxlen, "uid", num);
		octal((char *)h + 108, 8, 0);
	}
	if (octal((char *)h + 116, 8, st->gid)) {
		snprintf(num, sizeof(num), "%u", st->gid);
		pax_add(&pax, &paxlen, "gid", num);
		octal((char *)h + 116, 8, 0);
	}
	if (octal((char *)h + 124, 12, size)) {
		snprintf(num, sizeof(num), "%llu", size);
		pax_add(&pax, &paxlen, "size", num);
		octal((char *)h + 124, 12, 0);
	}
	if (st->mtime < 0 || octal((char *)h + 136, 12, (unsigned long long)st->mtime)) {
		snprintf(num, sizeof(num), "%lld", st->mtime);
		pax_add(&pax, &paxlen, "mtime", num);
		octal((char *)h + 136, 12, 0);
	}
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	if (type == '3' || type == '4') {
		octal((char *)h + 329, 8, (st->rdev >> 8) & 0xfff);
		octal((char *)h + 337, 8, (st->rdev & 0xff) | ((st->rdev >> 12) & 0xfff00));
	}
	if (pax) {
		/* an extended header first, for the entry that follows */
		struct fst px = { .mode = 0644, .mtime = st->mtime < 0 ? 0 : st->mtime };
		char pname[101];
		static const char zeros[512];

		snprintf(pname, sizeof(pname), "PaxHeaders/%.88s", strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
		put_header(t, pname, NULL, &px, 'x', paxlen);
		out_put(&t->o, pax, paxlen);
		out_put(&t->o, zeros, (512 - paxlen % 512) % 512);
		free(pax);
	}
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	out_put(&t->o, h, sizeof(h));
}

static void tar_any(struct tarw *t, const char *p, const char *name)
{
	static const char zeros[512];
	struct fst st;
	int r = t->s->lstat_fn(p, &st);

	if (r < 0) {
		err_msg(NULL, "cannot read %s: %s", show(t->s, p), errstr(r));
		t->status = EXIT_FAIL;
		return;
	}
	if (S_ISDIR(st.mode)) {
		char **names, *dname = path_join(name, "");
		size_t n;

		put_header(t, dname, NULL, &st, '5', 0);
		free(dname);
		r = t->s->list_fn(p, &names, &n);
		if (r < 0) {
			err_msg(NULL, "cannot list %s: %s", show(t->s, p), errstr(r));
			t->status = EXIT_FAIL;
			return;
		}
		for (size_t i = 0; i < n && !t->o.err; i++) {
			char *cp = path_join(p, names[i]), *cn = path_join(name, names[i]);

			tar_any(t, cp, cn);
			free(cp);
			free(cn);
		}
		free_names(names, n);
		return;
	}
	if (!S_ISDIR(st.mode) && st.nlink > 1) {
		for (size_t i = 0; i < t->nlinks; i++)
			if (t->links[i].ino == st.ino) {
				put_header(t, name, t->links[i].name, &st, '1', 0);
				return;
			}
		if (t->nlinks == t->caplinks) {
			t->caplinks = t->caplinks ? t->caplinks * 2 : 64;
			t->links = realloc(t->links, t->caplinks * sizeof(*t->links));
		}
		t->links[t->nlinks].ino = st.ino;
		t->links[t->nlinks++].name = strdup(name);
	}
	if (S_ISLNK(st.mode)) {
		char target[4097];
		long k = t->s->readlink_fn(p, target, sizeof(target) - 1);

		if (k < 0) {
			err_msg(NULL, "cannot read symbolic link %s: %s", show(t->s, p), errstr((int)k));
			t->status = EXIT_FAIL;
			return;
		}
		target[k] = 0;
		put_header(t, name, target, &st, '2', 0);
	} else if (S_ISCHR(st.mode) || S_ISBLK(st.mode) || S_ISFIFO(st.mode)) {
		put_header(t, name, NULL, &st, S_ISCHR(st.mode) ? '3' : S_ISBLK(st.mode) ? '4' : '6', 0);
	} else if (S_ISSOCK(st.mode)) {
		warn_msg("%s is a socket; tar cannot hold it", show(t->s, p));
	} else if (S_ISREG(st.mode)) {
		unsigned long long left = st.size;
		int fd = t->s->open_fn(p, O_RDONLY | O_NOFOLLOW, 0);

		if (fd < 0) {
			err_msg(NULL, "cannot read %s: %s", show(t->s, p), errstr(fd));
			t->status = EXIT_FAIL;
			return;
		}
		t->s->sequential_fn(fd);
		put_header(t, name, NULL, &st, '0', st.size);
		while (left && !t->o.err) {
			long k = t->s->read_fn(fd, t->buf, left < COPY_BUF ? (unsigned long)left : COPY_BUF);

			if (k <= 0) {
				/* the header promised st.size bytes: keep the archive whole */
				err_msg(NULL, "cannot read %s: %s", show(t->s, p), k < 0 ? errstr((int)k) : "the file shrank");
				t->status = EXIT_FAIL;
				memset(t->buf, 0, COPY_BUF);
				while (left) {
					size_t z = left < COPY_BUF ? (size_t)left : COPY_BUF;

					out_put(&t->o, t->buf, z);
					left -= z;
				}
				break;
			}
			out_put(&t->o, t->buf, (size_t)k);
			left -= (unsigned long long)k;
		}
		t->s->close_fn(fd);
		out_put(&t->o, zeros, (512 - st.size % 512) % 512);
	}
}

int cmd_tar(struct side *s, const char *p, int outfd)
{
	struct tarw t = { .s = s, .o = { .fd = outfd, .buf = malloc(COPY_BUF) }, .buf = malloc(COPY_BUF) };
	static const char zeros[1024];
	struct fst st;
	char name[4200];
	const char *b;
	int r = s->lstat_fn(p, &st);

	if (r < 0) {
		err_msg("check the path inside the image", "cannot archive %s: %s", show(s, p), errstr(r));
		return EXIT_BAD;
	}
	/* members are named as "tar -C DIR -c BASENAME" would; the root as "." */
	snprintf(name, sizeof(name), "%s", p);
	for (size_t n = strlen(name); n > 1 && name[n - 1] == '/';)
		name[--n] = 0;
	b = strrchr(name, '/');
	b = !strcmp(name, "/") ? "." : b ? b + 1 : name;
	tar_any(&t, p, b);
	out_put(&t.o, zeros, sizeof(zeros));
	/* whole 10 KiB records, as tar writes them */
	while (t.o.total % 10240)
		out_put(&t.o, zeros, 512);
	out_flush(&t.o);
	for (size_t i = 0; i < t.nlinks; i++)
		free(t.links[i].name);
	free(t.links);
	free(t.buf);
	free(t.o.buf);
	if (t.o.err)
		return out_err(&t.o);
	return t.status;
}
