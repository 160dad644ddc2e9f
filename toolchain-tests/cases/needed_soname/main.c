/* NEEDED entries record a library's SONAME (-Wl,-soname), not the name of the file it was
 * linked from: the program's and a library's, so the loader looks for the SONAME. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int snm_value(void);

int main(void)
{
    unlink("libsnq.so.2"); /* left by an earlier run in the same directory */
    printf("snm_value %d\n", snm_value());
    /* The program's own NEEDED entry is libsnm.so.1, loaded through the link of that name. */
    void *snm = dlopen("libsnm.so.1", RTLD_NOW | RTLD_NOLOAD);
    printf("libsnm.so.1 loaded: %s\n", snm ? "yes" : "no");
    dlerror();

    /* libsnu needs libsnm.so.1: the library already loaded, not a second copy. */
    void *snu = dlopen("libsnu.so", RTLD_NOW);
    if (!snu) {
        printf("dlopen libsnu failed\n");
        return 1;
    }
    int (*snu_value)(void) = (int (*)(void))dlsym(snu, "snu_value");
    printf("snu_value %d\n", snu_value ? snu_value() : -1);
    printf("same snm_value: %s\n",
           dlsym(snu, "snm_value") == dlsym(snm, "snm_value") ? "same" : "different");

    /* libsnr needs libsnq.so.2, which no file is named yet (libsnq.so exists). */
    void *snr = dlopen("libsnr.so", RTLD_NOW);
    const char *err = dlerror();
    printf("dlopen libsnr: %s\n", snr ? "ok" : "NULL");
    printf("error names libsnq.so.2: %s\n", err && strstr(err, "libsnq.so.2") ? "yes" : "no");
    void *q = dlopen("libsnq.so", RTLD_NOW | RTLD_NOLOAD);
    printf("libsnq.so left loaded: %s\n", q ? "yes" : "no");
    dlerror();

    /* Installed under its SONAME, it is found. */
    if (symlink("libsnq.so", "libsnq.so.2") != 0) {
        printf("symlink failed\n");
        return 1;
    }
    snr = dlopen("libsnr.so", RTLD_NOW);
    printf("dlopen libsnr: %s\n", snr ? "ok" : "NULL");
    if (!snr)
        return 1;
    int (*snr_value)(void) = (int (*)(void))dlsym(snr, "snr_value");
    printf("snr_value %d\n", snr_value ? snr_value() : -1);
    void *by_soname = dlopen("libsnq.so.2", RTLD_NOW | RTLD_NOLOAD);
    void *by_file = dlopen("libsnq.so", RTLD_NOW | RTLD_NOLOAD);
    printf("libsnq by SONAME and by file: %s\n",
           by_soname && by_soname == by_file ? "same" : "different");
    dlclose(by_soname);
    dlclose(by_file);
    printf("close libsnr\n");
    dlclose(snr);
    dlclose(snu);
    unlink("libsnq.so.2");
    printf("done\n");
    return 0;
}
