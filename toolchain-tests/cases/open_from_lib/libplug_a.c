void host_log(const char *plugin, const char *msg);
int plugin_run(int arg)
{
    host_log("plug_a", "running");
    return arg + 1;
}
