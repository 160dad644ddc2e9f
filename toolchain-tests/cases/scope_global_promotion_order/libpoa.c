const char *po_name(void) { return "libpoa"; }
