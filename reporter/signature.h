/*
 * Error signatures: a short normalized line that groups failures with the
 * same cause across packages and nights, computed from the tail of the
 * failed task's log. Recognised, in this order:
 *
 *   build    a missing C header, library or compiler, a compiler that
 *            failed ("missing header: Python.h", "missing library: ffi",
 *            "missing compiler: gcc", "compiler failed: gcc");
 *   python   the last Python traceback: exception type, normalized
 *            message and the last three frames ("ModuleNotFoundError: No
 *            module named 'numpy' [in pkg/core.py:<module> < ...]"), or
 *            pytest's "E   Type: message" line;
 *   pip      pip's own error classes ("pip: no matching distribution:
 *            foo", "pip: resolution-impossible", "pip:
 *            metadata-generation-failed").
 *
 * Normalizing strips what differs between two runs of the same failure:
 * absolute paths become <path>, hexadecimal addresses <addr>, long hex
 * strings <hex>, numbers and versions <n>; whitespace is collapsed. The
 * log is untrusted: only the last REPORT_SIG_SCAN bytes are read, and the
 * result is bounded by the caller's buffer. Not reentrant (one static
 * line table).
 */
#ifndef PYTI_REPORT_SIGNATURE_H
#define PYTI_REPORT_SIGNATURE_H

#include <stddef.h>

#define REPORT_SIG_SCAN (64 * 1024)
#define REPORT_SIG_MAX 256

enum report_sig_kind {
	REPORT_SIG_NONE = 0,
	REPORT_SIG_BUILD,
	REPORT_SIG_PYTHON,
	REPORT_SIG_PIP,
};

/*
 * The signature of the log text (len bytes, not NUL-terminated; may hold
 * anything). Writes a NUL-terminated line of at most outsz - 1 bytes
 * (outsz >= 32) into out and returns its kind; REPORT_SIG_NONE (out
 * empty) when nothing was recognised.
 */
enum report_sig_kind report_signature(const char *log, size_t len, char *out,
                                      size_t outsz);

/* "build", "python", "pip", or "outcome" for REPORT_SIG_NONE. Static. */
const char *report_sig_kind_name(enum report_sig_kind kind);

/*
 * Normalize len bytes of text as described above into out (NUL-
 * terminated, at most outsz - 1 bytes, cut at a UTF-8 boundary). Returns
 * the length written.
 */
size_t report_sig_normalize(const char *text, size_t len, char *out,
                            size_t outsz);

#endif
