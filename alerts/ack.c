/*
 * ack.c: acknowledge links.  Every alert text can carry {ack_link}: the
 * daemon's public URL + /ack?t=TOKEN, the token signed with
 * escalation.ack_secret (sign.c: incident, milestone, recipient, expiry;
 * HMAC-SHA256), valid for escalation.ack_ttl of real time.  GET shows
 * the incident and a button (a link previewer in a chat app must not
 * acknowledge by fetching the link); POST acknowledges: the incident
 * goes from open to acknowledged, with who in its history.  A token works
 * once: after the incident is acknowledged the page says so and changes
 * nothing.  Every input is bounded; the title shown is HTML-escaped.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "alerts/alerts.h"

#define ACK_BODY_MAX 2048

struct ack {
	const struct config *conf;
	struct incidents *incidents;
};

/*
 * The acknowledge link for a recipient of an alert into out ("" if the
 * links are off: no ack_secret).  0, or -1 if it does not fit.
 */
int
ack_link(const struct config *c, uint64_t incident, int milestone,
         const char *recipient, char *out, size_t len)
{
	char token[SIGN_ACK_TOKEN_SIZE];
	int64_t expires =
	    clock_real_wall_ms() / 1000 + c->escalation.ack_ttl / 1000;
	int n;

	out[0] = '\0';
	if (c->escalation.ack_secret.value == NULL)
		return 0;
	if (sign_ack_token(c->escalation.ack_secret.value, incident, milestone,
	                   recipient, expires, token, sizeof(token)) == -1)
		return -1;
	if (c->http.public_url != NULL) {
		size_t base = strlen(c->http.public_url);

		while (base > 0 && c->http.public_url[base - 1] == '/')
			base--; /* no "//ack" */
		n = snprintf(out, len, "%.*s/ack?t=%s", (int)base,
		             c->http.public_url, token);
	} else
		n = snprintf(out, len, "http://%s/ack?t=%s", c->http.listen,
		             token);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
ack_page(struct evhttp_request *req, int code, const char *reason,
         const char *heading, const struct incident *inc, const char *form)
{
	struct text_buf b;

	text_buf_init(&b, 16 << 10);
	text_buf_add(
	    &b,
	    "<!doctype html><meta charset=utf-8>"
	    "<meta name=viewport content=\"width=device-width\">"
	    "<title>舆情确认</title><h1>",
	    strlen("<!doctype html><meta charset=utf-8>"
	           "<meta name=viewport content=\"width=device-width\">"
	           "<title>舆情确认</title><h1>"));
	text_buf_html(&b, heading, strlen(heading));
	text_buf_add(&b, "</h1>", 5);
	if (inc != NULL) {
		text_buf_add(&b, "<p>", 3);
		text_buf_html(&b, inc->title, strlen(inc->title));
		text_buf_add(&b, "</p>", 4);
	}
	if (form != NULL)
		text_buf_add(&b, form, strlen(form));
	httpd_reply_html(req, code, reason, b.s != NULL ? b.s : "");
	text_buf_free(&b);
}

/* The token of a request: the query's t (GET) or the form's (POST). */
static int
ack_token(struct evhttp_request *req, char *out, size_t len)
{
	struct evkeyvalq q;
	const char *t, *query = NULL;
	char body[ACK_BODY_MAX + 1];
	int rc = -1;

	TAILQ_INIT(&q);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);

		if (n > ACK_BODY_MAX)
			return -1;
		evbuffer_copyout(in, body, n);
		body[n] = '\0';
		query = body;
	} else {
		query =
		    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	}
	if (query == NULL || evhttp_parse_query_str(query, &q) != 0)
		goto out;
	t = evhttp_find_header(&q, "t");
	if (t != NULL && strlen(t) < len) {
		snprintf(out, len, "%s", t);
		rc = 0;
	}
out:
	evhttp_clear_headers(&q);
	return rc;
}

static void
ack_http_cb(struct evhttp_request *req, void *arg)
{
	struct ack *a = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *secret = a->conf->escalation.ack_secret.value;
	char token[SIGN_ACK_TOKEN_SIZE], form[SIGN_ACK_TOKEN_SIZE + 200];
	struct sign_ack sa;
	struct incident *inc;
	int rc;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
		httpd_reply_error(req, 405, "Method Not Allowed",
		                  "GET shows, POST acknowledges");
		return;
	}
	if (secret == NULL) {
		ack_page(req, 404, "Not Found", "确认链接未启用", NULL, NULL);
		return;
	}
	if (ack_token(req, token, sizeof(token)) == -1) {
		ack_page(req, 400, "Bad Request", "链接无效", NULL, NULL);
		return;
	}
	rc = sign_ack_verify(secret, token, clock_real_wall_ms() / 1000, &sa);
	if (rc == SIGN_ACK_EXPIRED) {
		ack_page(req, 410, "Gone", "链接已过期，请在值班系统中确认",
		         NULL, NULL);
		return;
	}
	if (rc != SIGN_ACK_OK) {
		log_warnx("acknowledge link refused: bad token");
		ack_page(req, 400, "Bad Request", "链接无效", NULL, NULL);
		return;
	}
	inc = incidents_get(a->incidents, sa.incident);
	if (inc == NULL || inc->state == INC_CLOSED ||
	    inc->state == INC_DISMISSED) {
		ack_page(req, 404, "Not Found", "事件已关闭或不存在", inc,
		         NULL);
		return;
	}
	if (inc->state == INC_ACKED) {
		ack_page(req, 200, "OK", "此事件已确认", inc, NULL);
		return;
	}
	if (cmd == EVHTTP_REQ_GET) {
		/* the token is base64url (checked): safe in the page */
		snprintf(
		    form, sizeof(form),
		    "<form method=post action=/ack><input type=hidden "
		    "name=t value=\"%s\"><button>确认已收到</button></form>",
		    token);
		ack_page(req, 200, "OK", "确认舆情事件", inc, form);
		return;
	}
	incidents_ack(a->incidents, sa.incident, sa.recipient);
	ack_page(req, 200, "OK", "已确认，谢谢", inc, NULL);
}

struct ack *
ack_new(const struct config *conf, struct incidents *is, struct httpd *h)
{
	struct ack *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->conf = conf;
	a->incidents = is;
	if (httpd_route(h, "/ack", ack_http_cb, a) == -1) {
		free(a);
		return NULL;
	}
	return a;
}

void
ack_reconfigure(struct ack *a, const struct config *conf)
{
	a->conf = conf;
}

void
ack_free(struct ack *a)
{
	free(a);
}
