/*
 * micronas calibration suite (docs/calibration.md): microbenchmarks that each isolate a few of the
 * emulator's events, and operator kernels at lookup-table shapes. Every region runs once to warm
 * the caches and once timed with DWT->CYCCNT; the deltas are kept and printed at the end, one
 * "<region>: <cycles> cycles" line each, so that printing never runs between a region's two
 * counter reads. The same image runs on the board (semihosting under a debugger) and on the
 * emulator; `micronas calibrate fit` pairs the board's lines with the emulator's events of the
 * same regions.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "dwt.h"
#include "mn_board.h"
#include "mn_kernels.h"

#define MAX_REGIONS 128
static const char *names[MAX_REGIONS];
static uint32_t deltas[MAX_REGIONS];
static int regions;

/* Runs `body` twice (warm-up, then timed) and records the timed delta under `name`. */
#define REGION(name, body)                                   \
    do {                                                     \
        for (int pass_ = 0; pass_ < 2; pass_++) {            \
            uint32_t t0_ = micronas_cycles();                \
            body;                                            \
            uint32_t t1_ = micronas_cycles();                \
            if (pass_ == 1 && regions < MAX_REGIONS) {       \
                names[regions] = (name);                     \
                deltas[regions++] = t1_ - t0_;               \
            }                                                \
        }                                                    \
    } while (0)

#define STR_(x) #x
#define STR(x) STR_(x)
/* An inline-assembly loop: `n` iterations of `reps` copies of `insn` (the loop: SUBS + BNE). */
#define ASM_LOOP(n, reps, insn, ...)                                                       \
    do {                                                                                   \
        uint32_t k_ = (n);                                                                 \
        __asm volatile("1:\n\t.rept " STR(reps) "\n\t" insn "\n\t.endr\n\t"               \
                       "subs %[k], %[k], #1\n\tbne 1b" : [k] "+r"(k_) : __VA_ARGS__);      \
    } while (0)

static uint32_t sram_words[256] __attribute__((aligned(16)));
static const uint32_t flash_words[4096] __attribute__((aligned(16))) = {1, 2, 3, 4, 5, 6, 7, 8};
static volatile uint32_t sink;

/* Straight-line code in flash: 512 ALU instructions, run once per call (instruction fetch). */
__attribute__((noinline)) static void straight_line(void) {
    __asm volatile(".rept 512\n\tadd r12, r12, #1\n\t.endr" ::: "r12");
}

/* Straight-line code larger than any modelled instruction cache (18 KB): every fetch line misses. */
__attribute__((noinline)) static void straight_line_big(void) {
    __asm volatile(".rept 4608\n\tadd r12, r12, #1\n\t.endr" ::: "r12");
}

/* The same straight-line code and a loop copied to SRAM with .data by the start-up code: instruction
 * fetch that no flash cache serves. Left out where the firmware's RAM is a data TCM, which takes no
 * instruction fetches (the build defines MN_NO_RAM_CODE). */
#if !defined(MN_NO_RAM_CODE)
__attribute__((noinline, section(".data.ram_code"))) static void straight_line_sram(void) {
    __asm volatile(".rept 512\n\tadd r12, r12, #1\n\t.endr" ::: "r12");
}
__attribute__((noinline, section(".data.ram_code"))) static void loop_sram(uint32_t k) {
    __asm volatile("1:\n\t.rept 8\n\tadd r12, r12, #1\n\t.endr\n\tsubs %[k], %[k], #1\n\tbne 1b" : [k] "+r"(k) : : "r12", "cc");
}
#endif

/* Branches from line to line across 8 KB of code: every taken branch lands on a new fetch line. */
__attribute__((noinline, aligned(16))) static void branch_chain(void) {
    __asm volatile(".rept 256\n\tb 2f\n\t.balign 32\n2:\n\t.endr" ::: "memory");
}

/* Loads walking flash in 32-byte steps (k x 256 bytes): every one a new line for the flash caches. */
__attribute__((noinline)) static void flash_stride(const uint32_t *p, uint32_t k) {
    __asm volatile("1:\n\t.rept 8\n\tldr r1, [%[p]], #32\n\tadd r2, r2, #1\n\t.endr\n\tsubs %[k], %[k], #1\n\tbne 1b"
                   : [k] "+r"(k), [p] "+r"(p) : : "r1", "r2", "cc", "memory");
}

static int32_t divide_loop(uint32_t n, uint32_t a, uint32_t b) {
    uint32_t acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t q;
        __asm volatile("udiv %0, %1, %2" : "=r"(q) : "r"(a), "r"(b));
        acc += q;
    }
    return (int32_t)acc;
}

/* Kernel samples: convolutions at shapes of the search space's lookup table (Time-Reduce k×1 stride 2,
 * Sensor-Fusion 1×S), weights in flash as deployed code has them. */
#define TR_T 128
#define TR_S 9
static int8_t act_in[TR_T * TR_S * 8];
static int8_t act_out[TR_T * TR_S * 8];
static int32_t scratch[512];
static const int8_t weights[16 * 7 * 8 * 8] = {3, -5, 7, -11, 13, -17, 19, -23, 29, -31};
static const int32_t bias[64] = {100, -200, 300};
static const int32_t mult[64] = {1518500250, 1518500250, 1518500250, 1518500250};
static const int32_t shift[64] = {-7, -7, -7, -7};

static void conv(int32_t t, int32_t s, int32_t cin, int32_t k, int32_t stride, int32_t kw, int32_t cout) {
    mn_conv_params p = {stride, 1, (k - 1) / 2, 0, 3, -5, -128, 127};
    int32_t out_t = (t + stride - 1) / stride, out_s = s - kw + 1;
    mn_requant q = {mult, shift, 0};
    mn_shape in = {1, t, s, cin}, f = {cout, k, kw, cin}, out = {1, out_t, out_s, cout};
    mn_conv2d_s8(&p, q, in, act_in, f, weights, bias, out, act_out, scratch);
}

/* One line to semihosting and to the board's console UART (if its board file has one). */
static void say(const char *line) {
    fputs(line, stdout);
    mn_console_write(line, (int)strlen(line));
}

int main(void) {
    /* The board's clock and flash wait states as its board file describes them, then its console
     * (both generated from the board file; stubs returning -2 where it has none). */
    const int clock = mn_board_clock(), console = mn_board_console();
    char line[96];
    micronas_cycles_start();
    for (int i = 0; i < 256; i++) sram_words[i] = (uint32_t)i * 2654435761u;
    for (int i = 0; i < (int)sizeof act_in; i++) act_in[i] = (int8_t)(i * 37 + 11);
    uint32_t *sp = sram_words;
    const uint32_t *fp = flash_words;

    /* Two variants of each microbenchmark (other repeat counts): a held-out draw can take one and
     * the fit still sees the events it isolates. */
    REGION("alu_x8", ASM_LOOP(64, 8, "add r1, r1, #1", "r"(0) : "r1", "cc"));
    REGION("alu_x32", ASM_LOOP(64, 32, "eor r1, r1, r2", "r"(0) : "r1", "r2", "cc"));
    REGION("mul_x16", ASM_LOOP(64, 16, "mul r1, r1, r2", "r"(0) : "r1", "r2", "cc"));
    REGION("mul_x4", ASM_LOOP(32, 4, "mul r1, r1, r2", "r"(0) : "r1", "r2", "cc"));
    REGION("mla_x16", ASM_LOOP(32, 16, "mla r1, r2, r3, r1", "r"(0) : "r1", "r2", "r3", "cc"));
    REGION("mla_x4", ASM_LOOP(64, 4, "mla r1, r2, r3, r1", "r"(0) : "r1", "r2", "r3", "cc"));
    REGION("smull_x16", ASM_LOOP(32, 16, "smull r1, r2, r3, r4", "r"(0) : "r1", "r2", "r3", "r4", "cc"));
    REGION("smull_x4", ASM_LOOP(64, 4, "smlal r1, r2, r3, r4", "r"(0) : "r1", "r2", "r3", "r4", "cc"));
#if defined(__ARM_FEATURE_DSP)
    REGION("smlad_x16", ASM_LOOP(64, 16, "smlad r1, r2, r3, r1", "r"(0) : "r1", "r2", "r3", "cc"));
    REGION("smlad_x4", ASM_LOOP(32, 4, "smlad r1, r2, r3, r1", "r"(0) : "r1", "r2", "r3", "cc"));
    REGION("sxtb16_x16", ASM_LOOP(32, 16, "sxtb16 r1, r2", "r"(0) : "r1", "r2", "cc"));
    REGION("qadd8_x4", ASM_LOOP(64, 4, "qadd8 r1, r1, r2", "r"(0) : "r1", "r2", "cc"));
#endif
    REGION("ldr_sram_x8", ASM_LOOP(64, 8, "ldr r1, [%[p]]\n\tadd r2, r2, #1", [p] "r"(sp) : "r1", "r2", "cc", "memory"));
    REGION("ldr_sram_x2", ASM_LOOP(64, 2, "ldrb r1, [%[p]]\n\tadd r2, r2, #1", [p] "r"(sp) : "r1", "r2", "cc", "memory"));
    REGION("ldr_pair_sram_x8", ASM_LOOP(64, 8, "ldr r1, [%[p]]\n\tldr r2, [%[p], #4]\n\tadd r3, r3, #1", [p] "r"(sp) : "r1", "r2", "r3", "cc", "memory"));
    REGION("ldr_pair_sram_x2", ASM_LOOP(32, 2, "ldrh r1, [%[p]]\n\tldr r2, [%[p], #4]\n\tadd r3, r3, #1", [p] "r"(sp) : "r1", "r2", "r3", "cc", "memory"));
    REGION("ldr_use_sram_x8", ASM_LOOP(64, 8, "ldr r1, [%[p]]\n\tadd r2, r1, #1", [p] "r"(sp) : "r1", "r2", "cc", "memory"));
    REGION("ldr_use_sram_x2", ASM_LOOP(32, 2, "ldr r1, [%[p]]\n\tadd r2, r1, #1", [p] "r"(sp) : "r1", "r2", "cc", "memory"));
    REGION("ldr_agu_sram_x8", ASM_LOOP(64, 8, "add r3, %[p], #0\n\tldr r1, [r3]", [p] "r"(sp) : "r1", "r3", "cc", "memory"));
    REGION("ldr_agu_sram_x2", ASM_LOOP(32, 2, "add r3, %[p], #0\n\tldr r1, [r3]", [p] "r"(sp) : "r1", "r3", "cc", "memory"));
    REGION("str_sram_x8", ASM_LOOP(64, 8, "str r1, [%[p]]\n\tadd r2, r2, #1", [p] "r"(sp) : "r1", "r2", "cc", "memory"));
    REGION("str_sram_x2", ASM_LOOP(32, 2, "strb r1, [%[p]]\n\tadd r2, r2, #1", [p] "r"(sp) : "r1", "r2", "cc", "memory"));
    REGION("ldm2_sram_x8", ASM_LOOP(64, 8, "ldm %[p], {r1, r2}\n\tadd r3, r3, #1", [p] "r"(sp) : "r1", "r2", "r3", "cc", "memory"));
    REGION("ldm6_sram_x8", ASM_LOOP(64, 8, "ldm %[p], {r1-r6}\n\tadd r3, r3, #1", [p] "r"(sp) : "r1", "r2", "r3", "r4", "r5", "r6", "cc", "memory"));
    REGION("ldm4_sram_x2", ASM_LOOP(32, 2, "ldm %[p], {r1-r4}\n\tadd r5, r5, #1", [p] "r"(sp) : "r1", "r2", "r3", "r4", "r5", "cc", "memory"));
    REGION("stm4_sram_x8", ASM_LOOP(64, 8, "stm %[p], {r1-r4}\n\tadd r5, r5, #1", [p] "r"(sp) : "r5", "cc", "memory"));
    REGION("stm2_sram_x4", ASM_LOOP(32, 4, "stm %[p], {r1, r2}\n\tadd r5, r5, #1", [p] "r"(sp) : "r5", "cc", "memory"));
    REGION("stm6_sram_x2", ASM_LOOP(32, 2, "stm %[p], {r1-r6}\n\tadd r7, r7, #1", [p] "r"(sp) : "r7", "cc", "memory"));
    REGION("ldrd_sram_x8", ASM_LOOP(64, 8, "ldrd r1, r2, [%[p]]\n\tadd r3, r3, #1", [p] "r"(sp) : "r1", "r2", "r3", "cc", "memory"));
    REGION("strd_sram_x4", ASM_LOOP(32, 4, "strd r1, r2, [%[p]]\n\tadd r3, r3, #1", [p] "r"(sp) : "r3", "cc", "memory"));
    REGION("ldr_flash_same_x8", ASM_LOOP(64, 8, "ldr r1, [%[p]]\n\tadd r2, r2, #1", [p] "r"(fp) : "r1", "r2", "cc", "memory"));
    REGION("ldr_flash_same_x2", ASM_LOOP(32, 2, "ldr r1, [%[p], #64]\n\tadd r2, r2, #1", [p] "r"(fp) : "r1", "r2", "cc", "memory"));
    REGION("ldr_flash_stride_x8", flash_stride(fp, 64));
    REGION("ldr_flash_stride_x8_short", flash_stride(fp + 8, 16));
    REGION("branch_taken_x8", ASM_LOOP(64, 8, "b 3f\n\tnop\n3:", "r"(0) : "cc"));
    REGION("branch_taken_x2", ASM_LOOP(32, 2, "b 3f\n\tnop\n3:\n\tadd r1, r1, #1", "r"(0) : "r1", "cc"));
    REGION("branch_not_taken_x8", ASM_LOOP(64, 8, "cmp r0, r0\n\tbne 3f\n3:", "r"(0) : "r0", "cc"));
    REGION("branch_not_taken_x2", ASM_LOOP(32, 2, "cmp r0, r0\n\tbne 3f\n\tadd r1, r1, #1\n3:", "r"(0) : "r0", "r1", "cc"));
    REGION("mrs_x8", ASM_LOOP(64, 8, "mrs r1, primask", "r"(0) : "r1", "cc"));
    REGION("mrs_x2", ASM_LOOP(32, 2, "mrs r1, control\n\tadd r2, r2, #1", "r"(0) : "r1", "r2", "cc"));
    REGION("udiv_small", sink = (uint32_t)divide_loop(64, 1000u, 7u));
    REGION("udiv_large", sink = (uint32_t)divide_loop(64, 0xF0000000u, 3u));
    REGION("udiv_equal_bits", sink = (uint32_t)divide_loop(64, 0x12345678u, 0x10000000u));
    REGION("udiv_middle", sink = (uint32_t)divide_loop(32, 0x00F00000u, 0x00000300u));
#if defined(__ARM_FP)
    REGION("vadd_x16", ASM_LOOP(64, 16, "vadd.f32 s0, s0, s1", "r"(0) : "s0", "s1", "cc"));
    REGION("vmul_x4", ASM_LOOP(32, 4, "vmul.f32 s0, s0, s1", "r"(0) : "s0", "s1", "cc"));
    REGION("vmla_x16", ASM_LOOP(32, 16, "vmla.f32 s0, s1, s2", "r"(0) : "s0", "s1", "s2", "cc"));
    REGION("vfma_x4", ASM_LOOP(64, 4, "vfma.f32 s0, s1, s2", "r"(0) : "s0", "s1", "s2", "cc"));
    REGION("vdiv_x4", ASM_LOOP(16, 4, "vdiv.f32 s0, s1, s2", "r"(0) : "s0", "s1", "s2", "cc"));
    REGION("vsqrt_x2", ASM_LOOP(16, 2, "vsqrt.f32 s0, s1", "r"(0) : "s0", "s1", "cc"));
    REGION("vldr_x8", ASM_LOOP(64, 8, "vldr s0, [%[p]]\n\tadd r2, r2, #1", [p] "r"(sp) : "s0", "r2", "cc", "memory"));
    REGION("vstr_x2", ASM_LOOP(32, 2, "vstr s0, [%[p]]\n\tadd r2, r2, #1", [p] "r"(sp) : "s0", "r2", "cc", "memory"));
#endif
    REGION("straight_line_512", straight_line());
    REGION("straight_line_512_twice", (straight_line(), straight_line()));
    REGION("straight_line_4608", straight_line_big());
#if !defined(MN_NO_RAM_CODE)
    REGION("straight_line_512_sram", straight_line_sram());
    REGION("loop_x8_sram", loop_sram(64));
    REGION("loop_x8_sram_short", loop_sram(16));
#endif
    REGION("branch_chain_256", branch_chain());
    REGION("branch_chain_256_twice", (branch_chain(), branch_chain()));
    REGION("conv_tr_128x9x1_k3_f4", conv(128, 9, 1, 3, 2, 1, 4));
    REGION("conv_tr_128x9x1_k7_f8", conv(128, 9, 1, 7, 2, 1, 8));
    REGION("conv_tr_64x9x4_k5_f8", conv(64, 9, 4, 5, 2, 1, 8));
    REGION("conv_tr_32x9x8_k3_f16", conv(32, 9, 8, 3, 2, 1, 16));
    REGION("conv_sf_16x9x8_1x9_f16", conv(16, 9, 8, 1, 1, 9, 16));

    if (clock >= 0) {
        snprintf(line, sizeof line, "# clock set-up: %s never became ready; the timings are at the reset clock\n", mn_board_clock_step(clock));
        say(line);
    } else if (clock == -1) {
        say("# clock set-up done\n");
    }
    if (console >= 0) say("# console set-up: a wait timed out\n");
    for (int i = 0; i < regions; i++) {
        snprintf(line, sizeof line, "%s: %lu cycles\n", names[i], (unsigned long)deltas[i]);
        say(line);
    }
    return 0;
}
