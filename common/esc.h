/*
 * Escaping text for markup: one function for the HTML the reporter writes
 * and the XML the runner gives libvirt, so both treat hostile names the
 * same way.
 *
 *	esc_markup(&b, name, strlen(name));
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

#endif
