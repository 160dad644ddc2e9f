const char *nf_chain(void) { return "libnfroot"; }
