/* The work done per call in the call benchmark: compiled into the side module and into the
 * main program from this one definition, so both calls do exactly the same thing. */
#ifndef BENCH_WORK_H
#define BENCH_WORK_H

/* Pure arithmetic: a few cycles, nothing the caller could hoist (the argument changes). */
#define BENCH_WORK_BODY(x)                                                                      \
    {                                                                                           \
        unsigned v = (unsigned)(x);                                                             \
        v ^= v >> 7;                                                                            \
        v *= 0x9E3779B1u;                                                                       \
        v ^= v >> 13;                                                                           \
        return (int)v;                                                                          \
    }

/* The same, plus a read-modify-write of a global: in a side module that global is reached
 * through __memory_base (position-independent code), in the program at a fixed address. */
#define BENCH_WORK_DATA_BODY(x, counter)                                                        \
    {                                                                                           \
        unsigned v = (unsigned)(x);                                                             \
        v ^= v >> 7;                                                                            \
        v *= 0x9E3779B1u;                                                                       \
        counter += v;                                                                           \
        return (int)(v ^ counter);                                                              \
    }

#endif
