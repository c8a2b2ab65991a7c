/*
 * log.c: one line per event on stderr, "<N>" syslog priority prefix first
 * (journald reads it), then the message, then key=value fields.  Control
 * characters are escaped so one event is always one line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config/config.h"

static int log_level = LOG_INFO;
static const char *log_ident = "yuqing";
static int log_use_syslog;
static log_sink_cb log_sink;
static void *log_sink_arg;

static const char *const log_level_names[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

void
log_init(const char *ident, int level)
{
	log_ident = ident;
	log_level = level;
}

void
log_set_level(int level)
{
	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

/* Switch to syslog(3), used when the daemon detaches from its terminal. */
void
log_to_syslog(void)
{
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_use_syslog = 1;
}

/* Tests capture lines with a sink; the sink does not own the line. */
void
log_set_sink(log_sink_cb cb, void *arg)
{
	log_sink = cb;
	log_sink_arg = arg;
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]);
	     i++)
		if (strcmp(name, log_level_names[i]) == 0)
			return (int)i;
	if (strcmp(name, "error") == 0)
		return LOG_ERR;
	if (strcmp(name, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < 0 || level > LOG_DEBUG)
		return "?";
	return log_level_names[level];
}

/* Escape control characters in place into dst (always NUL-terminated). */
static void
log_escape(char *dst, size_t dstlen, const char *src)
{
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)src;

	for (; *s != '\0' && o + 5 < dstlen; s++) {
		if (*s == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else if (*s < 0x20 || *s == 0x7f) {
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x",
			                      *s);
		} else {
			dst[o++] = (char)*s;
		}
	}
	dst[o] = '\0';
}

/*
 * Messages read "what happened: key=value key=value"; free text in a field is
 * quoted by the caller (err="...").
 */
void
log_vemit(int pri, const char *fmt, va_list ap)
{
	char line[4096], safe[4096];

	if (pri > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_escape(safe, sizeof(safe), line);
	if (log_sink != NULL)
		log_sink(pri, safe, log_sink_arg);
	if (log_use_syslog)
		syslog(pri, "%s", safe);
	else
		fprintf(stderr, "<%d>%s\n", pri, safe);
}

void
log_emit(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(pri, fmt, ap);
	va_end(ap);
}

/* Start-up failures only: log and exit.  Never called from a callback. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
