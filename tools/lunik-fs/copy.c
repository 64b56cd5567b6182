/* copy.c: lunik-fs cp: files, directories (recursively), symbolic links,
 * hard links, device nodes and fifos, with modes, ownership and times,
 * from one side to the other (cp -a semantics for names). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

struct copier {
	struct side *src, *dst;
	const struct copy_opts *o;
	char *buf;
	int failed;   /* some file could not be copied: exit 1 */
	int fatal;    /* stop: the destination is full or broken */
	char note[160]; /* said after the next full-destination message */
	/* hard links: source (dev, ino) -> first destination path */
	struct hl { unsigned long long dev, ino; char *path; } *links;
	size_t nlinks, caplinks;
};

/* Errors after which nothing else can be written. */
static int is_fatal(int err)
{
	return err == -ENOSPC || err == -EDQUOT || err == -EIO || err == -EROFS || err == -ENOMEM;
}

static void fail(struct copier *c, int err, const char *what, const char *s, const char *d)
{
	const char *fix = NULL;

	c->failed = 1;
	if (is_fatal(err))
		c->fatal = 1;
	if (err == -ENOSPC || err == -EDQUOT) {
		fix = c->dst->is_image ?
			      "make the image larger (e.g. truncate -s +256M IMAGE && resize2fs IMAGE for ext4, or a new mkfs.vfat image) or copy less" :
			      "free space on the host or copy less";
		err_msg(fix, "%s is full: %s %s: %s%s", c->dst->is_image ? "the image" : "the destination",
			what, show(c->dst, d), errstr(err), c->note);
		c->note[0] = 0;
		return;
	}
	if (c->o->dest_vfat && (err == -EPERM || err == -EINVAL) && !strcmp(what, "cannot create symbolic link"))
		fix = "vfat cannot hold symbolic links: copy with -L to copy what they point to, or leave them out";
	else if (c->o->dest_vfat && err == -EPERM && !strcmp(what, "cannot create special file"))
		fix = "vfat cannot hold device files, fifos or sockets: leave them out";
	if (s)
		err_msg(fix, "%s %s (from %s): %s", what, show(c->dst, d), show(c->src, s), errstr(err));
	else
		err_msg(fix, "%s %s: %s", what, show(c->dst, d), errstr(err));
}

/* Owner, mode, times, in that order (chown clears set-id bits). */
static void set_attrs(struct copier *c, const char *d, const struct fst *st)
{
	unsigned int mode = st->mode & 07777;
	int r;

	if (c->o->dest_fat_modes) {
		/* vfat keeps only "read-only" for files; directories are 0755 */
		if (S_ISREG(st->mode)) {
			r = c->dst->chmod_fn(d, (st->mode & 0200) ? 0644 : 0444);
			if (r < 0)
				fail(c, r, "cannot set the mode of", NULL, d);
		}
	} else {
		r = c->dst->lchown_fn(d, st->uid, st->gid);
		/* only root may give files away on the host: keep going without */
		if (r < 0 && !(r == -EPERM && !c->dst->is_image && geteuid() != 0))
			fail(c, r, "cannot set the owner of", NULL, d);
		if (!S_ISLNK(st->mode)) {
			r = c->dst->chmod_fn(d, mode);
			if (r < 0)
				fail(c, r, "cannot set the mode of", NULL, d);
		}
	}
	r = c->dst->utimes_fn(d, st);
	if (r < 0 && r != -EPERM && r != -EOPNOTSUPP)
		fail(c, r, "cannot set the times of", NULL, d);
}

/* Make room for a non-directory at d: remove what is there unless it is a directory. */
static int clear_dest(struct copier *c, const char *s, const char *d)
{
	struct fst dst;
	int r = c->dst->lstat_fn(d, &dst);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		fail(c, r, "cannot look at", s, d);
		return r;
	}
	if (S_ISDIR(dst.mode)) {
		fail(c, -EISDIR, "cannot overwrite directory", s, d);
		return -EISDIR;
	}
	r = c->dst->unlink_fn(d);
	if (r < 0)
		fail(c, r, "cannot replace", s, d);
	return r;
}

static void copy_data(struct copier *c, const char *s, const char *d, const struct fst *st)
{
	int in, out, r;
	unsigned long long done = 0;
	long n = 0;

	in = c->src->open_fn(s, O_RDONLY | (c->o->dereference ? 0 : O_NOFOLLOW), 0);
	if (in < 0) {
		c->failed = 1;
		err_msg(NULL, "cannot read %s: %s", show(c->src, s), errstr(in));
		return;
	}
	c->src->sequential_fn(in);
	out = c->dst->open_fn(d, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (out < 0) {
		c->src->close_fn(in);
		fail(c, out, "cannot create", s, d);
		return;
	}
	for (;;) {
		n = c->src->read_fn(in, c->buf, COPY_BUF);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			long w = c->dst->write_fn(out, c->buf + off, (unsigned long)(n - off));

			if (w <= 0) {
				n = w ? w : -EIO;
				goto wrote;
			}
			off += w;
			done += (unsigned long long)w;
		}
	}
	if (n < 0) {
		c->src->close_fn(in);
		c->dst->close_fn(out);
		c->failed = 1;
		err_msg(NULL, "cannot read %s: %s", show(c->src, s), errstr((int)n));
		c->dst->unlink_fn(d);
		return;
	}
wrote:
	c->src->close_fn(in);
	r = c->dst->close_fn(out);
	if (n < 0 || r < 0) {
		int err = n < 0 ? (int)n : r;

		if (is_fatal(err))
			snprintf(c->note, sizeof(c->note), " (after %llu of %llu bytes; the partial file is removed)", done, st->size);
		fail(c, err, "cannot write", s, d);
		c->dst->unlink_fn(d); /* leave no truncated file behind */
		return;
	}
	set_attrs(c, d, st);
}

static const char *find_link(struct copier *c, const struct fst *st)
{
	for (size_t i = 0; i < c->nlinks; i++)
		if (c->links[i].dev == st->dev && c->links[i].ino == st->ino)
			return c->links[i].path;
	return NULL;
}

static void remember_link(struct copier *c, const struct fst *st, const char *d)
{
	if (c->nlinks == c->caplinks) {
		size_t n = c->caplinks ? c->caplinks * 2 : 64;
		struct hl *l = realloc(c->links, n * sizeof(*l));

		if (!l)
			return;
		c->links = l;
		c->caplinks = n;
	}
	c->links[c->nlinks].dev = st->dev;
	c->links[c->nlinks].ino = st->ino;
	c->links[c->nlinks].path = strdup(d);
	if (c->links[c->nlinks].path)
		c->nlinks++;
}

static void copy_any(struct copier *c, const char *s, const char *d);

static void copy_dir(struct copier *c, const char *s, const char *d, const struct fst *st)
{
	struct fst dst;
	char **names;
	size_t n;
	int r = c->dst->stat_fn(d, &dst);

	if (r == 0 && !S_ISDIR(dst.mode)) {
		fail(c, -ENOTDIR, "cannot overwrite non-directory", s, d);
		return;
	}
	if (r == -ENOENT) {
		r = c->dst->mkdir_fn(d, 0700); /* its own mode once it is filled */
		if (r < 0) {
			fail(c, r, "cannot create directory", s, d);
			return;
		}
	} else if (r < 0) {
		fail(c, r, "cannot look at", s, d);
		return;
	}
	r = c->src->list_fn(s, &names, &n);
	if (r < 0) {
		c->failed = 1;
		err_msg(NULL, "cannot list %s: %s", show(c->src, s), errstr(r));
		return;
	}
	for (size_t i = 0; i < n && !c->fatal; i++) {
		char *cs = path_join(s, names[i]), *cd = path_join(d, names[i]);

		copy_any(c, cs, cd);
		free(cs);
		free(cd);
	}
	free_names(names, n);
	if (!c->fatal)
		set_attrs(c, d, st);
}

static void copy_any(struct copier *c, const char *s, const char *d)
{
	struct fst st;
	int r = c->o->dereference ? c->src->stat_fn(s, &st) : c->src->lstat_fn(s, &st);

	if (r < 0) {
		c->failed = 1;
		err_msg(NULL, "cannot read %s: %s", show(c->src, s), errstr(r));
		return;
	}
	if (!c->src->is_image && c->o->skip_ino && st.dev == c->o->skip_dev && st.ino == c->o->skip_ino) {
		warn_msg("%s is the image being written; not copied into itself", s);
		return;
	}
	if (S_ISDIR(st.mode)) {
		copy_dir(c, s, d, &st);
		return;
	}
	if (!S_ISREG(st.mode) && !S_ISLNK(st.mode) && !S_ISCHR(st.mode) && !S_ISBLK(st.mode) &&
	    !S_ISFIFO(st.mode) && !S_ISSOCK(st.mode)) {
		c->failed = 1;
		err_msg(NULL, "%s: unknown file type %o", show(c->src, s), st.mode & S_IFMT);
		return;
	}
	if (clear_dest(c, s, d) < 0)
		return;
	if (st.nlink > 1 && !c->o->dest_vfat) {
		const char *first = find_link(c, &st);

		if (first) {
			r = c->dst->link_fn(first, d);
			if (r == 0)
				return;
			if (is_fatal(r)) {
				fail(c, r, "cannot create hard link", s, d);
				return;
			}
			/* e.g. across file systems: copy it instead */
		} else {
			remember_link(c, &st, d);
		}
	}
	if (S_ISREG(st.mode)) {
		copy_data(c, s, d, &st);
	} else if (S_ISLNK(st.mode)) {
		char target[4097];
		long n = c->src->readlink_fn(s, target, sizeof(target) - 1);

		if (n < 0) {
			c->failed = 1;
			err_msg(NULL, "cannot read symbolic link %s: %s", show(c->src, s), errstr((int)n));
			return;
		}
		target[n] = 0;
		r = c->dst->symlink_fn(target, d);
		if (r < 0) {
			fail(c, r, "cannot create symbolic link", s, d);
			return;
		}
		set_attrs(c, d, &st);
	} else {
		r = c->dst->mknod_fn(d, st.mode & (S_IFMT | 07777), st.rdev);
		if (r < 0) {
			fail(c, r, "cannot create special file", s, d);
			return;
		}
		set_attrs(c, d, &st);
	}
}

/* The last component of p, or "" when p names its directory's contents:
 * the root ("/"), or a path ending in "/." or "." (cp's "dir/." idiom). */
static const char *base_name(const char *p, char *buf, size_t len)
{
	size_t n = strlen(p);
	const char *b;

	while (n > 1 && p[n - 1] == '/')
		n--;
	if ((n == 1 && p[0] == '/') || (n == 1 && p[0] == '.') || (n >= 2 && p[n - 1] == '.' && p[n - 2] == '/'))
		return "";
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	b = strrchr(buf, '/');
	return b ? b + 1 : buf;
}

/* The directory part of p ("." or "/" when there is none). */
static void dir_name(const char *p, char *buf, size_t len)
{
	char *s;

	snprintf(buf, len, "%s", p);
	for (size_t n = strlen(buf); n > 1 && buf[n - 1] == '/';)
		buf[--n] = 0;
	s = strrchr(buf, '/');
	if (!s)
		snprintf(buf, len, ".");
	else if (s == buf)
		buf[1] = 0;
	else
		*s = 0;
}

int cmd_cp(struct side *src, char **srcs, int nsrc, struct side *dst, const char *dest, const struct copy_opts *o)
{
	struct copier c = { .src = src, .dst = dst, .o = o };
	struct fst dst_st, st;
	int dest_dir, r;

	/* every source must exist before anything is written */
	for (int i = 0; i < nsrc; i++) {
		r = o->dereference ? src->stat_fn(srcs[i], &st) : src->lstat_fn(srcs[i], &st);
		if (r < 0) {
			err_msg("check the path; image paths are IMAGE:/PATH", "cannot copy %s: %s", show(src, srcs[i]), errstr(r));
			return EXIT_BAD;
		}
	}
	r = dst->stat_fn(dest, &dst_st);
	dest_dir = r == 0 && S_ISDIR(dst_st.mode);
	if (r < 0 && r != -ENOENT) {
		err_msg(NULL, "cannot use %s as the destination: %s", show(dst, dest), errstr(r));
		return EXIT_BAD;
	}
	if (nsrc > 1 && !dest_dir) {
		err_msg("give an existing directory as the last argument", "copying %d sources needs a directory as the destination, and %s is %s",
			nsrc, show(dst, dest), r < 0 ? "missing" : "not a directory");
		return EXIT_BAD;
	}
	if (r == -ENOENT) {
		char parent[4200];

		dir_name(dest, parent, sizeof(parent));
		if (dst->stat_fn(parent, &st) < 0 || !S_ISDIR(st.mode)) {
			err_msg("create the parent directory first, or check the path", "the destination's directory %s does not exist", show(dst, parent));
			return EXIT_BAD;
		}
	}
	/* a directory copied into itself would never end */
	for (int i = 0; i < nsrc && src == dst; i++) {
		char nb[4200];
		const char *name = base_name(srcs[i], nb, sizeof(nb));
		char *target = dest_dir && name[0] ? path_join(dest, name) : strdup(dest);
		size_t l = strlen(srcs[i]);

		r = o->dereference ? src->stat_fn(srcs[i], &st) : src->lstat_fn(srcs[i], &st);
		while (l > 1 && srcs[i][l - 1] == '/')
			l--;
		if (r == 0 && S_ISDIR(st.mode) && !strncmp(target, srcs[i], l) && (target[l] == '/' || target[l] == 0 || l == 1)) {
			err_msg("copy it somewhere outside itself", "cannot copy %s into itself (%s)", show(src, srcs[i]), show(dst, target));
			free(target);
			return EXIT_BAD;
		}
		free(target);
	}
	/* all checked: only now may the image change */
	if (o->make_writable && (r = o->make_writable()) < 0) {
		err_msg(NULL, "cannot make %s writable: %s", dst->label, errstr(r));
		return EXIT_FAIL;
	}
	c.buf = malloc(COPY_BUF);
	if (!c.buf) {
		err_msg(NULL, "out of memory");
		return EXIT_FAIL;
	}
	for (int i = 0; i < nsrc && !c.fatal; i++) {
		char nb[4200];
		const char *name = base_name(srcs[i], nb, sizeof(nb));
		char *target = dest_dir && name[0] ? path_join(dest, name) : strdup(dest);

		copy_any(&c, srcs[i], target);
		free(target);
	}
	for (size_t i = 0; i < c.nlinks; i++)
		free(c.links[i].path);
	free(c.links);
	free(c.buf);
	return c.failed ? EXIT_FAIL : 0;
}
