/*
 * sign.c: request signing and encoding for the alert channels -- base64,
 * RFC 3986 percent-encoding, HMAC wrappers over libcrypto, the DingTalk
 * robot sign, Aliyun RPC signature 1.0, Tencent Cloud TC3-HMAC-SHA256 --
 * and our own signed acknowledge tokens.  Pure: no I/O, no clock reads,
 * no global state; every length is checked and every built string capped.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alerts/alerts.h"

/* Longest secret or key we accept from the configuration. */
#define SIGN_SECRET_MAX 1024

#define SIGN_TC3_ALGO     "TC3-HMAC-SHA256"
#define SIGN_TC3_HOST_MAX 253
#define SIGN_TC3_SVC_MAX  32
#define SIGN_TC3_ID_MAX   128

/* Ack token record: version, be32 expires, be64 incident, milestone,
 * recipient length, recipient; then the HMAC-SHA256 cut to its first
 * SIGN_ACK_MAC_LEN bytes, so that a link fits in an SMS. */
#define SIGN_ACK_VERSION 2
#define SIGN_ACK_HEAD    15 /* 1 + 4 + 8 + 1 + 1 (recipient length) */
#define SIGN_ACK_MAC_LEN 16
#define SIGN_ACK_REC_MAX (SIGN_ACK_HEAD + SIGN_ACK_RECIPIENT_MAX)
#define SIGN_ACK_RAW_MAX (SIGN_ACK_REC_MAX + SIGN_ACK_MAC_LEN)
#define SIGN_ACK_CONTEXT "yuqing-monitor ack\n"
_Static_assert((SIGN_ACK_RAW_MAX * 4 + 2) / 3 < SIGN_ACK_TOKEN_SIZE,
               "SIGN_ACK_TOKEN_SIZE too small for the longest token");

static const char sign_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char sign_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char sign_hexdigits[] = "0123456789abcdef";
static const char sign_hexupper[] = "0123456789ABCDEF";
static const unsigned char sign_empty[1];

static int
sign_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

/* Writes the RFC 3986 form of byte c into enc; returns its length. */
static size_t
sign_pct_byte(unsigned char c, char enc[3])
{
	if (sign_unreserved(c)) {
		enc[0] = (char)c;
		return 1;
	}
	enc[0] = '%';
	enc[1] = sign_hexupper[c >> 4];
	enc[2] = sign_hexupper[c & 0xf];
	return 3;
}

/* Strings built here are text_bufs capped at SIGN_TEXT_MAX, where
 * reaching the cap (truncated) is a failure. */
static void
sign_buf_init(struct text_buf *b)
{
	text_buf_init(b, SIGN_TEXT_MAX);
}

static void
sign_buf_str(struct text_buf *b, const char *s)
{
	text_buf_add(b, s, strlen(s));
}

static void
sign_buf_pct(struct text_buf *b, const char *s, size_t n)
{
	char enc[3];
	size_t i;

	for (i = 0; i < n && !b->truncated; i++)
		text_buf_add(b, enc, sign_pct_byte((unsigned char)s[i], enc));
}

/* Hands the string to the caller (who frees it), or NULL if it failed. */
static char *
sign_buf_take(struct text_buf *b)
{
	if (b->truncated) {
		text_buf_free(b);
		return NULL;
	}
	return text_buf_take(b);
}

static int
sign_fail(char *out, size_t outsz)
{
	if (out != NULL && outsz > 0)
		out[0] = '\0';
	return -1;
}

/* Length of s if it is 1..max bytes, else 0 (also for NULL). */
static size_t
sign_len(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strnlen(s, max + 1);
	return n > max ? 0 : n;
}

/* 0 if s is a secret of min (at least 1) to SIGN_SECRET_MAX bytes. */
static int
sign_secret_ok(const char *s, size_t min)
{
	size_t n = sign_len(s, SIGN_SECRET_MAX);

	if (n == 0 || n < min)
		return -1;
	return 0;
}

/* Base64 of in with the given alphabet, with or without padding. */
static int
sign_b64_encode(const unsigned char *in, size_t inlen, const char *alpha,
                int pad, char *out, size_t outsz)
{
	size_t need, i, o = 0;
	uint32_t v;

	if ((in == NULL && inlen > 0) || out == NULL || inlen > SIGN_TEXT_MAX)
		return sign_fail(out, outsz);
	need = pad ? (inlen + 2) / 3 * 4
	           : inlen / 3 * 4 + (inlen % 3 ? inlen % 3 + 1 : 0);
	if (need >= outsz)
		return sign_fail(out, outsz);
	for (i = 0; i < inlen; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < inlen)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < inlen)
			v |= in[i + 2];
		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < inlen)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (i + 2 < inlen)
			out[o++] = alpha[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

static int
sign_b64url_value(unsigned char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(sign_b64_url, c);
	return p != NULL ? (int)(p - sign_b64_url) : -1;
}

/* Strict base64url without padding: refuses foreign characters, an
 * impossible length and non-zero leftover bits (one text per value). */
static int
sign_b64url_decode(const char *in, size_t inlen, unsigned char *out,
                   size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0, v;
	size_t i, n = 0;

	if (inlen % 4 == 1)
		return -1;
	for (i = 0; i < inlen; i++) {
		v = sign_b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = ((acc << 6) | (uint32_t)v) & 0xffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == outsz)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* Lower-case hex of n bytes into out, which holds 2n + 1. */
static void
sign_hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = sign_hexdigits[in[i] >> 4];
		out[2 * i + 1] = sign_hexdigits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
sign_base64(const void *in, size_t inlen, char *out, size_t outsz)
{
	return sign_b64_encode(in, inlen, sign_b64_std, 1, out, outsz);
}

int
sign_pct(const char *in, size_t inlen, char *out, size_t outsz)
{
	size_t i, o = 0, k;
	char enc[3];

	if ((in == NULL && inlen > 0) || out == NULL || inlen > SIGN_TEXT_MAX)
		return sign_fail(out, outsz);
	for (i = 0; i < inlen; i++) {
		k = sign_pct_byte((unsigned char)in[i], enc);
		if (k >= outsz - o)
			return sign_fail(out, outsz);
		memcpy(out + o, enc, k);
		o += k;
	}
	if (o >= outsz)
		return sign_fail(out, outsz);
	out[o] = '\0';
	return 0;
}

/* One-shot HMAC; out holds the digest size of md (want bytes). */
static int
sign_hmac(const EVP_MD *md, const void *key, size_t keylen, const void *msg,
          size_t msglen, unsigned char *out, unsigned int want)
{
	unsigned int outlen = 0;

	if ((key == NULL && keylen > 0) || (msg == NULL && msglen > 0) ||
	    out == NULL || keylen > INT_MAX)
		return -1;
	if (key == NULL)
		key = sign_empty;
	if (msg == NULL)
		msg = sign_empty;
	if (HMAC(md, key, (int)keylen, msg, msglen, out, &outlen) == NULL ||
	    outlen != want)
		return -1;
	return 0;
}

int
sign_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen,
               unsigned char out[SIGN_SHA1_LEN])
{
	return sign_hmac(EVP_sha1(), key, keylen, msg, msglen, out,
	                 SIGN_SHA1_LEN);
}

int
sign_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                 unsigned char out[SIGN_SHA256_LEN])
{
	return sign_hmac(EVP_sha256(), key, keylen, msg, msglen, out,
	                 SIGN_SHA256_LEN);
}

int
sign_sha256_hex(const void *msg, size_t msglen, char out[SIGN_SHA256_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if ((msg == NULL && msglen > 0) || out == NULL)
		return -1;
	if (msg == NULL)
		msg = sign_empty;
	if (!EVP_Digest(msg, msglen, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != SIGN_SHA256_LEN)
		return sign_fail(out, SIGN_SHA256_HEX_SIZE);
	sign_hex(md, SIGN_SHA256_LEN, out);
	return 0;
}

int
sign_hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
                     size_t msglen, char out[SIGN_SHA256_HEX_SIZE])
{
	unsigned char mac[SIGN_SHA256_LEN];

	if (out == NULL)
		return -1;
	if (sign_hmac_sha256(key, keylen, msg, msglen, mac) == -1)
		return sign_fail(out, SIGN_SHA256_HEX_SIZE);
	sign_hex(mac, sizeof(mac), out);
	return 0;
}

int
sign_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

/* DingTalk -------------------------------------------------------------- */

int
sign_dingtalk(const char *secret, int64_t timestamp_ms, char *out, size_t outsz)
{
	char msg[24 + SIGN_SECRET_MAX + 1], b64[SIGN_B64_SIZE(SIGN_SHA256_LEN)];
	unsigned char mac[SIGN_SHA256_LEN];
	int n, rc;

	if (sign_secret_ok(secret, 1) == -1 || timestamp_ms < 0)
		return sign_fail(out, outsz);
	n = snprintf(msg, sizeof(msg), "%lld\n%s", (long long)timestamp_ms,
	             secret);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return sign_fail(out, outsz);
	rc = sign_hmac_sha256(secret, strlen(secret), msg, (size_t)n, mac);
	OPENSSL_cleanse(msg, sizeof(msg));
	if (rc == -1 || sign_base64(mac, sizeof(mac), b64, sizeof(b64)) == -1)
		return sign_fail(out, outsz);
	return sign_pct(b64, strlen(b64), out, outsz);
}

/* 0 if url is a plausible webhook: no space, control byte or fragment. */
static int
sign_url_ok(const char *url)
{
	size_t n = sign_len(url, SIGN_TEXT_MAX), i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f ||
		    url[i] == '#')
			return -1;
	return 0;
}

int
sign_dingtalk_url(const char *webhook, const char *secret, int64_t timestamp_ms,
                  char *out, size_t outsz)
{
	char sign[SIGN_DINGTALK_SIZE];
	const char *sep = "?";
	size_t len;
	int n;

	if (sign_url_ok(webhook) == -1 || out == NULL ||
	    sign_dingtalk(secret, timestamp_ms, sign, sizeof(sign)) == -1)
		return sign_fail(out, outsz);
	len = strlen(webhook);
	if (webhook[len - 1] == '?' || webhook[len - 1] == '&')
		sep = "";
	else if (strchr(webhook, '?') != NULL)
		sep = "&";
	n = snprintf(out, outsz, "%s%stimestamp=%lld&sign=%s", webhook, sep,
	             (long long)timestamp_ms, sign);
	if (n < 0 || (size_t)n >= outsz)
		return sign_fail(out, outsz);
	return 0;
}

/* Aliyun ---------------------------------------------------------------- */

static int
sign_param_cmp(const void *a, const void *b)
{
	const struct sign_param *const *pa = a, *const *pb = b;

	return strcmp((*pa)->key, (*pb)->key);
}

/* Checks params and fills sorted[] (borrowed pointers into params) in
 * byte order of key; refuses duplicates and a "Signature" key. */
static int
sign_aliyun_sort(const struct sign_param *params, size_t n,
                 const struct sign_param **sorted)
{
	size_t i;

	if (params == NULL || n == 0 || n > SIGN_PARAMS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (params[i].key == NULL || params[i].key[0] == '\0' ||
		    params[i].value == NULL ||
		    strcmp(params[i].key, "Signature") == 0)
			return -1;
		sorted[i] = &params[i];
	}
	qsort(sorted, n, sizeof(*sorted), sign_param_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0)
			return -1;
	return 0;
}

char *
sign_aliyun_query(const struct sign_param *params, size_t n)
{
	const struct sign_param *sorted[SIGN_PARAMS_MAX];
	struct text_buf b;
	size_t i;

	if (sign_aliyun_sort(params, n, sorted) == -1)
		return NULL;
	sign_buf_init(&b);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sign_buf_str(&b, "&");
		sign_buf_pct(&b, sorted[i]->key, strlen(sorted[i]->key));
		sign_buf_str(&b, "=");
		sign_buf_pct(&b, sorted[i]->value, strlen(sorted[i]->value));
	}
	return sign_buf_take(&b);
}

int
sign_aliyun_signature(const char *secret, const char *method,
                      const struct sign_param *params, size_t n, char *out,
                      size_t outsz)
{
	struct text_buf sts, key;
	unsigned char mac[SIGN_SHA1_LEN];
	char *query;
	int rc = -1;

	if (sign_secret_ok(secret, 1) == -1 || method == NULL ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0))
		return sign_fail(out, outsz);
	query = sign_aliyun_query(params, n);
	if (query == NULL)
		return sign_fail(out, outsz);
	sign_buf_init(&sts);
	sign_buf_init(&key);
	sign_buf_str(&sts, method);
	sign_buf_str(&sts, "&%2F&");
	sign_buf_pct(&sts, query, strlen(query));
	sign_buf_str(&key, secret);
	sign_buf_str(&key, "&");
	if (!sts.truncated && !key.truncated &&
	    sign_hmac_sha1(key.s, key.len, sts.s, sts.len, mac) == 0)
		rc = sign_base64(mac, sizeof(mac), out, outsz);
	free(query);
	text_buf_free(&sts);
	if (key.s != NULL)
		OPENSSL_cleanse(key.s, key.cap);
	text_buf_free(&key);
	return rc == 0 ? 0 : sign_fail(out, outsz);
}

char *
sign_aliyun_signed_query(const char *secret, const char *method,
                         const struct sign_param *params, size_t n)
{
	char sig[SIGN_B64_SIZE(SIGN_SHA1_LEN)];
	char enc[SIGN_PCT_SIZE(sizeof(sig))];
	struct text_buf b;
	char *query;

	if (sign_aliyun_signature(secret, method, params, n, sig,
	                          sizeof(sig)) == -1 ||
	    sign_pct(sig, strlen(sig), enc, sizeof(enc)) == -1)
		return NULL;
	query = sign_aliyun_query(params, n);
	if (query == NULL)
		return NULL;
	sign_buf_init(&b);
	sign_buf_str(&b, "Signature=");
	sign_buf_str(&b, enc);
	sign_buf_str(&b, "&");
	sign_buf_str(&b, query);
	free(query);
	return sign_buf_take(&b);
}

/* Tencent Cloud TC3 ------------------------------------------------------ */

/* 0 if s is 1..max bytes, each a lower-case letter, digit or in extra. */
static int
sign_token_ok(const char *s, size_t max, const char *extra)
{
	size_t n = sign_len(s, max), i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i])))
			return -1;
	return 0;
}

/* 0 if s is 1..max printable ASCII bytes other than space, ',' and '/'. */
static int
sign_secret_id_ok(const char *s, size_t max)
{
	size_t n = sign_len(s, max), i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ',' || s[i] == '/')
			return -1;
	return 0;
}

/* Writes the width low decimal digits of v >= 0, zero-padded. */
static void
sign_digits(char *p, int64_t v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Days to civil date in the proleptic Gregorian calendar, by 400-year
 * eras (H. Hinnant's civil_from_days; feeds/date.c has the inverse).
 */
void
sign_civil(int64_t days, int64_t *y, int *mon, int *mday)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*mon <= 2);
}

/* The UTC date of epoch seconds ts as YYYY-MM-DD. */
static int
sign_utc_date(int64_t ts, char out[11])
{
	int64_t y;
	int m, d;

	if (ts < 0 || ts > INT64_C(253402300799))
		return -1;
	sign_civil(ts / 86400, &y, &m, &d);
	sign_digits(out, y, 4);
	out[4] = '-';
	sign_digits(out + 5, m, 2);
	out[7] = '-';
	sign_digits(out + 8, d, 2);
	out[10] = '\0';
	return 0;
}

static int
sign_tc3_check(const struct sign_tc3 *r)
{
	if (r == NULL ||
	    sign_secret_id_ok(r->secret_id, SIGN_TC3_ID_MAX) == -1 ||
	    sign_secret_ok(r->secret_key, 1) == -1 ||
	    sign_token_ok(r->host, SIGN_TC3_HOST_MAX, ".-") == -1 ||
	    sign_token_ok(r->service, SIGN_TC3_SVC_MAX, "-") == -1 ||
	    (r->payload == NULL && r->payload_len > 0) ||
	    r->payload_len > SIGN_TEXT_MAX)
		return -1;
	return 0;
}

/* Hex SHA-256 of the canonical request (POST / with no query). */
static int
sign_tc3_request_hash(const struct sign_tc3 *r, char out[SIGN_SHA256_HEX_SIZE])
{
	char payload_hash[SIGN_SHA256_HEX_SIZE], cr[512];
	int n;

	if (sign_sha256_hex(r->payload, r->payload_len, payload_hash) == -1)
		return -1;
	n = snprintf(cr, sizeof(cr),
	             "POST\n/\n\ncontent-type:%s\nhost:%s\n\n"
	             "content-type;host\n%s",
	             SIGN_TC3_CONTENT_TYPE, r->host, payload_hash);
	if (n < 0 || (size_t)n >= sizeof(cr))
		return -1;
	return sign_sha256_hex(cr, (size_t)n, out);
}

/* SecretSigning = HMAC(HMAC(HMAC("TC3" + key, date), service),
 * "tc3_request"). */
static int
sign_tc3_key(const struct sign_tc3 *r, const char *date,
             unsigned char out[SIGN_SHA256_LEN])
{
	char k0[3 + SIGN_SECRET_MAX + 1];
	unsigned char k1[SIGN_SHA256_LEN], k2[SIGN_SHA256_LEN];
	int n, rc;

	n = snprintf(k0, sizeof(k0), "TC3%s", r->secret_key);
	if (n < 0 || (size_t)n >= sizeof(k0))
		return -1;
	rc = sign_hmac_sha256(k0, (size_t)n, date, strlen(date), k1);
	if (rc == 0)
		rc = sign_hmac_sha256(k1, sizeof(k1), r->service,
		                      strlen(r->service), k2);
	if (rc == 0)
		rc = sign_hmac_sha256(k2, sizeof(k2), "tc3_request", 11, out);
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return rc;
}

int
sign_tc3_authorization(const struct sign_tc3 *r, char *out, size_t outsz)
{
	char date[11], crhash[SIGN_SHA256_HEX_SIZE], sts[256];
	char sig[SIGN_SHA256_HEX_SIZE];
	unsigned char key[SIGN_SHA256_LEN];
	int n, rc;

	if (out == NULL || sign_tc3_check(r) == -1 ||
	    sign_utc_date(r->timestamp, date) == -1 ||
	    sign_tc3_request_hash(r, crhash) == -1)
		return sign_fail(out, outsz);
	n = snprintf(sts, sizeof(sts), "%s\n%lld\n%s/%s/tc3_request\n%s",
	             SIGN_TC3_ALGO, (long long)r->timestamp, date, r->service,
	             crhash);
	if (n < 0 || (size_t)n >= sizeof(sts) ||
	    sign_tc3_key(r, date, key) == -1)
		return sign_fail(out, outsz);
	rc = sign_hmac_sha256_hex(key, sizeof(key), sts, (size_t)n, sig);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == -1)
		return sign_fail(out, outsz);
	n = snprintf(out, outsz,
	             "%s Credential=%s/%s/%s/tc3_request, "
	             "SignedHeaders=content-type;host, Signature=%s",
	             SIGN_TC3_ALGO, r->secret_id, date, r->service, sig);
	if (n < 0 || (size_t)n >= outsz)
		return sign_fail(out, outsz);
	return 0;
}

/* Acknowledge tokens ----------------------------------------------------- */

/* Big-endian n-byte (at most 8) integer at p. */
static void
sign_put_be(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
sign_get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* The MAC of a token record, bound to our context string: the first
 * SIGN_ACK_MAC_LEN bytes of its HMAC-SHA256. */
static int
sign_ack_mac(const char *secret, const unsigned char *rec, size_t len,
             unsigned char mac[SIGN_ACK_MAC_LEN])
{
	unsigned char msg[sizeof(SIGN_ACK_CONTEXT) + SIGN_ACK_REC_MAX];
	unsigned char full[SIGN_SHA256_LEN];
	size_t clen = sizeof(SIGN_ACK_CONTEXT) - 1;

	if (len > SIGN_ACK_REC_MAX)
		return -1;
	memcpy(msg, SIGN_ACK_CONTEXT, clen);
	memcpy(msg + clen, rec, len);
	if (sign_hmac_sha256(secret, strlen(secret), msg, clen + len, full) ==
	    -1)
		return -1;
	memcpy(mac, full, SIGN_ACK_MAC_LEN);
	OPENSSL_cleanse(full, sizeof(full));
	return 0;
}

int
sign_ack_token(const char *secret, uint64_t incident, int milestone,
               const char *recipient, int64_t expires, char *out, size_t outsz)
{
	unsigned char raw[SIGN_ACK_RAW_MAX];
	size_t rlen, len;

	if (sign_secret_ok(secret, SIGN_ACK_SECRET_MIN) == -1 ||
	    recipient == NULL || milestone < 0 || milestone > 255 ||
	    expires < 0 || expires > (int64_t)UINT32_MAX)
		return sign_fail(out, outsz);
	rlen = sign_len(recipient, SIGN_ACK_RECIPIENT_MAX);
	if (rlen == 0)
		return sign_fail(out, outsz);
	raw[0] = SIGN_ACK_VERSION;
	sign_put_be(raw + 1, (uint64_t)expires, 4);
	sign_put_be(raw + 5, incident, 8);
	raw[13] = (unsigned char)milestone;
	raw[14] = (unsigned char)rlen;
	memcpy(raw + SIGN_ACK_HEAD, recipient, rlen);
	len = SIGN_ACK_HEAD + rlen;
	if (sign_ack_mac(secret, raw, len, raw + len) == -1)
		return sign_fail(out, outsz);
	return sign_b64_encode(raw, len + SIGN_ACK_MAC_LEN, sign_b64_url, 0,
	                       out, outsz);
}

/* Decodes token into raw and checks its shape; returns the record's
 * length (the MAC follows it), or 0 if malformed. */
static size_t
sign_ack_parse(const char *token, unsigned char raw[SIGN_ACK_RAW_MAX])
{
	size_t tlen, n, rlen;

	tlen = strnlen(token, SIGN_ACK_TOKEN_SIZE);
	if (tlen >= SIGN_ACK_TOKEN_SIZE ||
	    sign_b64url_decode(token, tlen, raw, SIGN_ACK_RAW_MAX, &n) == -1 ||
	    n < SIGN_ACK_HEAD + 1 + SIGN_ACK_MAC_LEN)
		return 0;
	rlen = raw[14];
	if (raw[0] != SIGN_ACK_VERSION || rlen == 0 ||
	    rlen > SIGN_ACK_RECIPIENT_MAX ||
	    n != SIGN_ACK_HEAD + rlen + SIGN_ACK_MAC_LEN ||
	    memchr(raw + SIGN_ACK_HEAD, '\0', rlen) != NULL)
		return 0;
	return SIGN_ACK_HEAD + rlen;
}

int
sign_ack_verify(const char *secret, const char *token, int64_t now,
                struct sign_ack *out)
{
	unsigned char raw[SIGN_ACK_RAW_MAX], mac[SIGN_ACK_MAC_LEN];
	int64_t expires;
	size_t len;

	if (sign_secret_ok(secret, SIGN_ACK_SECRET_MIN) == -1 || token == NULL)
		return SIGN_ACK_BAD;
	len = sign_ack_parse(token, raw);
	if (len == 0 || sign_ack_mac(secret, raw, len, mac) == -1 ||
	    !sign_equal(mac, sizeof(mac), raw + len, SIGN_ACK_MAC_LEN))
		return SIGN_ACK_BAD;
	expires = (int64_t)sign_get_be(raw + 1, 4);
	if (out != NULL) {
		out->expires = expires;
		out->incident = sign_get_be(raw + 5, 8);
		out->milestone = raw[13];
		memcpy(out->recipient, raw + SIGN_ACK_HEAD, raw[14]);
		out->recipient[raw[14]] = '\0';
	}
	return now >= expires ? SIGN_ACK_EXPIRED : SIGN_ACK_OK;
}
