/* Shared by main.c and libsb.c (headers in the case directory are on the include path). */
struct vec3 { double x, y, z; };
struct small { char c; short s; int i; };
struct big { int v[16]; char name[24]; long long total; };
struct pair { float f; unsigned char tag; };
