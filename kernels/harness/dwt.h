/* DWT cycle counter (Armv7-M ARM §C1.8.7, §C1.6.5 DEMCR.TRCENA). */
#ifndef MICRONAS_DWT_H
#define MICRONAS_DWT_H
#include <stdint.h>

#define MICRONAS_DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define MICRONAS_DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define MICRONAS_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

static inline void micronas_cycles_start(void) {
    MICRONAS_DEMCR |= 1u << 24;   /* TRCENA */
    MICRONAS_DWT_CYCCNT = 0;
    MICRONAS_DWT_CTRL |= 1u;      /* CYCCNTENA */
}

static inline uint32_t micronas_cycles(void) { return MICRONAS_DWT_CYCCNT; }
#endif
