/* Syntax of the authority part of a URI, as HTTP uses it: the Host field, an
 * absolute-form request-target's authority, CONNECT's authority-form.
 *
 *   if (!uri_authority_ok(value, len, URI_HOST_REQUIRED)) answer 400;
 *
 * The grammar is RFC 3986 section 3.2 without userinfo, which HTTP forbids
 * in a Host field (RFC 9112 section 3.2) and RFC 9110 section 4.2.4 asks a
 * recipient to treat as an error in a target:
 *   authority = host [ ":" port ]        port = *DIGIT
 *   host      = IP-literal / IPv4address / reg-name
 *   IP-literal = "[" ( IPv6address / IPvFuture ) "]"
 *   reg-name  = *( unreserved / pct-encoded / sub-delims )
 * An IPv4 address is also a reg-name, so it needs no rule of its own. Only
 * syntax is checked: no name is resolved, and a port may be any number. */
#ifndef URI_H
#define URI_H

#include <stdbool.h>
#include <stddef.h>

enum {
    URI_HOST_REQUIRED = 1, /* host must not be empty (http URIs, CONNECT) */
    URI_PORT_REQUIRED = 2, /* ":" port must be present (authority-form) */
};

/* True when s[0..n) is host [":" port] under the flags above. */
bool uri_authority_ok(const char *s, size_t n, unsigned flags);

#endif
