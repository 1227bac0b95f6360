/*
 * micronas int8 kernels: TensorFlow Lite int8 semantics (per-channel symmetric weights, asymmetric
 * activations, int32 bias, double-rounding fixed-point requantization). The Swift module `Quant`
 * is the definition these must match bit for bit. Layout NHWC; conv filters OHWI; depthwise 1HWC.
 */
#ifndef MN_KERNELS_H
#define MN_KERNELS_H
#include <stdint.h>

typedef struct { int32_t n, h, w, c; } mn_shape;

/* Window ops (conv, depthwise, pooling). pad_h/pad_w = padding before (SAME: computed like TFLite). */
typedef struct {
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t input_offset;   /* -input zero point */
    int32_t output_offset;  /* output zero point */
    int32_t act_min, act_max;
} mn_conv_params;

/* Requantization multipliers/shifts: one per output channel (per-channel) or a single entry. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t per_channel;    /* 1: index by output channel, 0: use entry 0 */
} mn_requant;

/* Scratch: a pair of int16 im2col columns (mn_conv2d_s8_scratch_bytes); it must be 4-byte aligned
 * (the DSP kernel reads it with LDRD). mn_conv2d_s8_direct (conv_direct.c) is the same operator
 * without scratch, at 1.4-1.8x the cycles: what the generated code calls where the memory planner
 * finds that the columns would raise the arena. */
int32_t mn_conv2d_s8_scratch_bytes(mn_shape input, mn_shape filter);
void mn_conv2d_s8(const mn_conv_params *p, mn_requant q,
                  mn_shape input, const int8_t *input_data,
                  mn_shape filter, const int8_t *filter_data, const int32_t *bias,
                  mn_shape output, int8_t *output_data, void *scratch);
void mn_conv2d_s8_direct(const mn_conv_params *p, mn_requant q,
                         mn_shape input, const int8_t *input_data,
                         mn_shape filter, const int8_t *filter_data, const int32_t *bias,
                         mn_shape output, int8_t *output_data);

int32_t mn_depthwise_conv2d_s8_scratch_bytes(mn_shape input, mn_shape filter);
void mn_depthwise_conv2d_s8(const mn_conv_params *p, mn_requant q,
                            mn_shape input, const int8_t *input_data,
                            mn_shape filter, const int8_t *filter_data, const int32_t *bias,
                            mn_shape output, int8_t *output_data, void *scratch);

/* input [batches, depth], filter [units, depth], output [batches, units]; requantization per tensor or
 * per unit (q.per_channel; the TensorFlow Lite converter writes per-unit scales since TF 2.16).
 * Scratch: a pair of int16 columns of depth values (mn_fully_connected_s8_scratch_bytes), 4-byte aligned. */
int32_t mn_fully_connected_s8_scratch_bytes(int32_t depth);
void mn_fully_connected_s8(int32_t input_offset, int32_t output_offset, int32_t act_min, int32_t act_max,
                           mn_requant q,
                           int32_t batches, int32_t depth, const int8_t *input_data,
                           int32_t units, const int8_t *filter_data, const int32_t *bias, int8_t *output_data,
                           void *scratch);

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;   /* -zp1, -zp2, +zp_out */
    int32_t input1_multiplier, input2_multiplier, output_multiplier;
    int32_t input1_shift, input2_shift, output_shift;
    int32_t left_shift;                                      /* 20 */
    int32_t act_min, act_max;
    /* Optional (0: computed per element): 512 int32, each input's rescaled term for every int8
     * value — rescaled[128 + x] = mn_mbqm((x + input1_offset) << left_shift, input1_multiplier,
     * input1_shift), rescaled[384 + y] the same for input 2 — so an element costs two table loads
     * and the output's requantization. micronas export writes it into flash (2 KB per ADD). */
    const int32_t *rescaled;
} mn_add_params;
void mn_add_s8(const mn_add_params *p, int32_t count, const int8_t *a, const int8_t *b, int8_t *out);
/* Fills the 512 entries of mn_add_params.rescaled for p. */
void mn_add_s8_rescale_table(const mn_add_params *p, int32_t *rescaled);

/* Pooling: same quantization in and out; filter_h/filter_w is the window. */
void mn_avg_pool_s8(const mn_conv_params *p, int32_t filter_h, int32_t filter_w,
                    mn_shape input, const int8_t *input_data, mn_shape output, int8_t *output_data);
void mn_max_pool_s8(const mn_conv_params *p, int32_t filter_h, int32_t filter_w,
                    mn_shape input, const int8_t *input_data, mn_shape output, int8_t *output_data);

/* MEAN over H and W, output [n, 1, 1, c]; multiplier/shift quantize s_in / s_out (the 1 / (H*W) is
 * folded in by the kernel, as TFLM does). */
void mn_mean_hw_s8(mn_shape input, const int8_t *input_data, int32_t input_zp, int32_t output_zp,
                   int32_t multiplier, int32_t shift, int8_t *output_data);

/* SOFTMAX over the last dimension; output scale 1/256, zero point -128. input_multiplier,
 * input_left_shift and diff_min as TFLM prepares them from beta * s_in (Quant.SoftmaxParams). */
void mn_softmax_s8(int32_t rows, int32_t depth, const int8_t *input_data,
                   int32_t input_multiplier, int32_t input_left_shift, int32_t diff_min, int8_t *output_data);

/* Model edges. */
void mn_quantize_f32_s8(int32_t count, const float *input_data, float scale, int32_t zero_point, int8_t *output_data);
void mn_dequantize_s8_f32(int32_t count, const int8_t *input_data, float scale, int32_t zero_point, float *output_data);

#endif
