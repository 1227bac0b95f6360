/*
 * Kernel verification firmware: reads operator cases from stdin (semihosting on a board or the
 * emulator, a pipe on the host), runs each through the micronas int8 kernels and writes the
 * outputs to stdout. The stream format is written by the Swift `Kernels` module (KernelCase.swift):
 * little-endian int32 words; int8 arrays padded to a multiple of 4 bytes.
 *   "MNK1" then cases: op, op-specific ints, arrays; op 0 ends the stream.
 *   Output per case: int32 byte count, then the int8 output padded to 4 bytes.
 * Builds for the host (cc -I../src verify.c ../src/\*.c) and for a board (Makefile WITH_KERNELS=1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mn_kernels.h"

#ifndef ARENA_BYTES
#define ARENA_BYTES (72 * 1024)
#endif
static int32_t arena_words[ARENA_BYTES / 4];
static size_t arena_used;

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

static void write_output(const int8_t *out, int32_t bytes) {
    static const char pad[4];
    fwrite(&bytes, 4, 1, stdout);
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

static void conv_case(int depthwise) {
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
    void *scratch = scratch_bytes ? take((size_t)scratch_bytes) : NULL;
    if (depthwise)
        mn_depthwise_conv2d_s8(&p, q, in, input, f, filter, bias, out, output, scratch);
    else
        mn_conv2d_s8(&p, q, in, input, f, filter, bias, out, output, scratch);
    write_output(output, (int32_t)count(out));
}

static void fc_case(void) {
    int32_t in_off = read_i32(), out_off = read_i32(), amin = read_i32(), amax = read_i32();
    int32_t mult = read_i32(), shift = read_i32();
    int32_t batches = read_i32(), depth = read_i32(), units = read_i32(), has_bias = read_i32();
    if (batches <= 0 || depth <= 0 || units <= 0) fail("non-positive dimension");
    const int8_t *input = read_array((size_t)batches * depth);
    const int8_t *filter = read_array((size_t)units * depth);
    const int32_t *bias = has_bias ? read_array(4 * (size_t)units) : NULL;
    int8_t *output = take((size_t)batches * units);
    mn_fully_connected_s8(in_off, out_off, amin, amax, mult, shift, batches, depth, input, units, filter, bias, output);
    write_output(output, batches * units);
}

static void add_case(void) {
    mn_add_params p;
    p.input1_offset = read_i32(); p.input2_offset = read_i32(); p.output_offset = read_i32();
    p.input1_multiplier = read_i32(); p.input2_multiplier = read_i32(); p.output_multiplier = read_i32();
    p.input1_shift = read_i32(); p.input2_shift = read_i32(); p.output_shift = read_i32();
    p.left_shift = read_i32(); p.act_min = read_i32(); p.act_max = read_i32();
    int32_t n = read_i32();
    if (n <= 0) fail("non-positive dimension");
    const int8_t *a = read_array((size_t)n), *b = read_array((size_t)n);
    int8_t *out = take((size_t)n);
    mn_add_s8(&p, n, a, b, out);
    write_output(out, n);
}

static void pool_case(int is_max) {
    mn_shape in = read_shape(), out = read_shape();
    mn_conv_params p = read_window();
    int32_t fh = read_i32(), fw = read_i32();
    const int8_t *input = read_array(count(in));
    int8_t *output = take(count(out));
    if (is_max) mn_max_pool_s8(&p, fh, fw, in, input, out, output);
    else mn_avg_pool_s8(&p, fh, fw, in, input, out, output);
    write_output(output, (int32_t)count(out));
}

int main(void) {
    char magic[4];
    read_exact(magic, 4);
    if (memcmp(magic, "MNK1", 4) != 0) fail("bad magic (expected MNK1)");
    for (;;) {
        arena_used = 0;
        int32_t op = read_i32();
        switch (op) {
        case 0: fflush(stdout); return 0;
        case 1: conv_case(0); break;
        case 2: conv_case(1); break;
        case 3: fc_case(); break;
        case 4: add_case(); break;
        case 5: pool_case(0); break;
        case 6: pool_case(1); break;
        default: fail("unknown op code");
        }
    }
}
