/* pong: answers every `request` "ping N" with an `inform` "pong N" to its sender. */
#include <stdio.h>

#include "axo.h"

AXO_EXPORT(handle_message) int32_t handle_message(char *json, int32_t len) {
    char performative[32], sender[128], reply_with[128], content[256];
    char line[320], reply[640];
    int32_t status = 0;
    if (!axo_field(json, len, "performative", performative, sizeof performative) ||
        !axo_field(json, len, "sender", sender, sizeof sender)) {
        status = 1;
    } else if (strcmp(performative, "request") == 0) {
        if (!axo_field(json, len, "content", content, sizeof content)) strcpy(content, "ping");
        if (!axo_field(json, len, "reply_with", reply_with, sizeof reply_with))
            reply_with[0] = '\0';
        snprintf(line, sizeof line, "Received %s, sending pong back", content);
        axo_log_text(AXO_INFO, line);
        const char *number = strncmp(content, "ping", 4) == 0 ? content + 4 : "";
        snprintf(reply, sizeof reply,
                 "{\"performative\":\"inform\",\"receivers\":[\"%s\"],\"content\":\"pong%s\","
                 "\"in_reply_to\":%s%s%s}",
                 sender, number, reply_with[0] ? "\"" : "", reply_with[0] ? reply_with : "null",
                 reply_with[0] ? "\"" : "");
        status = axo_send_text(reply) == 0 ? 0 : 1;
    }
    free(json);
    return status;
}
