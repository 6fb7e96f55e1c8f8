/* A rally partner for the ping-pong benchmark: a message whose content is a number N > 0 is
 * answered at once with N - 1 to its sender; at 0 it tells "probe" the rally is over. */
#include <stdio.h>

#include "../../../examples/wasm-pingpong/c/axo.h"

AXO_EXPORT(handle_message) int32_t handle_message(char *json, int32_t len) {
    char sender[128], reply[256];
    const char *at = strstr(json, "\"content\"");
    long n = -1;
    if (at) {
        at += 9;
        while (*at == ' ' || *at == ':') at++;
        n = strtol(at, NULL, 10);
    }
    int32_t status = 0;
    if (n > 0 && axo_field(json, len, "sender", sender, sizeof sender)) {
        snprintf(reply, sizeof reply,
                 "{\"performative\":\"request\",\"receivers\":[\"%s\"],\"content\":%ld}", sender,
                 n - 1);
        status = axo_send_text(reply);
    } else if (n == 0) {
        status = axo_send_text("{\"performative\":\"inform\",\"receivers\":[\"probe\"],\"content\":0}");
    }
    free(json);
    return status == 0 ? 0 : 1;
}
