/* test_portal_auth.c - the portal's users file (every refusal names file,
 * key path and reason), hashed passwords (yescrypt via libcrypt) and API
 * tokens (SHA-256), signed session cookies (forged, tampered, expired,
 * another secret), CSRF tokens, one-time sign-in links, reporters' scope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "portal_auth.h"

static char dir[64];
static char token_admin[64], token_fgw[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[8][128];
    static int next;
    char *p = path[next++ % 8];
    FILE *f;

    snprintf(p, 128, "%s/%s", dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *users_file(void)
{
    char hash[256], sha_admin[65], sha_fgw[65], text[2048];

    assert_int_equal(portal_hash_password("s3cret 密码", hash, sizeof hash), JIJU_OK);
    assert_true(strncmp(hash, "$y$", 3) == 0); /* yescrypt */
    assert_int_equal(portal_new_token(token_admin, sha_admin), JIJU_OK);
    assert_int_equal(portal_new_token(token_fgw, sha_fgw), JIJU_OK);
    snprintf(text, sizeof text,
             "{\"users\": ["
             "{\"name\": \"drc-admin\", \"role\": \"admin\", \"password_hash\": \"%s\","
             " \"token_sha256\": [\"%s\"]},"
             "{\"name\": \"org\", \"role\": \"reporter\", \"clusters\": [\"JL-WL-001\"],"
             " \"password_hash\": \"%s\"},"
             "{\"name\": \"fgw\", \"role\": \"subscriber\", \"subscriber\": \"fgw\","
             " \"token_sha256\": [\"%s\"]}]}",
             hash, sha_admin, hash, sha_fgw);
    return write_file("users.json", text);
}

static portal_auth_t *auth_new(int64_t ttl)
{
    cfg_error err = {0};
    const char *secret = write_file("secret", "0123456789abcdef0123456789abcdef-test");
    portal_auth_t *a = portal_auth_new(users_file(), secret, ttl, 600, &err);

    assert_non_null(a);
    return a;
}

static void refused(const char *json, const char *key, const char *reason_part)
{
    cfg_error err = {0};
    const char *f = write_file("bad.json", json);
    portal_auth_t *a = portal_auth_new(f, "", 60, 60, &err);

    assert_null(a);
    assert_string_equal(err.file, f);
    assert_string_equal(err.key, key);
    if (!strstr(err.reason, reason_part))
        fail_msg("reason \"%s\" lacks \"%s\"", err.reason, reason_part);
}

static void test_users_file_refusals(void **state)
{
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"root\", \"password_hash\": \"$y$a\"}]}",
            "users[0].role", "unknown role");
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"reporter\", \"password_hash\": \"$y$a\"}]}",
            "users[0].clusters", "needs its clusters");
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"admin\", \"clusters\": [\"A\"],"
            " \"password_hash\": \"$y$a\"}]}",
            "users[0].clusters", "only a reporter");
    refused(
        "{\"users\": [{\"name\": \"x\", \"role\": \"subscriber\", \"password_hash\": \"$y$a\"}]}",
        "users[0].subscriber", "needs its id");
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"admin\"}]}", "users[0]",
            "password_hash or token_sha256");
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"admin\", \"password\": \"plain\"}]}",
            "users[0].password", "unknown member");
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"admin\", \"password_hash\": \"plain\"}]}",
            "users[0].password_hash", "crypt(3)");
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"admin\", \"token_sha256\": [\"abc\"]}]}",
            "users[0].token_sha256", "64 hex");
    refused("{\"users\": [{\"name\": \"x\", \"role\": \"admin\", \"password_hash\": \"$y$a\"},"
            " {\"name\": \"x\", \"role\": \"admin\", \"password_hash\": \"$y$a\"}]}",
            "users[1].name", "duplicate");
    refused("{\"people\": []}", "users", "nothing else");
    refused("{\"users\": [", "auth.users_file", "line");
}

static void test_passwords_and_tokens(void **state)
{
    portal_auth_t *a = auth_new(3600);
    portal_principal p;
    char cookie[256];

    assert_int_equal(portal_auth_login(a, "drc-admin", "s3cret 密码", cookie, sizeof cookie),
                     JIJU_OK);
    assert_int_equal(portal_auth_login(a, "drc-admin", "s3cret", cookie, sizeof cookie),
                     JIJU_ERR_NOT_FOUND);
    assert_int_equal(portal_auth_login(a, "nobody", "s3cret 密码", cookie, sizeof cookie),
                     JIJU_ERR_NOT_FOUND);
    assert_int_equal(portal_auth_login(a, "fgw", "", cookie, sizeof cookie), JIJU_ERR_NOT_FOUND);
    assert_int_equal(portal_auth_token(a, token_fgw, &p), JIJU_OK);
    assert_int_equal(p.role, KEY_ROLE_SUBSCRIBER);
    assert_string_equal(p.subscriber, "fgw");
    assert_false(p.by_cookie);
    assert_int_equal(portal_auth_token(a, token_admin, &p), JIJU_OK);
    assert_int_equal(p.role, KEY_ROLE_ADMIN);
    token_admin[10] ^= 1;
    assert_int_equal(portal_auth_token(a, token_admin, &p), JIJU_ERR_NOT_FOUND);
    portal_auth_destroy(&a);
    assert_null(a);
}

static void test_sessions(void **state)
{
    portal_auth_t *a = auth_new(3600), *other;
    portal_principal p;
    char cookie[256], forged[256], csrf[64];
    cfg_error err = {0};

    assert_int_equal(portal_auth_login(a, "org", "s3cret 密码", cookie, sizeof cookie), JIJU_OK);
    assert_int_equal(portal_auth_session(a, cookie, &p), JIJU_OK);
    assert_string_equal(p.name, "org");
    assert_int_equal(p.role, KEY_ROLE_REPORTER);
    assert_true(p.by_cookie);
    assert_true(portal_may_report(&p, "JL-WL-001"));
    assert_false(portal_may_report(&p, "JL-WL-002"));
    /* any byte changed: refused */
    for (size_t i = 0; i < strlen(cookie); i++) {
        snprintf(forged, sizeof forged, "%s", cookie);
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        if (strcmp(forged, cookie) != 0)
            assert_int_equal(portal_auth_session(a, forged, &p), JIJU_ERR_NOT_FOUND);
    }
    /* the same cookie under another secret: refused */
    other = portal_auth_new(users_file(),
                            write_file("secret2", "another secret of at least 32 bytes!!"), 3600,
                            600, &err);
    assert_non_null(other);
    assert_int_equal(portal_auth_session(other, cookie, &p), JIJU_ERR_NOT_FOUND);
    portal_auth_destroy(&other);
    /* CSRF: the session's own token only */
    portal_auth_csrf(a, cookie, csrf);
    assert_true(portal_auth_csrf_ok(a, cookie, csrf));
    assert_false(portal_auth_csrf_ok(a, cookie, ""));
    assert_false(portal_auth_csrf_ok(a, cookie, NULL));
    csrf[0] = csrf[0] == 'A' ? 'B' : 'A';
    assert_false(portal_auth_csrf_ok(a, cookie, csrf));
    portal_auth_destroy(&a);
}

static void test_expired_session(void **state)
{
    portal_auth_t *a = auth_new(-5); /* already expired when made */
    portal_principal p;
    char cookie[256];

    assert_int_equal(portal_auth_login(a, "drc-admin", "s3cret 密码", cookie, sizeof cookie),
                     JIJU_OK);
    assert_int_equal(portal_auth_session(a, cookie, &p), JIJU_ERR_NOT_FOUND);
    portal_auth_destroy(&a);
}

static void test_signin_link_once(void **state)
{
    portal_auth_t *a = auth_new(3600);
    portal_principal p;
    char link[256], cookie[256];

    assert_int_equal(portal_auth_link_new(a, "nobody", link, sizeof link), JIJU_ERR_NOT_FOUND);
    assert_int_equal(portal_auth_link_new(a, "drc-admin", link, sizeof link), JIJU_OK);
    /* a link is not a session cookie, nor the reverse */
    assert_int_equal(portal_auth_session(a, link, &p), JIJU_ERR_NOT_FOUND);
    assert_int_equal(portal_auth_link_redeem(a, link, cookie, sizeof cookie), JIJU_OK);
    assert_int_equal(portal_auth_session(a, cookie, &p), JIJU_OK);
    assert_string_equal(p.name, "drc-admin");
    assert_int_equal(portal_auth_link_redeem(a, link, cookie, sizeof cookie), JIJU_ERR_EXISTS);
    assert_int_equal(portal_auth_link_redeem(a, cookie, cookie, sizeof cookie), JIJU_ERR_NOT_FOUND);
    portal_auth_destroy(&a);
}

static void test_reload_keeps_old_on_refusal(void **state)
{
    portal_auth_t *a = auth_new(3600);
    cfg_error err = {0};
    portal_principal p;
    char path[128];

    snprintf(path, sizeof path, "%s/users.json", dir);
    assert_int_equal(portal_auth_count(a), 3);
    write_file("users.json", "{\"users\": [{\"name\": \"x\"}]}");
    assert_int_equal(portal_auth_reload(a, &err), JIJU_ERR_CONFIG);
    assert_int_equal(portal_auth_count(a), 3);
    assert_int_equal(portal_auth_token(a, token_fgw, &p), JIJU_OK);
    portal_auth_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users_file_refusals),
        cmocka_unit_test(test_passwords_and_tokens),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_expired_session),
        cmocka_unit_test(test_signin_link_once),
        cmocka_unit_test(test_reload_keeps_old_on_refusal),
    };
    int rc;
    char cmd[128];

    snprintf(dir, sizeof dir, "/tmp/test_portal_auth.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? rc : 1;
}
