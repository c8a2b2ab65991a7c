/*
 * test_log.c: log.c -- level filtering, one event per line (control
 * characters escaped), the "<N>" stderr format and level names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))
#define MAX_LINES 16

/* What the sink saw. */
struct capture {
	int n;
	int pri[MAX_LINES];
	char line[MAX_LINES][4200];
};

static struct capture cap;

/* stderr of the code under test goes to a file while saved_fd keeps the
 * real one, so the test output stays clean and stderr can be checked. */
static int saved_fd = -1;
static FILE *err_file;

static void
capture_cb(int pri, const char *line, void *arg)
{
	struct capture *c = arg;

	assert_ptr_equal(c, &cap);
	assert_true(c->n < MAX_LINES);
	c->pri[c->n] = pri;
	snprintf(c->line[c->n], sizeof(c->line[c->n]), "%s", line);
	c->n++;
}

static void
stderr_begin(void)
{
	fflush(stderr);
	err_file = tmpfile();
	assert_non_null(err_file);
	saved_fd = dup(STDERR_FILENO);
	assert_true(saved_fd != -1);
	assert_true(dup2(fileno(err_file), STDERR_FILENO) != -1);
}

/* Restore stderr; what was written to it goes to buf. */
static void
stderr_end(char *buf, size_t len)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved_fd, STDERR_FILENO) != -1);
	close(saved_fd);
	saved_fd = -1;
	rewind(err_file);
	n = fread(buf, 1, len - 1, err_file);
	buf[n] = '\0';
	fclose(err_file);
	err_file = NULL;
}

static int
count_char(const char *s, char ch)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == ch;
	return n;
}

static int
setup(void **state)
{
	(void)state;
	memset(&cap, 0, sizeof(cap));
	log_init("test", LOG_INFO);
	log_set_sink(capture_cb, &cap);
	return 0;
}

/* After a failed assertion stderr may still be redirected: restore it and
 * pass on what was captured (cmocka's own failure message among it). */
static int
teardown(void **state)
{
	char buf[8192];

	(void)state;
	log_set_sink(NULL, NULL);
	if (saved_fd != -1) {
		stderr_end(buf, sizeof(buf));
		fputs(buf, stderr);
	}
	return 0;
}

/* Level filtering -------------------------------------------------------- */

static void
test_filtering(void **state)
{
	static const struct {
		int level;
		int emitted; /* bit i: log_emit(i, ...) got through */
	} cases[] = {
	    {LOG_EMERG, 0x01},  {LOG_ERR, 0x0f},  {LOG_WARNING, 0x1f},
	    {LOG_NOTICE, 0x3f}, {LOG_INFO, 0x7f}, {LOG_DEBUG, 0xff},
	};
	char err[8192], want[8192];
	size_t i, o;
	int pri, k;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		memset(&cap, 0, sizeof(cap));
		log_set_level(cases[i].level);
		assert_int_equal(log_get_level(), cases[i].level);
		stderr_begin();
		for (pri = LOG_EMERG; pri <= LOG_DEBUG; pri++)
			log_emit(pri, "event %d", pri);
		stderr_end(err, sizeof(err));

		k = 0;
		o = 0;
		want[0] = '\0';
		for (pri = LOG_EMERG; pri <= LOG_DEBUG; pri++) {
			if (!(cases[i].emitted & (1 << pri)))
				continue;
			assert_true(k < cap.n);
			assert_int_equal(cap.pri[k], pri);
			snprintf(want, sizeof(want), "event %d", pri);
			assert_string_equal(cap.line[k], want);
			k++;
		}
		assert_int_equal(cap.n, k);
		/* stderr: the same events, "<N>" first, one per line */
		for (pri = LOG_EMERG; pri <= LOG_DEBUG; pri++)
			if (cases[i].emitted & (1 << pri))
				o += (size_t)snprintf(
				    want + o, sizeof(want) - o,
				    "<%d>event %d\n", pri, pri);
		want[o] = '\0';
		assert_string_equal(err, want);
	}
}

/* The macros use the right priorities. */
static void
test_macros(void **state)
{
	char err[1024];

	(void)state;
	log_set_level(LOG_DEBUG);
	stderr_begin();
	log_err("e");
	log_warnx("w");
	log_notice("n");
	log_info("i");
	log_debug("d %s=%d", "k", 7);
	stderr_end(err, sizeof(err));
	assert_int_equal(cap.n, 5);
	assert_int_equal(cap.pri[0], LOG_ERR);
	assert_int_equal(cap.pri[1], LOG_WARNING);
	assert_int_equal(cap.pri[2], LOG_NOTICE);
	assert_int_equal(cap.pri[3], LOG_INFO);
	assert_int_equal(cap.pri[4], LOG_DEBUG);
	assert_string_equal(cap.line[4], "d k=7");
	assert_string_equal(err, "<3>e\n<4>w\n<5>n\n<6>i\n<7>d k=7\n");
}

/* Out-of-range levels are clamped. */
static void
test_set_level_clamps(void **state)
{
	(void)state;
	log_set_level(99);
	assert_int_equal(log_get_level(), LOG_DEBUG);
	log_set_level(-5);
	assert_int_equal(log_get_level(), LOG_EMERG);
	log_set_level(LOG_NOTICE);
	assert_int_equal(log_get_level(), LOG_NOTICE);
}

/* One event, one line ---------------------------------------------------- */

static void
test_escaping(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain text", "plain text"},
	    {"two\nlines", "two\\nlines"},
	    {"fake\n<3>injected", "fake\\n<3>injected"},
	    {"cr\rlf", "cr\\x0dlf"},
	    {"tab\there", "tab\\x09here"},
	    {"bell\a esc\x1b[31m", "bell\\x07 esc\\x1b[31m"},
	    {"del\x7f", "del\\x7f"},
	    {"back\\slash", "back\\slash"},
	    {"北京时间 08:00", "北京时间 08:00"},
	    {"", ""},
	};
	char err[4096], want[4096];
	size_t i;

	(void)state;
	log_set_level(LOG_INFO);
	for (i = 0; i < NELEM(cases); i++) {
		memset(&cap, 0, sizeof(cap));
		stderr_begin();
		log_info("%s", cases[i].in);
		stderr_end(err, sizeof(err));
		assert_int_equal(cap.n, 1);
		assert_string_equal(cap.line[0], cases[i].out);
		snprintf(want, sizeof(want), "<6>%s\n", cases[i].out);
		assert_string_equal(err, want);
	}
}

/* A long line is cut, never in the middle of an escape, and stays one line.
 */
static void
test_long_line(void **state)
{
	static char in[6000], err[16384];
	size_t len;

	(void)state;
	log_set_level(LOG_INFO);
	memset(in, 'a', sizeof(in) - 1);
	stderr_begin();
	log_info("%s", in);
	memset(in, '\n', sizeof(in) - 1);
	log_info("%s", in);
	stderr_end(err, sizeof(err));
	assert_int_equal(cap.n, 2);
	len = strlen(cap.line[0]);
	assert_true(len > 4000 && len < 4096);
	len = strlen(cap.line[1]);
	assert_true(len > 4000 && len < 4096);
	assert_null(strchr(cap.line[1], '\n'));
	assert_int_equal(len % 2, 0); /* whole "\n" pairs only */
	assert_int_equal(cap.line[1][len - 2], '\\');
	assert_int_equal(cap.line[1][len - 1], 'n');
	/* stderr: exactly two lines */
	assert_int_equal(count_char(err, '\n'), 2);
	assert_int_equal(err[strlen(err) - 1], '\n');
}

/* Level names ------------------------------------------------------------ */

static void
test_level_parse(void **state)
{
	static const struct {
		const char *name;
		int level;
	} cases[] = {
	    {"emerg", LOG_EMERG},  {"alert", LOG_ALERT},
	    {"crit", LOG_CRIT},    {"err", LOG_ERR},
	    {"error", LOG_ERR},    {"warning", LOG_WARNING},
	    {"warn", LOG_WARNING}, {"notice", LOG_NOTICE},
	    {"info", LOG_INFO},    {"debug", LOG_DEBUG},
	    {"verbose", -1},       {"INFO", -1},
	    {"Debug", -1},         {"info ", -1},
	    {"inf", -1},           {"", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		print_message("level '%s'\n", cases[i].name);
		assert_int_equal(log_level_parse(cases[i].name),
		                 cases[i].level);
	}
}

static void
test_level_name(void **state)
{
	static const struct {
		int level;
		const char *name;
	} cases[] = {
	    {LOG_EMERG, "emerg"},
	    {LOG_ERR, "err"},
	    {LOG_WARNING, "warning"},
	    {LOG_INFO, "info"},
	    {LOG_DEBUG, "debug"},
	    {-1, "?"},
	    {8, "?"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_string_equal(log_level_name(cases[i].level),
		                    cases[i].name);
	/* every name parses back to its level */
	for (i = LOG_EMERG; i <= LOG_DEBUG; i++)
		assert_int_equal(log_level_parse(log_level_name((int)i)),
		                 (int)i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_filtering, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_macros, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_level_clamps, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_level_parse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_level_name, setup, teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
