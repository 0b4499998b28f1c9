/*
 * Mail addresses from package metadata (Author-email, Maintainer-email:
 * raw header text the package chose) made safe to hand to SMTP. Only a
 * plain addr-spec survives: a dot-atom local part of at most 64 bytes and
 * a DNS domain of at least two labels (letters, digits, inner hyphens)
 * whose last label is alphabetic, 254 bytes in all. Quoted local parts,
 * comments, IP literals, non-ASCII and every control character, space,
 * '<', '>', ',', ';', ':' or '"' inside the address are refused, so no
 * header or SMTP command can be smuggled through an address (libcurl
 * 7.88 passes CR/LF in envelope addresses straight to the server).
 */
#ifndef PYTI_REPORT_ADDR_H
#define PYTI_REPORT_ADDR_H

#include <stddef.h>

#define REPORT_ADDR_MAX 254
#define REPORT_ADDRS_MAX 8 /* addresses taken from one header */

/*
 * Is addr (NUL-terminated) a valid address by the rules above? 1 or 0.
 */
int report_addr_valid(const char *addr);

/*
 * Parse a header value such as `"Doe, J" <j@example.org>, k@example.net`
 * into at most max addresses (lowercased: mail providers treat local
 * parts without case, and one person must get one digest; duplicates
 * dropped),
 * each written into out[i] (REPORT_ADDR_MAX + 1 bytes). Entries that do
 * not hold a valid address are skipped; reading stops at 4096 bytes.
 * Returns how many were written.
 */
int report_addr_parse(const char *header, char (*out)[REPORT_ADDR_MAX + 1],
                      int max);

/* The domain part of a valid address (borrowed, inside addr). */
const char *report_addr_domain(const char *addr);

#endif
