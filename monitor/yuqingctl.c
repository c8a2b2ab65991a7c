/*
 * yuqingctl.c: the operator's command line.  Commands that need the daemon
 * talk to its HTTP API; offline ones (check-config) run the same code the
 * daemon runs.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "alerts/alerts.h"
#include "monitor/monitor.h"

struct ctl_cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(int, char **);
};

static int ctl_help(int, char **);

static int
ctl_check_config(int argc, char **argv)
{
	const char *usage = "usage: yuqingctl check-config [--dump] FILE\n";
	const char *file = NULL;
	int dump = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0) {
			dump = 1;
		} else if (strcmp(argv[i], "--help") == 0) {
			printf(
			    "%sCheck FILE: print \"configuration OK\" and exit "
			    "0, or every\nerror found and exit 1.  --dump "
			    "prints the effective\nconfiguration (secrets "
			    "redacted) instead of \"OK\".\n",
			    usage);
			return 0;
		} else if (file == NULL) {
			file = argv[i];
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (file == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	return rules_check_config(file, dump, stdout, stderr);
}

static int
ctl_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("yuqingctl %s\n", YQ_VERSION);
	return 0;
}

static const struct ctl_cmd ctl_cmds[] = {
    {"check-config", "[--dump] FILE", "check a configuration file",
     ctl_check_config},
    {"explain", "TEXT", "how the monitor classifies TEXT, and why",
     ctl_explain},
    {"classify", "< LINES", "classify one text per line (TSV out)",
     ctl_classify},
    {"feed-dump", "FILE|URL", "print the items the monitor sees in a feed",
     ctl_feed_dump},
    {"fetch", "URL", "fetch a URL as the daemon does; print the result",
     ctl_fetch},
    {"list", "[--state S] [--class C] [--department D] [-q TEXT]",
     "the daemon's incidents, the next due first", ctl_list},
    {"show", "ID", "one incident: milestones, history, items", ctl_show},
    {"ack", "ID", "acknowledge an incident (stops the paging)", ctl_ack},
    {"respond", "ID MILESTONE URL [NOTE]",
     "record the response that meets a milestone", ctl_respond},
    {"dismiss", "ID REASON", "a false positive: stop its clocks", ctl_dismiss},
    {"reopen", "ID", "reopen a dismissed or closed incident", ctl_reopen},
    {"merge", "ID INTO-ID [REASON]",
     "merge an incident into another (it closes)", ctl_merge},
    {"reclassify", "ID major|ordinary REASON",
     "change the class (its milestones follow)", ctl_reclassify},
    {"report", "[--format text|csv|json|html] [--at MS]",
     "the timeliness report of the week (now, or holding MS)", ctl_report},
    {"feeds", "", "the daemon's feeds and their health", ctl_feeds},
    {"audit", "verify", "check the audit trail's hash chain", ctl_audit},
    {"version", "", "print the version", ctl_version},
    {"help", "", "this list", ctl_help},
    {NULL, NULL, NULL, NULL},
};

static int
ctl_help(int argc, char **argv)
{
	const struct ctl_cmd *c;

	(void)argc;
	(void)argv;
	printf(
	    "usage: yuqingctl COMMAND [ARGS]   (COMMAND --help for more)\n\n");
	for (c = ctl_cmds; c->name != NULL; c++)
		printf("  %-14s %-16s %s\n", c->name, c->args, c->help);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct ctl_cmd *c;

	log_init("yuqingctl", LOG_WARNING);
	signal(SIGPIPE, SIG_IGN); /* a vanished peer is an error, not death */
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		ctl_help(0, NULL);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return ctl_version(0, NULL);
	for (c = ctl_cmds; c->name != NULL; c++)
		if (strcmp(c->name, argv[1]) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr,
	        "yuqingctl: unknown command '%s' (try yuqingctl help)\n",
	        argv[1]);
	return 2;
}
