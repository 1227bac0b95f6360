/* Sliding-window bounds shared by conv, depthwise and pooling. */
#ifndef MN_WINDOW_H
#define MN_WINDOW_H
#include <stdint.h>

/* For output position o: input start i0 = o*stride - pad, and the filter taps [lo, hi) that land
 * inside an input of length n. */
typedef struct { int32_t i0, lo, hi; } mn_span;

static inline mn_span mn_window_span(int32_t o, int32_t stride, int32_t pad, int32_t k, int32_t n) {
    mn_span s;
    s.i0 = o * stride - pad;
    s.lo = s.i0 < 0 ? -s.i0 : 0;
    s.hi = s.i0 + k > n ? n - s.i0 : k;
    return s;
}
#endif
