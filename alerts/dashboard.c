/*
 * dashboard.c: the on-call dashboard (值班看板) at /dashboard, with its
 * script, style and icon at /dashboard.js, .css and .svg; / is sent to
 * it.  They are the files in alerts/dashboard/, turned into C arrays at
 * build time (dashboard/embed.cmake), so the installed daemon reads
 * nothing from disk to serve them.  The page is static and public: it
 * carries no data and no secret, and fetches everything from the JSON
 * API (api.c) with the operator's bearer token.  Its
 * Content-Security-Policy allows only the daemon itself (no inline script
 * or style, no other host), and no answer may be cached, framed or leak
 * a referrer.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <string.h>

#include "alerts/alerts.h"
#include "dashboard_assets.h"

#define DASHBOARD_CSP                                                          \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self'; connect-src 'self'; base-uri 'none'; "                \
	"form-action 'none'; frame-ancestors 'none'"

struct dashboard_asset {
	const char *path;
	const char *type;
	const unsigned char *body;
	size_t len;
};

static const struct dashboard_asset dashboard_assets[] = {
    {"/dashboard", "text/html; charset=utf-8", dashboard_html,
     sizeof(dashboard_html)},
    {"/dashboard.js", "text/javascript; charset=utf-8", dashboard_js,
     sizeof(dashboard_js)},
    {"/dashboard.css", "text/css; charset=utf-8", dashboard_css,
     sizeof(dashboard_css)},
    {"/dashboard.svg", "image/svg+xml", dashboard_svg, sizeof(dashboard_svg)},
};

/* The headers of every answer here; GET and HEAD only (1), else the 405
 * is sent (0). */
static int
dashboard_begin(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Allow", "GET, HEAD");
		httpd_reply_error(req, 405, "Method Not Allowed",
		                  "GET only: the dashboard acts through /api/");
		return 0;
	}
	evhttp_add_header(h, "Content-Security-Policy", DASHBOARD_CSP);
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	return 1;
}

/* One embedded file (arg); httpd_reply_text adds the type, no-store and
 * nosniff. */
static void
dashboard_asset_cb(struct evhttp_request *req, void *arg)
{
	const struct dashboard_asset *a = arg;

	if (dashboard_begin(req))
		httpd_reply_text(req, a->type, (const char *)a->body, a->len);
}

/* "/" is the dashboard (relative, so a proxy's path prefix stays). */
static void
dashboard_root_cb(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	(void)arg;
	if (!dashboard_begin(req))
		return;
	evhttp_add_header(h, "Location", "dashboard");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, 302, "Found", NULL);
}

/* Serve the dashboard on h: 0, or -1 if a path could not be routed. */
int
dashboard_init(struct httpd *h)
{
	size_t i;

	for (i = 0; i < sizeof(dashboard_assets) / sizeof(dashboard_assets[0]);
	     i++)
		if (httpd_route(h, dashboard_assets[i].path, dashboard_asset_cb,
		                (void *)&dashboard_assets[i]) == -1)
			return -1;
	return httpd_route(h, "/", dashboard_root_cb, NULL);
}
