#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* dladdr's dli_fbase and dli_fname name the object an address belongs to: one base (and one
 * file) for every address of a library, its data and its functions alike; another for a
 * second library and for the program; the base at or below each data address. */
int prog_data = 3;
int prog_fn(void) { return 3; }

static Dl_info info_of(const void *addr)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    if (!dladdr(addr, &info))
        printf("dladdr failed\n");
    return info;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int main(void)
{
    void *a = dlopen("libfba.so", RTLD_NOW);
    void *b = dlopen("libfbb.so", RTLD_NOW);
    if (!a || !b) {
        printf("dlopen failed\n");
        return 1;
    }
    void *a_data = dlsym(a, "fba_data");
    void *a_bss = dlsym(a, "fba_bss");
    void *a_text = dlsym(a, "fba_text");
    void *a_fn = dlsym(a, "fba_fn");
    void *a_hidden = ((void *(*)(void))dlsym(a, "fba_hidden_pointer"))();
    void *b_data = dlsym(b, "fbb_data");
    void *b_fn = dlsym(b, "fbb_fn");

    Dl_info ad = info_of(a_data), ab = info_of((char *)a_bss + 100), at = info_of(a_text),
            af = info_of(a_fn), ah = info_of(a_hidden), bd = info_of(b_data), bf = info_of(b_fn),
            pd = info_of(&prog_data), pf = info_of((void *)prog_fn);

    printf("libfba: file %s\n", base_name(ad.dli_fname));
    printf("libfba: one base for data, .bss, rodata, functions, a static function: %s\n",
           ad.dli_fbase == ab.dli_fbase && ad.dli_fbase == at.dli_fbase &&
                   ad.dli_fbase == af.dli_fbase && ad.dli_fbase == ah.dli_fbase
               ? "yes"
               : "no");
    printf("libfba: one file name for all: %s\n",
           strcmp(ad.dli_fname, af.dli_fname) == 0 && strcmp(ad.dli_fname, ah.dli_fname) == 0 &&
                   strcmp(ad.dli_fname, ab.dli_fname) == 0
               ? "yes"
               : "no");
    printf("libfba: base at or below its data: %s\n",
           (uintptr_t)ad.dli_fbase <= (uintptr_t)a_data &&
                   (uintptr_t)ad.dli_fbase <= (uintptr_t)a_bss &&
                   (uintptr_t)ad.dli_fbase <= (uintptr_t)a_text
               ? "yes"
               : "no");
    printf("libfbb: file %s, one base: %s, other than libfba's: %s\n", base_name(bd.dli_fname),
           bd.dli_fbase == bf.dli_fbase ? "yes" : "no", bd.dli_fbase != ad.dli_fbase ? "yes" : "no");
    printf("program: one base: %s, other than the libraries': %s, at or below its data: %s\n",
           pd.dli_fbase == pf.dli_fbase ? "yes" : "no",
           pd.dli_fbase != ad.dli_fbase && pd.dli_fbase != bd.dli_fbase ? "yes" : "no",
           (uintptr_t)pd.dli_fbase <= (uintptr_t)&prog_data ? "yes" : "no");
    printf("program: same file for data and function: %s, not a library's: %s\n",
           strcmp(pd.dli_fname, pf.dli_fname) == 0 ? "yes" : "no",
           strcmp(pd.dli_fname, ad.dli_fname) != 0 ? "yes" : "no");
    dlclose(b);
    dlclose(a);
    return 0;
}
