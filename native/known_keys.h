// The CGI/nginx var names the parser recognises. A key's id is its index in this table.
//
// This list and src/protocol/known-keys.ts hold the same names in the same order (a test
// compares the addon's knownKeys() with the TS table), so an id means the same key on both
// sides of the N-API boundary and JS can map an id to a constant string without copying
// the key out of the packet.
//
// Order is part of the contract: append new names at the end, never reorder or remove,
// so ids stay stable for code and metrics that hold them.
#pragma once

#include <cstddef>
#include <string_view>

namespace uwsgi_ts {

inline constexpr std::string_view kKnownKeys[] = {
    // CGI vars set by nginx's uwsgi_params.
    "REQUEST_METHOD",
    "REQUEST_URI",
    "QUERY_STRING",
    "PATH_INFO",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_PROTOCOL",
    "REQUEST_SCHEME",
    "HTTPS",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "SERVER_ADDR",
    "SERVER_PORT",
    "SERVER_NAME",
    "DOCUMENT_ROOT",
    "SCRIPT_NAME",
    "REMOTE_USER",
    // Request headers, as nginx forwards them (HTTP_ + upper case, '-' → '_').
    "HTTP_HOST",
    "HTTP_USER_AGENT",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_CONNECTION",
    "HTTP_COOKIE",
    "HTTP_CONTENT_TYPE",
    "HTTP_CONTENT_LENGTH",
    "HTTP_TRANSFER_ENCODING",
    "HTTP_REFERER",
    "HTTP_ORIGIN",
    "HTTP_AUTHORIZATION",
    "HTTP_CACHE_CONTROL",
    "HTTP_PRAGMA",
    "HTTP_UPGRADE_INSECURE_REQUESTS",
    "HTTP_UPGRADE",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_REAL_IP",
    "HTTP_X_REQUEST_ID",
    "HTTP_X_REQUESTED_WITH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_RANGE",
    "HTTP_EXPECT",
    "HTTP_DNT",
    "HTTP_TE",
    "HTTP_SEC_FETCH_DEST",
    "HTTP_SEC_FETCH_MODE",
    "HTTP_SEC_FETCH_SITE",
    "HTTP_SEC_FETCH_USER",
    "HTTP_SEC_CH_UA",
    "HTTP_SEC_CH_UA_MOBILE",
    "HTTP_SEC_CH_UA_PLATFORM",
    "HTTP_PRIORITY",
    "HTTP_TRACEPARENT",
};

inline constexpr size_t kKnownKeyCount = sizeof(kKnownKeys) / sizeof(kKnownKeys[0]);

// Ids are stored in int32 tables and in one byte in the parser's lookup tables.
static_assert(kKnownKeyCount < 256, "known key ids must fit in a byte");

}  // namespace uwsgi_ts
