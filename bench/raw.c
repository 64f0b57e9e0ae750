/* The floor of the benchmark: what one request and its answer cost a client that does nothing
 * but the socket calls. One kept-alive TCP connection, one write() per request (head and body
 * together, built with snprintf into a stack buffer), read() until the announced
 * Content-Length is in; no HTTP library, no JSON, no allocation per request. Driven by
 * bench/run.py like the other clients:
 *     raw <adds|query> <count> <target>     (WF_TRACE_SERVER_URL=http://127.0.0.1:PORT)
 * adds: sequential creates of a note on the call ref <target>; query: <count> queries of every
 * row on <target> (answers up to 64 MiB). Prints "time <wall s> <cpu s>" and "rows <n>". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static char *buf;
static size_t cap = 64u << 20;

/* Sends one request; reads the whole answer into buf; returns the body's offset and length. */
static int roundtrip(int fd, const char *req, size_t len, char **body, size_t *body_len) {
    if (write(fd, req, len) != (ssize_t)len) return -1;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, cap - have);
        if (n <= 0) return -1;
        have += (size_t)n;
        char *end = memmem(buf, have, "\r\n\r\n", 4);
        if (!end) continue;
        *end = 0;
        char *cl = strcasestr(buf, "content-length:");
        *end = '\r';
        if (!cl) return -1;
        size_t want = (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10);
        while (have < want) {
            n = read(fd, buf + have, cap - have);
            if (n <= 0) return -1;
            have += (size_t)n;
        }
        if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
            fprintf(stderr, "%.*s\n", (int)have, buf);
            return -1;
        }
        *body = end + 4;
        *body_len = want - (size_t)(end + 4 - buf);
        return 0;
    }
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *op = argv[1], *target = argv[3];
    long count = atol(argv[2]);
    const char *url = getenv("WF_TRACE_SERVER_URL");
    const char *hp = url ? strstr(url, "://") : NULL;
    if (!hp) return 2;
    hp += 3;
    char host[64];
    snprintf(host, sizeof host, "%s", hp);
    char *colon = strchr(host, ':');
    if (!colon) return 2;
    *colon = 0;
    int port = atoi(colon + 1);
    buf = malloc(cap);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) return 1;
    /* entity/project from weave:///entity/project/... */
    char project[256];
    snprintf(project, sizeof project, "%s", target + strlen("weave:///"));
    char *slash = strchr(project, '/');
    slash = slash ? strchr(slash + 1, '/') : NULL;
    if (slash) *slash = 0;
    static char req[8192], body[4096];
    long rows = 0;
    double w0 = now(), c0 = cpu();
    for (long i = 0; i < count; i++) {
        int blen;
        const char *route;
        if (strcmp(op, "adds") == 0) {
            route = "/feedback/create";
            blen = snprintf(body, sizeof body,
                            "{\"id\":\"0192f3b0-11aa-7c3d-8e5f-%012lx\",\"project_id\":\"%s\","
                            "\"weave_ref\":\"%s\",\"creator\":null,\"feedback_type\":\"wandb.note.1\","
                            "\"payload\":{\"note\":\"note %ld\"}}",
                            (unsigned long)(rand() ^ ((long)getpid() << 20)) + (unsigned long)i, project,
                            target, i);
        } else {
            route = "/feedback/query";
            blen = snprintf(body, sizeof body,
                            "{\"project_id\":\"%s\",\"query\":{\"$expr\":{\"$eq\":[{\"$getField\":"
                            "\"weave_ref\"},{\"$literal\":\"%s\"}]}},\"sort_by\":[{\"field\":"
                            "\"created_at\",\"direction\":\"asc\"}]}",
                            project, target);
        }
        int len = snprintf(req, sizeof req,
                           "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                           "Accept: application/json\r\nContent-Length: %d\r\n\r\n%s",
                           route, host, port, blen, body);
        char *answer;
        size_t alen;
        if (roundtrip(fd, req, (size_t)len, &answer, &alen) != 0) {
            fprintf(stderr, "request %ld failed\n", i);
            return 1;
        }
        if (strcmp(op, "adds") == 0) {
            rows++;
        } else {
            /* Rows of the answer: one per "feedback_type" key (no JSON parsing on purpose). */
            for (char *p = answer; (p = memmem(p, alen - (size_t)(p - answer), "\"feedback_type\"", 15)); p++)
                rows++;
        }
    }
    printf("time %.9f %.9f\nrows %ld\n", now() - w0, cpu() - c0, rows);
    return 0;
}
