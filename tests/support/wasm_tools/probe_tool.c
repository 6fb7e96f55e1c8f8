/* A WASI command used as a WASM tool by the tests: reads its arguments (JSON) on stdin and
 * does one thing, per "op": read, write, env, ls, spam, loop, fail. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char input[65536];

/* The string value of "key" in the input (no escapes needed by the tests), or "". */
static const char *arg(const char *key, char *out, size_t cap) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *at = strstr(input, quoted);
    out[0] = '\0';
    if (!at) return out;
    at = strchr(at + strlen(quoted), ':');
    if (!at) return out;
    while (*++at == ' ') {}
    if (*at == '"') at++;
    size_t n = 0;
    while (*at && *at != '"' && *at != ',' && *at != '}' && n + 1 < cap) out[n++] = *at++;
    out[n] = '\0';
    return out;
}

int main(void) {
    size_t len = fread(input, 1, sizeof input - 1, stdin);
    input[len] = '\0';
    char op[32], path[512], text[1024], name[128], count[32];
    arg("op", op, sizeof op);
    if (strcmp(op, "read") == 0) {
        FILE *f = fopen(arg("path", path, sizeof path), "r");
        if (!f) { fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno)); return 2; }
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
        fclose(f);
    } else if (strcmp(op, "write") == 0) {
        FILE *f = fopen(arg("path", path, sizeof path), "w");
        if (!f) { fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno)); return 3; }
        fputs(arg("text", text, sizeof text), f);
        fclose(f);
        printf("wrote %s", path);
    } else if (strcmp(op, "env") == 0) {
        const char *value = getenv(arg("name", name, sizeof name));
        printf("%s", value ? value : "(unset)");
    } else if (strcmp(op, "ls") == 0) {
        DIR *d = opendir(arg("path", path, sizeof path));
        if (!d) { fprintf(stderr, "cannot list %s: %s\n", path, strerror(errno)); return 4; }
        struct dirent *e;
        while ((e = readdir(d))) if (e->d_name[0] != '.') printf("%s\n", e->d_name);
        closedir(d);
    } else if (strcmp(op, "spam") == 0) {
        long n = atol(arg("count", count, sizeof count));
        for (long i = 0; i < n; i++) putchar('x');
    } else if (strcmp(op, "loop") == 0) {
        volatile unsigned long spin = 0;
        for (;;) spin++;
    } else {
        fprintf(stderr, "unknown op '%s'\n", op);
        return 1;
    }
    return 0;
}
