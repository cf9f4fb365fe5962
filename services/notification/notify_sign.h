/* notify_sign.h - webhook signatures as Svix / Standard Webhooks define
 * them: "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")), where
 * key is the secret's bytes, or for a secret "whsec_<base64>" the decoded
 * base64 (the form Svix issues), so their verifier libraries accept ours. */
#ifndef JIJU_NOTIFY_SIGN_H
#define JIJU_NOTIFY_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* Write the webhook-signature header value into out (cap >= 64). Returns 0,
 * or -1 (bad whsec_ secret, buffer too small, OpenSSL failure). */
int notify_sign(const char *secret, const char *id, int64_t timestamp_s, const char *body,
                size_t body_len, char *out, size_t cap);

#endif
