/*
 * Escaping text for markup: one function for the HTML the reporter writes
 * and the XML the runner gives libvirt, so both treat hostile names the
 * same way; and the one reading of a hex digit for the escapes that
 * carry them (TOML's \u, a URL's %XX).
 *
 *	esc_markup(&b, name, strlen(name));
 *	int v = esc_hex_value(c);          // 0..15, or -1
 */
#ifndef PYTI_ESC_H
#define PYTI_ESC_H

#include "buf.h"

#include <stddef.h>

/*
 * Append the n bytes of s to b with the five markup characters as
 * entities (& < > " ' as &amp; &lt; &gt; &quot; &#39;: safe in text and
 * in quoted attributes of HTML and XML) and every other byte below 0x20
 * as a space (XML 1.0 does not allow most of them; HTML shows none).
 * Returns 0, or BUF_FULL when b reached its maximum (b then holds a
 * prefix of the escaped text).
 */
int esc_markup(struct buf *b, const char *s, size_t n);

/* The value of the hex digit c (0-9, a-f, A-F), or -1 for any other. */
int esc_hex_value(int c);

#endif
