void host_log(const char *plugin, const char *msg);
int plugin_run(int arg)
{
    host_log("plug_b", "running");
    host_log("plug_b", "done");
    return arg * 2;
}
