/*
 * Model runner firmware: links a generated micronas deployment (micronas_model.c, built with
 * -DMICRONAS_PROFILE) and runs it on samples read from stdin (semihosting on a board or the
 * emulator, a pipe on the host). Written by the Swift `Deploy` module (ModelRunner.swift).
 *   in:  "MNM1", uint32 flags (bit 0: run each sample once untimed first, warm caches; bit 1: run only
 *        the first sample once untimed first, so every later invoke follows the previous one),
 *        uint32 samples, then per sample the bytes of the first RUNNER_INPUTS inputs, one after another.
 *   out: "MNR1", uint32 ops, then per sample: the bytes of the first RUNNER_OUTPUTS outputs, one after
 *        another, padded to 4 as a whole,
 *        uint32 cycles per op (DWT->CYCCNT minus the cost of reading it; 0 on the host), uint32
 *        cycles of the whole micronas_invoke(); then uint32 arena high-water mark (bytes from the
 *        arena start to the last byte any invoke wrote), uint32 stack bytes used by the invokes
 *        (painted-stack measurement; 0 on the host).
 * RUNNER_INPUTS / RUNNER_OUTPUTS: every input and output unless -DMICRONAS_RUNNER_TIMING_ONLY (lookup-table
 * characterization: only input 0 comes from the stream, the others keep the arena paint, output 0 goes back).
 * Exit status 3: micronas_init() found a kernel scratch need above the plan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "micronas_model.h"
#if defined(__arm__)
#include "dwt.h"
static uint32_t now(void) { return micronas_cycles(); }
#else
static uint32_t now(void) { return 0; }
#endif

#if defined(MICRONAS_RUNNER_TIMING_ONLY)
#define RUNNER_INPUTS 1
#define RUNNER_OUTPUTS 1
#else
#define RUNNER_INPUTS MICRONAS_INPUTS
#define RUNNER_OUTPUTS MICRONAS_OUTPUTS
#endif

static uint32_t input_bytes(void) {
    uint32_t n = 0;
    for (int i = 0; i < RUNNER_INPUTS; i++) n += micronas_input_bytes[i];
    return n;
}

/* The sample's inputs into the arena. */
static void load_inputs(const uint8_t *sample) {
    for (int i = 0; i < RUNNER_INPUTS; i++) {
        memcpy(micronas_input_at(i), sample, micronas_input_bytes[i]);
        sample += micronas_input_bytes[i];
    }
}

static uint32_t overhead, op_start, op_cycles[MICRONAS_OPS];

void micronas_op_begin(int op) { (void)op; op_start = now(); }
void micronas_op_end(int op) { op_cycles[op] = now() - op_start - overhead; }

static void fail(const char *why) {
    fprintf(stderr, "model_runner: %s\n", why);
    exit(2);
}

static void read_exact(void *p, size_t bytes) {
    if (bytes && fread(p, 1, bytes, stdin) != bytes) fail("truncated input");
}

static uint32_t read_u32(void) {
    uint32_t v;
    read_exact(&v, 4);
    return v;
}

static void write_u32(uint32_t v) { fwrite(&v, 4, 1, stdout); }

#define ARENA_PATTERN 0xA5u
#if defined(__arm__)
#define STACK_PATTERN 0xCDCDCDCDu
#define STACK_PAINT_BYTES (8 * 1024)
/* Paints the stack below the caller's frame; returns the painted bottom. */
__attribute__((noinline)) static uint32_t *paint_stack(void) {
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    uint32_t *bottom = sp - STACK_PAINT_BYTES / 4;
    for (uint32_t *p = bottom; p < sp - 16; p++) *p = STACK_PATTERN;
    return bottom;
}
#endif

int main(void) {
    char magic[4];
    read_exact(magic, 4);
    if (memcmp(magic, "MNM1", 4) != 0) fail("bad magic (expected MNM1)");
    const uint32_t flags = read_u32(), samples = read_u32();
    if (micronas_init() != 0) {
        fprintf(stderr, "model_runner: kernel scratch above the plan at op %d\n", -micronas_init() - 1);
        return 3;
    }
#if defined(__arm__)
    micronas_cycles_start();
#endif
    {
        const uint32_t t0 = now();
        overhead = now() - t0;
    }
    fwrite("MNR1", 1, 4, stdout);
    write_u32(MICRONAS_OPS);
    uint8_t *arena = micronas_arena();
    uint32_t high_water = 0, stack_bytes = 0;
#if RUNNER_INPUTS == 1
    static uint8_t input[MICRONAS_INPUT_BYTES];
#else
    static uint8_t input[MICRONAS_INPUTS_TOTAL_BYTES];
#endif
    const uint32_t sample_bytes = input_bytes();
    static const char pad[4];
    for (uint32_t s = 0; s < samples; s++) {
        read_exact(input, sample_bytes);
        if ((flags & 1u) || ((flags & 2u) && s == 0)) {
            load_inputs(input);
            micronas_invoke();
        }
        /* Paint the arena, then find the last byte this invoke wrote. */
        memset(arena, ARENA_PATTERN, MICRONAS_ARENA_BYTES);
        load_inputs(input);
#if defined(__arm__)
        uint32_t *bottom = paint_stack();
#endif
        const uint32_t t0 = now();
        micronas_invoke();
        const uint32_t total = now() - t0 - overhead;
#if defined(__arm__)
        {
            uint32_t *sp;
            __asm volatile("mov %0, sp" : "=r"(sp));
            uint32_t *p = bottom;
            while (p < sp && *p == STACK_PATTERN) p++;
            const uint32_t used = (uint32_t)((uint8_t *)sp - (uint8_t *)p);
            if (used > stack_bytes) stack_bytes = used;
        }
#endif
        for (uint32_t i = MICRONAS_ARENA_BYTES; i > high_water; i--) {
            if (arena[i - 1] != ARENA_PATTERN) { high_water = i; break; }
        }
        uint32_t written = 0;
        for (int i = 0; i < RUNNER_OUTPUTS; i++) {
            fwrite(micronas_output_at(i), 1, micronas_output_bytes[i], stdout);
            written += micronas_output_bytes[i];
        }
        fwrite(pad, 1, (4 - written % 4) % 4, stdout);
        fwrite(op_cycles, 4, MICRONAS_OPS, stdout);
        write_u32(total);
    }
    write_u32(high_water);
    write_u32(stack_bytes);
    fflush(stdout);
    return 0;
}
