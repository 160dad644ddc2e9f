const char *wf_who(void);
extern int wf_data;
const char *wfuser_who(void) { return wf_who(); }
int wfuser_data(void) { return wf_data; }
