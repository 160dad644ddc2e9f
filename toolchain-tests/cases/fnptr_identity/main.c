#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*intfn)(int);

static const char *same(const void *a, const void *b) { return a == b ? "same" : "different"; }

int main(void)
{
    /* GLOBAL: libfpuser and its dependency libfp join the global scope. */
    void *huser = dlopen("libfpuser.so", RTLD_NOW | RTLD_GLOBAL);
    void *hfp = dlopen("libfp.so", RTLD_NOW | RTLD_NOLOAD);
    printf("libfpuser: %s, libfp already loaded: %s\n", huser ? "non-NULL" : "NULL",
           hfp ? "non-NULL" : "NULL");
    if (!huser || !hfp)
        return 1;

    void *sym = dlsym(hfp, "fp_square");
    intfn (*get_square)(void) = (intfn(*)(void))dlsym(hfp, "fp_get_square");
    intfn (*get_cube)(void) = (intfn(*)(void))dlsym(hfp, "fp_get_cube");
    intfn (*get_private)(void) = (intfn(*)(void))dlsym(hfp, "fp_get_private");
    int (*is_square)(intfn) = (int (*)(intfn))dlsym(hfp, "fp_is_square");
    intfn (*user_get)(void) = (intfn(*)(void))dlsym(huser, "fpuser_get_square");
    intfn *stored = (intfn *)dlsym(hfp, "fp_stored");
    intfn *user_stored = (intfn *)dlsym(huser, "fpuser_stored");

    printf("dlsym(libfp, fp_square): %s\n", sym ? "non-NULL" : "NULL");
    printf("&fp_square inside libfp: %s\n", same((void *)get_square(), sym));
    printf("fp_stored (data reloc in libfp): %s\n", same((void *)*stored, sym));
    printf("&fp_square inside libfpuser: %s\n", same((void *)user_get(), sym));
    printf("fpuser_stored (data reloc in libfpuser): %s\n", same((void *)*user_stored, sym));
    printf("dlsym(RTLD_DEFAULT, fp_square): %s\n", same(dlsym(RTLD_DEFAULT, "fp_square"), sym));
    printf("dlsym(libfpuser, fp_square) (via dependency): %s\n", same(dlsym(huser, "fp_square"), sym));
    printf("second dlsym: %s\n", same(dlsym(hfp, "fp_square"), sym));
    printf("fp_cube vs fp_square: %s\n", same((void *)get_cube(), sym));
    printf("&fp_cube vs dlsym(fp_cube): %s\n", same((void *)get_cube(), dlsym(hfp, "fp_cube")));
    printf("static function twice: %s\n", same((void *)get_private(), (void *)get_private()));
    printf("static function vs fp_square: %s\n", same((void *)get_private(), sym));
    printf("library recognises dlsym'd pointer: %s\n", is_square((intfn)sym) ? "yes" : "no");
    printf("library recognises fp_cube as square: %s\n", is_square(get_cube()) ? "yes" : "no");
    printf("calls: %d %d %d %d %d\n", ((intfn)sym)(7), get_square()(7), (*stored)(7),
           user_get()(7), get_private()(7));
    dlclose(hfp);
    dlclose(huser);
    return 0;
}
