/* The program's plugin interface: plugins register themselves from their constructors. */
struct plugin {
    const char *name;
    int (*run)(int);
    struct plugin *next;
};

struct host_api {
    void (*log)(const char *who, const char *what, int n);
    int (*setting)(const char *key);
};

void registry_add(struct plugin *p);
void registry_remove(struct plugin *p);
const struct host_api *host_api(void);
void host_log(const char *who, const char *what, int n);
