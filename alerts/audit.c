/*
 * audit.c: the operators' hash-chained audit trail and their bearer
 * tokens, stored hashed.  Pure: no I/O, no clock, no global state.  The
 * canonical form of an entry is defined in the header; every line this
 * file writes is checked by the same code that verifies a stored trail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alerts/alerts.h"

/* The one serialisation used for writing, hashing and checking. */
#define AUDIT_JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

#define AUDIT_HEX_LEN    64
#define AUDIT_TOKEN_PFX  "sha256:"
#define AUDIT_PFX_LEN    (sizeof(AUDIT_TOKEN_PFX) - 1)
#define AUDIT_AUTH_MAX   1024 /* longest Authorization value we look at */
#define AUDIT_BEARER     "bearer"
#define AUDIT_BEARER_LEN (sizeof(AUDIT_BEARER) - 1)

_Static_assert(AUDIT_HASH_SIZE == SIGN_SHA256_HEX_SIZE, "hash size");
_Static_assert(AUDIT_TOKEN_HASH_SIZE == AUDIT_PFX_LEN + SIGN_SHA256_HEX_SIZE,
               "token hash size");

enum audit_kind {
	AUDIT_K_HEX,     /* 64 lower-case hex digits */
	AUDIT_K_WHO,     /* 1..AUDIT_WHO_MAX, no control characters */
	AUDIT_K_ACTION,  /* 1..AUDIT_ACTION_MAX of [a-z_] */
	AUDIT_K_COUNT,   /* integer >= 0 */
	AUDIT_K_NOTE,    /* 0..AUDIT_NOTE_MAX of text */
	AUDIT_K_STATE,   /* object or null */
	AUDIT_K_VERSION, /* AUDIT_VERSION */
};

/* Every member of an entry, in the order the canonical line has them. */
static const struct audit_field {
	const char *name;
	enum audit_kind kind;
} audit_fields[] = {
    {"action", AUDIT_K_ACTION},  {"after", AUDIT_K_STATE},
    {"before", AUDIT_K_STATE},   {"hash", AUDIT_K_HEX},
    {"incident", AUDIT_K_COUNT}, {"note", AUDIT_K_NOTE},
    {"prev", AUDIT_K_HEX},       {"v", AUDIT_K_VERSION},
    {"when", AUDIT_K_COUNT},     {"who", AUDIT_K_WHO},
};
#define AUDIT_NFIELDS (sizeof(audit_fields) / sizeof(audit_fields[0]))

static int
audit_fail(char *out, size_t outsz)
{
	if (out != NULL && outsz > 0)
		out[0] = '\0';
	return -1;
}

/* 1 if s[0..n) holds no control character but TAB, LF and CR: the text
 * that jansson and Python escape alike. */
static int
audit_text_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return 0;
	}
	return 1;
}

/* 1 if s is exactly AUDIT_HEX_LEN lower-case hex digits. */
static int
audit_hex_ok(const char *s)
{
	size_t i;

	for (i = 0; i < AUDIT_HEX_LEN; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return s[AUDIT_HEX_LEN] == '\0';
}

/* 1 if v, a before or after value, holds only what serialises the same
 * in jansson and Python: no reals, no odd control characters, bounded
 * depth. */
static int
audit_value_ok(json_t *v, int depth)
{
	const char *key;
	json_t *sub;
	size_t i;

	if (depth > AUDIT_DEPTH_MAX)
		return 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, key, sub)
		{
			if (!audit_text_ok(key, strlen(key)) ||
			    !audit_value_ok(sub, depth + 1))
				return 0;
		}
		return 1;
	case JSON_ARRAY:
		json_array_foreach(v, i, sub)
		{
			if (!audit_value_ok(sub, depth + 1))
				return 0;
		}
		return 1;
	case JSON_STRING:
		return audit_text_ok(json_string_value(v),
		                     json_string_length(v));
	case JSON_INTEGER:
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		return 1;
	case JSON_REAL:
	default:
		return 0;
	}
}

/* 1 if v is a good value for a member of kind k. */
static int
audit_member_ok(json_t *v, enum audit_kind k)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), i;

	switch (k) {
	case AUDIT_K_HEX:
		return s != NULL && n == AUDIT_HEX_LEN && audit_hex_ok(s);
	case AUDIT_K_WHO:
		if (s == NULL || n < 1 || n > AUDIT_WHO_MAX)
			return 0;
		for (i = 0; i < n; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return 0;
		}
		return 1;
	case AUDIT_K_ACTION:
		if (s == NULL || n < 1 || n > AUDIT_ACTION_MAX)
			return 0;
		for (i = 0; i < n; i++) {
			if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
				return 0;
		}
		return 1;
	case AUDIT_K_COUNT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case AUDIT_K_NOTE:
		return s != NULL && n <= AUDIT_NOTE_MAX && audit_text_ok(s, n);
	case AUDIT_K_STATE:
		return json_is_null(v) ||
		       (json_is_object(v) && audit_value_ok(v, 1));
	case AUDIT_K_VERSION:
		return json_is_integer(v) &&
		       json_integer_value(v) == AUDIT_VERSION;
	}
	return 0;
}

/* 0 if o has exactly the members of an entry, each good; else -1 with
 * the reason in msg. */
static int
audit_members(json_t *o, char *msg, size_t msglen)
{
	size_t i;

	for (i = 0; i < AUDIT_NFIELDS; i++) {
		const struct audit_field *f = &audit_fields[i];
		json_t *v = json_object_get(o, f->name);

		if (v == NULL) {
			snprintf(msg, msglen, "missing field '%s'", f->name);
			return -1;
		}
		if (!audit_member_ok(v, f->kind)) {
			snprintf(msg, msglen, "bad field '%s'", f->name);
			return -1;
		}
	}
	if (json_object_size(o) != AUDIT_NFIELDS) {
		snprintf(msg, msglen, "unexpected field");
		return -1;
	}
	return 0;
}

/* The hash of entry o: SHA-256 hex of its canonical serialisation
 * without "hash".  o itself is left as it was. */
static int
audit_hash(json_t *o, char hash[AUDIT_HASH_SIZE])
{
	json_t *copy = json_copy(o);
	char *body = NULL;
	int rc = -1;

	if (copy == NULL)
		return audit_fail(hash, AUDIT_HASH_SIZE);
	json_object_del(copy, "hash");
	body = json_dumps(copy, AUDIT_JSON_FLAGS);
	if (body != NULL)
		rc = sign_sha256_hex(body, strlen(body), hash);
	else
		audit_fail(hash, AUDIT_HASH_SIZE);
	free(body);
	json_decref(copy);
	return rc;
}

/* Checks one stored line on its own: it parses, follows the canonical
 * form and its hash recomputes.  0 with its "hash" and "prev" copied out;
 * -1 with the reason in msg. */
static int
audit_line(const char *line, char hash[AUDIT_HASH_SIZE],
           char prev[AUDIT_HASH_SIZE], char *msg, size_t msglen)
{
	char want[AUDIT_HASH_SIZE];
	json_error_t err;
	json_t *o = NULL;
	char *canon = NULL;
	size_t len;
	int rc = -1;

	if (line == NULL) {
		snprintf(msg, msglen, "missing");
		return -1;
	}
	len = strnlen(line, AUDIT_LINE_MAX + 1);
	if (len > AUDIT_LINE_MAX) {
		snprintf(msg, msglen, "too long");
		return -1;
	}
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL) {
		snprintf(msg, msglen, "not JSON");
		return -1;
	}
	if (!json_is_object(o)) {
		snprintf(msg, msglen, "not a JSON object");
		goto out_decref;
	}
	if (audit_members(o, msg, msglen) != 0)
		goto out_decref;
	canon = json_dumps(o, AUDIT_JSON_FLAGS);
	if (canon == NULL || strcmp(canon, line) != 0) {
		snprintf(msg, msglen, "not in canonical form (changed?)");
		goto out_free_canon;
	}
	if (audit_hash(o, want) != 0) {
		snprintf(msg, msglen, "cannot hash");
		goto out_free_canon;
	}
	if (strcmp(want, json_string_value(json_object_get(o, "hash"))) != 0) {
		snprintf(msg, msglen, "hash mismatch (changed?)");
		goto out_free_canon;
	}
	memcpy(hash, want, AUDIT_HASH_SIZE);
	memcpy(prev, json_string_value(json_object_get(o, "prev")),
	       AUDIT_HASH_SIZE);
	rc = 0;
out_free_canon:
	free(canon);
out_decref:
	json_decref(o);
	return rc;
}

/* Sets member key of o to v, which it takes (NULL counts as a failure). */
static int
audit_set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v);
}

/* A copy of before/after state s, or JSON null for NULL. */
static json_t *
audit_state(const json_t *s)
{
	if (s == NULL)
		return json_null();
	if (!json_is_object(s))
		return NULL;
	return json_deep_copy(s);
}

/* The entry's members but "hash" as a new object; NULL if ev is bad.
 * Strings are length-capped here, the rest is left to audit_line. */
static json_t *
audit_object(const char *prev, const struct audit_event *ev)
{
	const char *note = ev->note != NULL ? ev->note : "";
	size_t nwho, naction, nnote;
	json_t *o;
	int bad = 0;

	if (ev->who == NULL || ev->action == NULL || ev->when < 0 ||
	    ev->incident > (uint64_t)INT64_MAX)
		return NULL;
	nwho = strnlen(ev->who, AUDIT_WHO_MAX + 1);
	naction = strnlen(ev->action, AUDIT_ACTION_MAX + 1);
	nnote = strnlen(note, AUDIT_NOTE_MAX + 1);
	if (nwho > AUDIT_WHO_MAX || naction > AUDIT_ACTION_MAX ||
	    nnote > AUDIT_NOTE_MAX)
		return NULL;
	o = json_object();
	if (o == NULL)
		return NULL;
	bad |= audit_set(o, "v", json_integer(AUDIT_VERSION));
	bad |= audit_set(o, "prev", json_string(prev));
	bad |= audit_set(o, "who", json_stringn(ev->who, nwho));
	bad |= audit_set(o, "when", json_integer((json_int_t)ev->when));
	bad |= audit_set(o, "action", json_stringn(ev->action, naction));
	bad |= audit_set(o, "incident", json_integer((json_int_t)ev->incident));
	bad |= audit_set(o, "before", audit_state(ev->before));
	bad |= audit_set(o, "after", audit_state(ev->after));
	bad |= audit_set(o, "note", json_stringn(note, nnote));
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Builds the entry, then runs it through audit_line so that nothing is
 * written which audit_verify would refuse. */
char *
audit_entry(const char *prev_hash, const struct audit_event *ev,
            char hash_out[AUDIT_HASH_SIZE])
{
	char hash[AUDIT_HASH_SIZE], back[AUDIT_HASH_SIZE];
	char prev[AUDIT_HASH_SIZE], msg[64];
	json_t *o = NULL;
	char *line = NULL;

	audit_fail(hash_out, AUDIT_HASH_SIZE);
	if (ev == NULL)
		return NULL;
	if (prev_hash == NULL || prev_hash[0] == '\0')
		prev_hash = AUDIT_GENESIS;
	if (!audit_hex_ok(prev_hash))
		return NULL;
	o = audit_object(prev_hash, ev);
	if (o == NULL)
		return NULL;
	if (audit_hash(o, hash) != 0 ||
	    audit_set(o, "hash", json_string(hash)) != 0)
		goto out_decref;
	line = json_dumps(o, AUDIT_JSON_FLAGS);
	if (line == NULL)
		goto out_decref;
	if (audit_line(line, back, prev, msg, sizeof(msg)) != 0 ||
	    strcmp(back, hash) != 0 || strcmp(prev, prev_hash) != 0) {
		free(line);
		line = NULL;
		goto out_decref;
	}
	if (hash_out != NULL)
		memcpy(hash_out, hash, AUDIT_HASH_SIZE);
out_decref:
	json_decref(o);
	return line;
}

int
audit_verify(const char *const *lines, size_t n, size_t *bad_index, char *why,
             size_t whylen)
{
	char expect[AUDIT_HASH_SIZE], hash[AUDIT_HASH_SIZE];
	char prev[AUDIT_HASH_SIZE], msg[96];
	size_t i;

	audit_fail(why, whylen);
	if (bad_index != NULL)
		*bad_index = 0;
	if (lines == NULL && n > 0) {
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "no lines");
		return -1;
	}
	memcpy(expect, AUDIT_GENESIS, AUDIT_HASH_SIZE);
	for (i = 0; i < n; i++) {
		if (audit_line(lines[i], hash, prev, msg, sizeof(msg)) != 0)
			goto bad;
		if (strcmp(prev, expect) != 0) {
			if (i == 0)
				snprintf(msg, sizeof(msg),
				         "prev is not the genesis value "
				         "(truncated at the start?)");
			else
				snprintf(msg, sizeof(msg),
				         "prev does not match entry %zu "
				         "(deleted or reordered?)",
				         i - 1);
			goto bad;
		}
		memcpy(expect, hash, AUDIT_HASH_SIZE);
	}
	return 0;
bad:
	if (bad_index != NULL)
		*bad_index = i;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "entry %zu: %s", i, msg);
	return -1;
}

/* Tokens ---------------------------------------------------------------- */

/* Length of token if it is a valid token, else 0. */
static size_t
audit_token_len(const char *token)
{
	size_t n, i;

	if (token == NULL)
		return 0;
	n = strnlen(token, AUDIT_TOKEN_MAX + 1);
	if (n < AUDIT_TOKEN_MIN || n > AUDIT_TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)token[i];

		if (c < 0x21 || c > 0x7e)
			return 0;
	}
	return n;
}

/* A plain SHA-256 rather than a slow password hash (bcrypt, scrypt,
 * Argon2): the tokens are long random strings from a CSPRNG, at least
 * AUDIT_TOKEN_MIN characters, so a leaked hash cannot be brute-forced
 * however fast the hash; key stretching only helps low-entropy secrets
 * that people choose.  A fast hash also keeps every API request cheap. */
int
audit_token_hash(const char *token, char out[AUDIT_TOKEN_HASH_SIZE])
{
	size_t n = audit_token_len(token);

	if (n == 0)
		return audit_fail(out, AUDIT_TOKEN_HASH_SIZE);
	memcpy(out, AUDIT_TOKEN_PFX, AUDIT_PFX_LEN);
	if (sign_sha256_hex(token, n, out + AUDIT_PFX_LEN) != 0)
		return audit_fail(out, AUDIT_TOKEN_HASH_SIZE);
	return 0;
}

/* Compares the hashes with sign_equal, so that the time taken does not
 * tell how much of a guess was right. */
int
audit_token_check(const char *presented, const char *stored_hash)
{
	char mine[AUDIT_TOKEN_HASH_SIZE];
	size_t n;

	if (stored_hash == NULL)
		return 0;
	n = strnlen(stored_hash, AUDIT_TOKEN_HASH_SIZE);
	if (audit_token_hash(presented, mine) != 0)
		return 0;
	return sign_equal(mine, strlen(mine), stored_hash, n);
}

static char
audit_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int
audit_bearer(const char *authorization_header, char *token, size_t len)
{
	const char *h = authorization_header;
	size_t n, i, start;

	if (token == NULL || len == 0)
		return -1;
	token[0] = '\0';
	if (h == NULL)
		return -1;
	n = strnlen(h, AUDIT_AUTH_MAX + 1);
	if (n > AUDIT_AUTH_MAX || n < AUDIT_BEARER_LEN + 2)
		return -1;
	for (i = 0; i < AUDIT_BEARER_LEN; i++) {
		if (audit_lower(h[i]) != AUDIT_BEARER[i])
			return -1;
	}
	if (h[i] != ' ')
		return -1;
	while (i < n && h[i] == ' ')
		i++;
	start = i;
	if (n - start < 1 || n - start > AUDIT_TOKEN_MAX || n - start >= len)
		return -1;
	for (i = start; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c < 0x21 || c > 0x7e)
			return -1;
	}
	memcpy(token, h + start, n - start);
	token[n - start] = '\0';
	return 0;
}
