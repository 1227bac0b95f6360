/* The demo firmware: prints through semihosting and times an int8 dot product with DWT->CYCCNT. */
#include <stdint.h>
#include <stdio.h>
#include "dwt.h"

#define N 1024
static int8_t x[N];
static const int8_t w[N] = {1, -2, 3, -4, 5, -6, 7, -8};

static int32_t dot(const int8_t *a, const int8_t *b, int n) {
    int32_t acc = 0;
    for (int i = 0; i < n; i++) acc += a[i] * b[i];
    return acc;
}

int main(void) {
    for (int i = 0; i < N; i++) x[i] = (int8_t)(i * 7);
    micronas_cycles_start();
    uint32_t t0 = micronas_cycles();
    int32_t r = dot(x, w, N);
    uint32_t t1 = micronas_cycles();
    printf("hello from the emulated board\n");
    printf("dot(x, w) over %d int8 pairs = %ld in %lu cycles (DWT->CYCCNT)\n", N, (long)r, (unsigned long)(t1 - t0));
    return 0;
}
