/* Built with -fvisibility=hidden (case.toml): only what is marked default is exported. */
int hvd_internal(void) { return 31; }
int hvd_internal_data = 32;
__attribute__((visibility("default"))) int hvd_exported_data = 33;
__attribute__((visibility("default"))) int hvd_exported(void) { return hvd_internal() + hvd_internal_data + hvd_exported_data; }
