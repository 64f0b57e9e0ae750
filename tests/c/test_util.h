/*
 * Helpers shared by the C test programs: assertions that count, the test server's control
 * endpoints (a tiny HTTP/1.1 client over a socket), unique names.
 *
 * Environment: WEAVE_TEST_BASE_URL (http://127.0.0.1:<port>), WEAVE_TEST_API_KEY (optional).
 */
#ifndef WEAVE_TEST_UTIL_H
#define WEAVE_TEST_UTIL_H

#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "weave_feedback.h"

#if defined(__SANITIZE_ADDRESS__)
#define WT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WT_ASAN 1
#endif
#endif
#ifndef WT_ASAN
#define WT_ASAN 0
#endif

static int wt_passed = 0;
static int wt_failed = 0;

/* Counts one check; on failure prints file:line and the expression. */
#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (cond) {                                                                       \
            wt_passed++;                                                                  \
        } else {                                                                          \
            wt_failed++;                                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)

/* A check whose failure makes the rest of the program meaningless. */
#define REQUIRE(cond)                                                                     \
    do {                                                                                  \
        if (cond) {                                                                       \
            wt_passed++;                                                                  \
        } else {                                                                          \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, "%d passed, %d failed\n", wt_passed, wt_failed + 1);          \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

static inline void wt_check_status(const char *file, int line, const char *what,
                                   weave_status expected, weave_status got,
                                   const weave_error *err) {
    if (expected == got) {
        wt_passed++;
        return;
    }
    wt_failed++;
    fprintf(stderr, "%s:%d: %s: expected %s (%d), got %s (%d): %s\n", file, line, what,
            weave_status_str(expected), (int)expected, weave_status_str(got), (int)got,
            err ? weave_error_message(err) : "(no error object)");
}

/* Runs `call` (whose last argument must be `&err`), checks its status and frees the error. */
#define EXPECT(expected, call)                                                            \
    do {                                                                                  \
        weave_status wt_st_ = (call);                                                     \
        wt_check_status(__FILE__, __LINE__, #call, (expected), wt_st_, err);              \
        if ((wt_st_ == WEAVE_STATUS_OK) != (err == NULL)) {                               \
            wt_failed++;                                                                  \
            fprintf(stderr, "%s:%d: error pointer does not match the status\n", __FILE__, \
                    __LINE__);                                                            \
        }                                                                                 \
        weave_error_free(err);                                                            \
        err = NULL;                                                                       \
    } while (0)

static inline int wt_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, wt_passed, wt_failed);
    fflush(stdout);
    return wt_failed == 0 ? 0 : 1;
}

static inline const char *wt_env(const char *name) {
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

/* 32 fresh random hex digits (for project names and call ids). */
static inline void wt_token(char out[33]) {
    static unsigned long long state = 0;
    if (state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        state = ((unsigned long long)ts.tv_sec * 1000000007ULL) ^ (unsigned long long)ts.tv_nsec ^
                ((unsigned long long)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    }
    for (int i = 0; i < 32; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out[i] = "0123456789abcdef"[state & 15];
    }
    out[32] = '\0';
}

/* A call ref in `entity/project` whose id is a fresh UUIDv7-shaped string. */
static inline void wt_call_ref(char *out, size_t n, const char *entity, const char *project) {
    char t[33];
    wt_token(t);
    snprintf(out, n, "weave:///%s/%s/call/%.8s-%.4s-7%.3s-8%.3s-%.12s", entity, project, t, t + 8,
             t + 12, t + 15, t + 18);
}

/* ------------------------------------------------------------------ the test server */

/* Port of http://127.0.0.1:<port>, 0 if the URL is not of that shape. */
static inline int wt_port(const char *base_url) {
    const char *p = base_url ? strrchr(base_url, ':') : NULL;
    return p ? atoi(p + 1) : 0;
}

/* POST/GET `path` with `body` to the test server; returns the HTTP status (0 on failure) and
 * copies up to n-1 bytes of the response body into out (if out is not NULL). */
static inline int wt_http(const char *base_url, const char *method, const char *path,
                          const char *body, char *out, size_t n) {
    int port = wt_port(base_url);
    if (port <= 0) return 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return 0;
    }
    size_t blen = body ? strlen(body) : 0;
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      method, path, blen);
    if (write(fd, head, (size_t)hl) != hl || (blen && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return 0;
    }
    static char buf[1 << 16];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0) {
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return 0;
    if (out && n) {
        const char *b = strstr(buf, "\r\n\r\n");
        b = b ? b + 4 : "";
        snprintf(out, n, "%s", b);
    }
    return status;
}

static inline int wt_faults(const char *base_url, const char *json) {
    return wt_http(base_url, "POST", "/__test/faults", json, NULL, 0);
}

static inline int wt_reset(const char *base_url) {
    return wt_http(base_url, "POST", "/__test/reset", "{}", NULL, 0);
}

/* Number of requests the server saw on `route` since the last reset. */
static inline int wt_requests(const char *base_url, const char *route) {
    char stats[1 << 15];
    if (wt_http(base_url, "GET", "/__test/stats", NULL, stats, sizeof stats) != 200) return -1;
    char key[256];
    snprintf(key, sizeof key, "\"%s\"", route);
    const char *p = strstr(stats, key);
    if (!p) return 0;
    p += strlen(key);
    while (*p == ' ' || *p == ':') p++;
    return atoi(p);
}

/* A TCP port on 127.0.0.1 with nothing listening on it. */
static inline int wt_closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    if (fd >= 0) close(fd);
    return port;
}

#endif /* WEAVE_TEST_UTIL_H */
