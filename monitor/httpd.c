/*
 * httpd.c: the daemon's HTTP listener (libevent evhttp), loopback by
 * default.  For now it serves /healthz; the API, dashboard and /metrics
 * hang off the same server.  Bodies and headers are size-capped by evhttp,
 * slow clients are cut off by its timeout.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

struct httpd {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	char listen[200];
	httpd_health_cb health_cb;
	void *health_arg;
};

/* Send a JSON document; takes the reference to doc. */
void
httpd_reply_json(struct evhttp_request *req, int code, const char *reason,
                 json_t *doc)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char *text;

	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (buf == NULL || text == NULL) {
		free(text);
		if (buf != NULL)
			evbuffer_free(buf);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	free(text);
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

void
httpd_reply_error(struct evhttp_request *req, int code, const char *reason,
                  const char *message)
{
	httpd_reply_json(
	    req, code, reason,
	    json_pack("{s:s, s:i}", "error", message, "status", code));
}

static void
httpd_healthz_cb(struct evhttp_request *req, void *arg)
{
	struct httpd *h = arg;
	json_t *doc;
	int ok;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		httpd_reply_error(req, 405, "Method Not Allowed",
		                  "only GET is allowed here");
		return;
	}
	doc = json_object();
	ok = h->health_cb(doc, h->health_arg);
	json_object_set_new(doc, "status",
	                    json_string(ok ? "ok" : "unhealthy"));
	if (ok)
		httpd_reply_json(req, HTTP_OK, "OK", doc);
	else
		httpd_reply_json(req, 503, "Service Unavailable", doc);
}

static void
httpd_notfound_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_error(req, HTTP_NOTFOUND, "Not Found", "no such resource");
}

static int
httpd_bind(struct httpd *h, const char *listen)
{
	struct conf_addr a;
	struct evhttp_bound_socket *sock;

	if (config_addr_parse(listen, &a) == -1 || a.is_unix) {
		log_err("cannot listen: addr=%s reason=\"not an IP:PORT\"",
		        listen);
		return -1;
	}
	sock = evhttp_bind_socket_with_handle(h->http, a.host,
	                                      (ev_uint16_t)a.port);
	if (sock == NULL) {
		log_err("cannot listen for http: addr=%s", listen);
		return -1;
	}
	if (h->sock != NULL)
		evhttp_del_accept_socket(h->http, h->sock);
	h->sock = sock;
	snprintf(h->listen, sizeof(h->listen), "%s", listen);
	log_info("http listening: addr=%s", listen);
	return 0;
}

static void
httpd_limits(struct httpd *h, const struct conf_http *hc)
{
	struct timeval tv;

	evhttp_set_max_body_size(h->http, (ev_ssize_t)hc->max_body);
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)hc->max_headers);
	clock_real_timeval(hc->timeout, &tv);
	evhttp_set_timeout_tv(h->http, &tv);
}

/* Everything no route serves goes to cb (the API dispatches /api/...). */
void
httpd_fallback(struct httpd *h, void (*cb)(struct evhttp_request *, void *),
               void *arg)
{
	evhttp_set_gencb(h->http, cb, arg);
}

/* The 404 for paths nobody serves. */
void
httpd_not_found(struct evhttp_request *req)
{
	httpd_reply_error(req, HTTP_NOTFOUND, "Not Found", "no such resource");
}

/* Serve path with cb (the daemon's pages: /ack). */
int
httpd_route(struct httpd *h, const char *path,
            void (*cb)(struct evhttp_request *, void *), void *arg)
{
	return evhttp_set_cb(h->http, path, cb, arg) == 0 ? 0 : -1;
}

/* Send a body of the given type (borrowed); GET and HEAD only. */
void
httpd_reply_text(struct evhttp_request *req, const char *type, const char *body,
                 size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (buf == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(buf, body, len);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
}

/* Send an HTML page (UTF-8); body is borrowed. */
void
httpd_reply_html(struct evhttp_request *req, int code, const char *reason,
                 const char *body)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (buf == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(buf, body, strlen(body));
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'");
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

/* health_cb fills the /healthz document and says whether all is well. */
struct httpd *
httpd_new(struct event_base *base, const struct conf_http *hc,
          httpd_health_cb health_cb, void *arg)
{
	struct httpd *h;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->base = base;
	h->health_cb = health_cb;
	h->health_arg = arg;
	h->http = evhttp_new(base);
	if (h->http == NULL) {
		free(h);
		return NULL;
	}
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_POST);
	evhttp_set_default_content_type(h->http,
	                                "application/json; charset=utf-8");
	httpd_limits(h, hc);
	evhttp_set_cb(h->http, "/healthz", httpd_healthz_cb, h);
	evhttp_set_gencb(h->http, httpd_notfound_cb, h);
	if (httpd_bind(h, hc->listen) == -1) {
		httpd_free(h);
		return NULL;
	}
	return h;
}

/*
 * Apply a reloaded [http] section.  A new address is bound before the old
 * one is closed, so a failed bind leaves the running listener alone.
 */
int
httpd_reconfigure(struct httpd *h, const struct conf_http *hc)
{
	if (strcmp(h->listen, hc->listen) != 0 && httpd_bind(h, hc->listen))
		return -1;
	httpd_limits(h, hc);
	return 0;
}

/* Would a reload to hc need a new listening socket? */
int
httpd_needs_rebind(const struct httpd *h, const struct conf_http *hc)
{
	return strcmp(h->listen, hc->listen) != 0;
}

/* Stop accepting connections; requests already read are still answered. */
void
httpd_stop_accepting(struct httpd *h)
{
	if (h->sock != NULL) {
		evhttp_del_accept_socket(h->http, h->sock);
		h->sock = NULL;
		log_info("http listener closed: addr=%s", h->listen);
	}
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h);
}
