/* ctl_feed.c: placeholder until the command lands (issue 3 in progress). */
#include <stdio.h>

#include "monitor/monitor.h"

int
ctl_feed_dump(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "yuqingctl: not implemented yet\n");
	return 2;
}
