#include "report.h"
#include "log.h"
int report_html(struct report_db *db, const struct cfg *cfg, const char *dir, int64_t sweep) { return log_error("not built yet"); }
