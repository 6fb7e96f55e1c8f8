/* A WASI command used as a WASM tool by the approval tests: appends the argument "line" to
 * /out/tally.log (its granted directory) and prints how many lines the file has now, so a
 * test counts the runs by the file and the model reads the count. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char input[4096];

int main(void) {
    size_t len = fread(input, 1, sizeof input - 1, stdin);
    input[len] = '\0';
    char line[256] = "";
    const char *at = strstr(input, "\"line\"");
    if (at && (at = strchr(at + 6, '"'))) {
        size_t n = 0;
        while (*++at && *at != '"' && n + 1 < sizeof line) line[n++] = *at;
        line[n] = '\0';
    }
    FILE *log = fopen("/out/tally.log", "a+");
    if (!log) { fprintf(stderr, "cannot open /out/tally.log: %s\n", strerror(errno)); return 2; }
    fprintf(log, "%s\n", line);
    rewind(log);
    int lines = 0, c;
    while ((c = fgetc(log)) != EOF) lines += c == '\n';
    fclose(log);
    printf("tally: %d line%s", lines, lines == 1 ? "" : "s");
    return 0;
}
