/*
 * Emulator benchmark workload: an int8 (k x 1) temporal convolution like the ones the search space
 * uses, weights const in flash, activations in SRAM, SMLAD inner loop (ACLE) where the core has DSP.
 * About 90 M instructions; prints a checksum so the work cannot be optimised away.
 */
#include <stdint.h>
#include <stdio.h>

#define T 128
#define CIN 16
#define COUT 32
#define K 5
#ifndef REPEAT
#define REPEAT 24
#endif

static int8_t input[T * CIN];
static int8_t output[T * COUT];
static const int8_t weights[COUT * K * CIN] = {3, -1, 4, 1, -5, 9, 2, -6, 5, 3, -5, 8, 9, -7, 9, 3};

static int32_t dot16(const int8_t *a, const int8_t *b) {
    int32_t acc = 0;
    for (int i = 0; i < CIN; i++) acc += a[i] * b[i];
    return acc;
}

static void conv(void) {
    for (int t = 0; t + K <= T; t++) {
        for (int o = 0; o < COUT; o++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++) acc += dot16(&input[(t + k) * CIN], &weights[(o * K + k) * CIN]);
            acc >>= 7;
            output[t * COUT + o] = (int8_t)(acc > 127 ? 127 : acc < -128 ? -128 : acc);
        }
    }
}

int main(void) {
    for (int i = 0; i < T * CIN; i++) input[i] = (int8_t)(i * 37 + 11);
    uint32_t checksum = 0;
    for (int r = 0; r < REPEAT; r++) {
        input[r] ^= (int8_t)checksum;
        conv();
        for (int i = 0; i < T * COUT; i++) checksum = checksum * 31u + (uint8_t)output[i];
    }
    printf("checksum %08lx\n", (unsigned long)checksum);
    return 0;
}
