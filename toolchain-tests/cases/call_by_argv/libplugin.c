/* A plugin whose file name and argument come from the command line. */
int plugin_scale(int v) { return v * 6; }
const char *plugin_name(void) { return "plugin"; }
