/*
 * Σ (x[i] + offset) * w[i] over n int8 pairs. With the DSP extension (Cortex-M4/M33/M7): four
 * pairs per step, each byte lane sign-extended to 16 bits by SXTB16 (even lanes, then odd lanes
 * after a rotate by 8), the offset added per 16-bit lane with SADD16 (|x + offset| <= 255 fits),
 * and two SMLADs accumulating the lane products (ARMv7-M ARM A7.7.{163,172,213}).
 */
#ifndef MN_DOT_H
#define MN_DOT_H
#include <stdint.h>
#include <string.h>
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#endif

static inline int32_t mn_dot_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t offset, int32_t acc) {
    int32_t i = 0;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    const int16x2_t off = (int16x2_t)(((uint32_t)(uint16_t)offset << 16) | (uint16_t)offset);
    for (; i + 4 <= n; i += 4) {
        uint32_t xw, ww;
        memcpy(&xw, x + i, 4);
        memcpy(&ww, w + i, 4);
        int16x2_t xe = __sadd16(__sxtb16((int8x4_t)xw), off);
        int16x2_t xo = __sadd16(__sxtb16((xw >> 8) | (xw << 24)), off);
        int16x2_t we = __sxtb16((int8x4_t)ww);
        int16x2_t wo = __sxtb16((ww >> 8) | (ww << 24));
        acc = __smlad(xe, we, acc);
        acc = __smlad(xo, wo, acc);
    }
#endif
    for (; i < n; i++) acc += ((int32_t)x[i] + offset) * (int32_t)w[i];
    return acc;
}
#endif
