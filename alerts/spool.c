/*
 * spool.c: a local append-only file for what must reach Redis but could
 * not (Redis away): one JSON object per line, written with O_APPEND and
 * made durable (fdatasync) before the caller goes on, read back in order
 * when Redis returns, then emptied.  The file is bounded (SPOOL_MAX
 * bytes); a line that would pass the bound is refused and the caller
 * says so.  A torn last line (a crash mid-write) is skipped on reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/alerts.h"

#define SPOOL_MAX      (64 << 20) /* bytes in the file */
#define SPOOL_LINE_MAX (64 << 10) /* bytes in one line */

struct spool {
	int fd;
	char path[1024];
	off_t size;
};

/* Open (creating) dir/name, mode 0600.  NULL and why in err. */
struct spool *
spool_open(const char *dir, const char *name, char *err, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	struct stat st;

	if (sp == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(sp->path, sizeof(sp->path), "%s/%s", dir, name);
	sp->fd = open(sp->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (sp->fd == -1 || fstat(sp->fd, &st) == -1) {
		snprintf(err, errlen, "cannot open spool '%s': %s", sp->path,
		         strerror(errno));
		if (sp->fd != -1)
			close(sp->fd);
		free(sp);
		return NULL;
	}
	sp->size = st.st_size;
	return sp;
}

/* Append one line (no newline in it) durably; -1 if refused or failed. */
int
spool_append(struct spool *sp, const char *line)
{
	size_t len = strlen(line);
	char *buf;
	ssize_t n;

	if (len == 0 || len > SPOOL_LINE_MAX || memchr(line, '\n', len) ||
	    sp->size + (off_t)len + 1 > SPOOL_MAX) {
		log_err("spool: line refused: file=%s bytes=%zu size=%lld",
		        sp->path, len, (long long)sp->size);
		return -1;
	}
	buf = malloc(len + 1);
	if (buf == NULL)
		return -1;
	memcpy(buf, line, len);
	buf[len] = '\n';
	n = write(sp->fd, buf, len + 1);
	free(buf);
	if (n != (ssize_t)(len + 1) || fdatasync(sp->fd) == -1) {
		log_err("spool: cannot write: file=%s: %s", sp->path,
		        n == -1 ? strerror(errno) : "short write");
		return -1;
	}
	sp->size += (off_t)len + 1;
	return 0;
}

/*
 * Call cb for every complete line, in order (the line is borrowed for
 * the call).  Returns the lines read, or -1 if the file cannot be read.
 */
long
spool_read(struct spool *sp, void (*cb)(const char *, void *), void *arg)
{
	FILE *f = fopen(sp->path, "r");
	char *line;
	long n = 0;

	if (f == NULL)
		return -1;
	line = malloc(SPOOL_LINE_MAX + 2);
	if (line == NULL) {
		fclose(f);
		return -1;
	}
	while (fgets(line, SPOOL_LINE_MAX + 2, f) != NULL) {
		size_t len = strlen(line);

		if (len == 0 || line[len - 1] != '\n') {
			log_warnx("spool: torn or overlong line skipped: "
			          "file=%s line=%ld",
			          sp->path, n + 1);
			continue;
		}
		line[len - 1] = '\0';
		cb(line, arg);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

/* Everything in the spool reached Redis: empty it. */
int
spool_clear(struct spool *sp)
{
	if (ftruncate(sp->fd, 0) == -1 || fdatasync(sp->fd) == -1) {
		log_err("spool: cannot empty: file=%s: %s", sp->path,
		        strerror(errno));
		return -1;
	}
	sp->size = 0;
	return 0;
}

size_t
spool_size(const struct spool *sp)
{
	return (size_t)sp->size;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	close(sp->fd);
	free(sp);
}
