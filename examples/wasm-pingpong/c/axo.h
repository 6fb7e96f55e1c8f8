/* The axo WASM agent ABI v1 for C guests (docs/abi.md), built with
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -o agent.wasm agent.c
 *
 * The host functions are imported from module "axo" under C names prefixed with `axo_`:
 * a C function named `send` would collide with libc's socket send(). */
#ifndef AXO_H
#define AXO_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define AXO_IMPORT(name) __attribute__((import_module("axo"), import_name(#name)))
#define AXO_EXPORT(name) __attribute__((export_name(#name)))

enum { AXO_DEBUG = 0, AXO_INFO = 1, AXO_WARN = 2, AXO_ERROR = 3 };

AXO_IMPORT(send) int32_t axo_send(const char *json, int32_t len);
AXO_IMPORT(log) void axo_log(int32_t level, const char *text, int32_t len);
AXO_IMPORT(now) int64_t axo_now(void);
AXO_IMPORT(kv_get) int32_t axo_kv_get(const char *key, int32_t key_len, char *out, int32_t cap);
AXO_IMPORT(kv_set) int32_t axo_kv_set(const char *key, int32_t key_len, const char *value,
                                      int32_t value_len);
AXO_IMPORT(set_timer) int32_t axo_set_timer(int32_t delay_ms, int32_t repeat);

/* The host copies each message into memory it gets from here; handle_message frees it.
 * One byte more, zeroed: the message is then also a C string (the host writes only len). */
AXO_EXPORT(alloc) void *axo_alloc(int32_t len) {
    size_t size = len > 0 ? (size_t)len : 0;
    char *buffer = malloc(size + 1);
    if (buffer) buffer[size] = '\0';
    return buffer;
}

static inline void axo_log_text(int32_t level, const char *text) {
    axo_log(level, text, (int32_t)strlen(text));
}

static inline int32_t axo_send_text(const char *json) {
    return axo_send(json, (int32_t)strlen(json));
}

/* The raw (still JSON-escaped) text of the string field `key` of a message, copied into
 * `out` (NUL-terminated); 0 when the field is absent, null or not a string. Enough for the
 * top-level string fields of an ACL message: a quoted key cannot occur inside a JSON string,
 * whose quotes are escaped. */
static int axo_field(const char *json, int32_t len, const char *key, char *out, size_t cap) {
    size_t key_len = strlen(key);
    for (int32_t i = 0; i + (int32_t)key_len + 2 <= len; i++) {
        if (json[i] != '"' || memcmp(json + i + 1, key, key_len) != 0 ||
            json[i + 1 + key_len] != '"')
            continue;
        int32_t j = i + (int32_t)key_len + 2;
        while (j < len && (json[j] == ' ' || json[j] == ':' || json[j] == '\t')) j++;
        if (j >= len || json[j] != '"') return 0;
        size_t n = 0;
        for (j++; j < len && json[j] != '"'; j++) {
            if (json[j] == '\\' && j + 1 < len) {
                if (n + 2 >= cap) return 0;
                out[n++] = json[j++];
            }
            if (n + 1 >= cap) return 0;
            out[n++] = json[j];
        }
        out[n] = '\0';
        return 1;
    }
    return 0;
}

#endif
