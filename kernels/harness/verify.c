/*
 * Kernel verification firmware: reads operator cases from stdin (semihosting on a board or the
 * emulator, a pipe on the host), runs each through the micronas int8 kernels and writes the
 * outputs to stdout. The stream format is written by the Swift `Kernels` module (KernelCase.swift):
 * little-endian int32 words; int8 arrays padded to a multiple of 4 bytes.
 *   "MNK1", int32 flags (bit 0: run every call twice and time the second, warm-cache run),
 *   then cases: op, op-specific ints, arrays; op 0 ends the stream.
 *   Output per case: int32 byte count, uint32 cycles of the kernel call (DWT->CYCCNT minus the cost
 *   of reading it; 0 on the host), then the output bytes padded to 4 bytes.
 * Builds for the host (cc -I../src verify.c ../src/\*.c) and for a board (Makefile WITH_KERNELS=1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mn_kernels.h"
#if defined(__arm__)
#include "dwt.h"
static uint32_t now(void) { return micronas_cycles(); }
#else
static uint32_t now(void) { return 0; }
#endif

#ifndef ARENA_BYTES
#define ARENA_BYTES (72 * 1024)
#endif
static int32_t arena_words[ARENA_BYTES / 4];
static size_t arena_used;
static int warm;                 /* flags bit 0 */
static uint32_t overhead;        /* cycles of an empty now()/now() pair */
static uint32_t last_cycles;

/* Runs `call` once (or twice when warm) and keeps the cycles of the last run. */
#define TIMED(call) do { \
        for (int run_ = 0; run_ < (warm ? 2 : 1); run_++) { \
            const uint32_t t0_ = now(); \
            call; \
            last_cycles = now() - t0_ - overhead; \
        } \
    } while (0)

static void fail(const char *why) {
    fprintf(stderr, "verify: %s\n", why);
    exit(2);
}

static void *take(size_t bytes) {
    bytes = (bytes + 3) & ~(size_t)3;
    if (arena_used + bytes > sizeof arena_words) fail("case does not fit the arena");
    void *p = (char *)arena_words + arena_used;
    arena_used += bytes;
    return p;
}

static void read_exact(void *p, size_t bytes) {
    if (bytes && fread(p, 1, bytes, stdin) != bytes) fail("truncated input");
}

static int32_t read_i32(void) {
    int32_t v;
    read_exact(&v, 4);
    return v;
}

static void *read_array(size_t bytes) {
    void *p = take(bytes);
    read_exact(p, (bytes + 3) & ~(size_t)3);
    return p;
}

static mn_shape read_shape(void) {
    mn_shape s;
    s.n = read_i32(); s.h = read_i32(); s.w = read_i32(); s.c = read_i32();
    if (s.n <= 0 || s.h <= 0 || s.w <= 0 || s.c <= 0) fail("non-positive dimension");
    return s;
}

static size_t count(mn_shape s) { return (size_t)s.n * s.h * s.w * s.c; }

static void write_output(const void *out, int32_t bytes) {
    static const char pad[4];
    fwrite(&bytes, 4, 1, stdout);
    fwrite(&last_cycles, 4, 1, stdout);
    fwrite(out, 1, (size_t)bytes, stdout);
    fwrite(pad, 1, (size_t)((4 - bytes % 4) % 4), stdout);
}

static mn_conv_params read_window(void) {
    mn_conv_params p;
    p.stride_h = read_i32(); p.stride_w = read_i32();
    p.pad_h = read_i32(); p.pad_w = read_i32();
    p.input_offset = read_i32(); p.output_offset = read_i32();
    p.act_min = read_i32(); p.act_max = read_i32();
    if (p.stride_h <= 0 || p.stride_w <= 0) fail("stride must be positive");
    return p;
}

/* scratch_free: CONV_2D by its scratch-free kernel, mn_conv2d_s8_direct (op code 1 | 0x100). */
static void conv_case(int depthwise, int scratch_free) {
    mn_shape in = read_shape(), f = read_shape(), out = read_shape();
    mn_conv_params p = read_window();
    int32_t per_channel = read_i32(), has_bias = read_i32();
    int32_t nq = per_channel ? out.c : 1;
    const int8_t *input = read_array(count(in));
    const int8_t *filter = read_array(count(f));
    const int32_t *bias = has_bias ? read_array(4 * (size_t)out.c) : NULL;
    mn_requant q = { read_array(4 * (size_t)nq), NULL, per_channel };
    q.shift = read_array(4 * (size_t)nq);
    int8_t *output = take(count(out));
    int32_t scratch_bytes = depthwise ? mn_depthwise_conv2d_s8_scratch_bytes(in, f) : mn_conv2d_s8_scratch_bytes(in, f);
    void *scratch = scratch_bytes && !scratch_free ? take((size_t)scratch_bytes) : NULL;
    if (depthwise) TIMED(mn_depthwise_conv2d_s8(&p, q, in, input, f, filter, bias, out, output, scratch));
    else if (scratch_free) TIMED(mn_conv2d_s8_direct(&p, q, in, input, f, filter, bias, out, output));
    else TIMED(mn_conv2d_s8(&p, q, in, input, f, filter, bias, out, output, scratch));
    write_output(output, (int32_t)count(out));
}

static void fc_case(void) {
    int32_t in_off = read_i32(), out_off = read_i32(), amin = read_i32(), amax = read_i32();
    int32_t batches = read_i32(), depth = read_i32(), units = read_i32(), has_bias = read_i32(), per_channel = read_i32();
    if (batches <= 0 || depth <= 0 || units <= 0) fail("non-positive dimension");
    const int8_t *input = read_array((size_t)batches * depth);
    const int8_t *filter = read_array((size_t)units * depth);
    const int32_t *bias = has_bias ? read_array(4 * (size_t)units) : NULL;
    size_t nq = per_channel ? (size_t)units : 1;
    mn_requant q = { read_array(4 * nq), read_array(4 * nq), per_channel };
    int8_t *output = take((size_t)batches * units);
    int32_t scratch_bytes = mn_fully_connected_s8_scratch_bytes(depth);
    void *scratch = scratch_bytes ? take((size_t)scratch_bytes) : NULL;
    TIMED(mn_fully_connected_s8(in_off, out_off, amin, amax, q, batches, depth, input, units, filter, bias,
                                output, scratch));
    write_output(output, batches * units);
}

/* by_table: with mn_add_params.rescaled, filled before the timed call (op code 4 | 0x100). */
static void add_case(int by_table) {
    mn_add_params p;
    p.input1_offset = read_i32(); p.input2_offset = read_i32(); p.output_offset = read_i32();
    p.input1_multiplier = read_i32(); p.input2_multiplier = read_i32(); p.output_multiplier = read_i32();
    p.input1_shift = read_i32(); p.input2_shift = read_i32(); p.output_shift = read_i32();
    p.left_shift = read_i32(); p.act_min = read_i32(); p.act_max = read_i32();
    int32_t n = read_i32();
    if (n <= 0) fail("non-positive dimension");
    const int8_t *a = read_array((size_t)n), *b = read_array((size_t)n);
    int8_t *out = take((size_t)n);
    p.rescaled = 0;
    if (by_table) {
        int32_t *table = take(512 * sizeof(int32_t));
        mn_add_s8_rescale_table(&p, table);
        p.rescaled = table;
    }
    TIMED(mn_add_s8(&p, n, a, b, out));
    write_output(out, n);
}

static void pool_case(int is_max) {
    mn_shape in = read_shape(), out = read_shape();
    mn_conv_params p = read_window();
    int32_t fh = read_i32(), fw = read_i32();
    const int8_t *input = read_array(count(in));
    int8_t *output = take(count(out));
    if (is_max) TIMED(mn_max_pool_s8(&p, fh, fw, in, input, out, output));
    else TIMED(mn_avg_pool_s8(&p, fh, fw, in, input, out, output));
    write_output(output, (int32_t)count(out));
}

static void mean_case(void) {
    mn_shape in = read_shape();
    int32_t in_zp = read_i32(), out_zp = read_i32(), mult = read_i32(), shift = read_i32();
    const int8_t *input = read_array(count(in));
    int8_t *output = take((size_t)in.n * in.c);
    TIMED(mn_mean_hw_s8(in, input, in_zp, out_zp, mult, shift, output));
    write_output(output, in.n * in.c);
}

static void softmax_case(void) {
    int32_t rows = read_i32(), depth = read_i32();
    int32_t mult = read_i32(), shift = read_i32(), diff_min = read_i32();
    if (rows <= 0 || depth <= 0) fail("non-positive dimension");
    if (shift < 0 || shift > 31) fail("softmax input shift out of [0, 31]");
    const int8_t *input = read_array((size_t)rows * depth);
    int8_t *output = take((size_t)rows * depth);
    TIMED(mn_softmax_s8(rows, depth, input, mult, shift, diff_min, output));
    write_output(output, rows * depth);
}

static void quantize_case(int dequantize) {
    int32_t n = read_i32();
    float scale;
    int32_t bits = read_i32(), zp = read_i32();
    memcpy(&scale, &bits, 4);
    if (n <= 0) fail("non-positive dimension");
    if (dequantize) {
        const int8_t *input = read_array((size_t)n);
        float *output = take(4 * (size_t)n);
        TIMED(mn_dequantize_s8_f32(n, input, scale, zp, output));
        write_output(output, 4 * n);
    } else {
        const float *input = read_array(4 * (size_t)n);
        int8_t *output = take((size_t)n);
        TIMED(mn_quantize_f32_s8(n, input, scale, zp, output));
        write_output(output, n);
    }
}

int main(void) {
    char magic[4];
    read_exact(magic, 4);
    if (memcmp(magic, "MNK1", 4) != 0) fail("bad magic (expected MNK1)");
    warm = read_i32() & 1;
#if defined(__arm__)
    micronas_cycles_start();
#endif
    {
        const uint32_t t0 = now();
        overhead = now() - t0;
    }
    for (;;) {
        arena_used = 0;
        int32_t op = read_i32();
        switch (op) {
        case 0: fflush(stdout); return 0;
        case 1: conv_case(0, 0); break;
        case 1 | 0x100: conv_case(0, 1); break;
        case 2: conv_case(1, 0); break;
        case 3: fc_case(); break;
        case 4: add_case(0); break;
        case 4 | 0x100: add_case(1); break;
        case 5: pool_case(0); break;
        case 6: pool_case(1); break;
        case 7: mean_case(); break;
        case 8: softmax_case(); break;
        case 9: quantize_case(0); break;
        case 10: quantize_case(1); break;
        default: fail("unknown op code");
        }
    }
}
