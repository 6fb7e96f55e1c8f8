/* ping: every PERIOD_MS, sends a `request` "ping N" to the agent named pong, and logs the
 * answers. N counts on across restarts and redeploys: it lives in the agent's kv state. */
#include <stdio.h>

#include "axo.h"

#define PERIOD_MS 500

static int count;

static int load_count(void) {
    char digits[16];
    int32_t n = axo_kv_get("count", 5, digits, (int32_t)sizeof digits - 1);
    if (n < 0 || n >= (int32_t)sizeof digits) return 0;
    digits[n] = '\0';
    return atoi(digits);
}

AXO_EXPORT(init) int32_t init(void) {
    count = load_count();
    axo_set_timer(PERIOD_MS, 1);
    axo_log_text(AXO_INFO, "ping is up: a ping to pong every 500 ms");
    return 0;
}

AXO_EXPORT(handle_timer) int32_t handle_timer(int32_t id) {
    (void)id;
    char digits[16], line[64], message[160];
    count++;
    int n = snprintf(digits, sizeof digits, "%d", count);
    axo_kv_set("count", 5, digits, n);
    snprintf(line, sizeof line, "Sending ping %d to pong", count);
    axo_log_text(AXO_INFO, line);
    snprintf(message, sizeof message,
             "{\"performative\":\"request\",\"receivers\":[\"pong\"],\"content\":\"ping %d\"}",
             count);
    return axo_send_text(message) == 0 ? 0 : 1;
}

AXO_EXPORT(handle_message) int32_t handle_message(char *json, int32_t len) {
    char performative[32], content[256], line[320];
    int32_t status = 0;
    if (!axo_field(json, len, "performative", performative, sizeof performative)) {
        status = 1;
    } else if (strcmp(performative, "inform") == 0 &&
               axo_field(json, len, "content", content, sizeof content)) {
        snprintf(line, sizeof line, "Received %s", content);
        axo_log_text(AXO_INFO, line);
    } else if (strcmp(performative, "failure") == 0) {
        axo_log_text(AXO_WARN, "pong did not answer (is it deployed?); pinging on");
    }
    free(json);
    return status;
}
