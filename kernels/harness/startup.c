/*
 * Bare-metal start-up shared by every board: vector table at the boot address, FPU enable,
 * .data copy from flash, then newlib's crt0 `_start` (zeroes .bss, asks the debugger or the
 * emulator for heap/stack through SYS_HEAPINFO, runs constructors, calls main, exits through
 * semihosting). The same image boots on the emulator and on a real board under a debugger
 * with semihosting enabled (see ../README.md).
 */
#include <stdint.h>

extern uint32_t _estack;
extern uint32_t _sidata, _sdata, _edata;
extern void _start(void);

void Reset_Handler(void);
void Fault_Handler(void);

/* Cortex-M exceptions 1-15 (Armv7-M ARM §B1.5.2); unused ones point at Fault_Handler. */
__attribute__((section(".isr_vector"), used))
const void *const micronas_vectors[16] = {
    &_estack,
    (const void *)Reset_Handler,
    (const void *)Fault_Handler, /* NMI */
    (const void *)Fault_Handler, /* HardFault */
    (const void *)Fault_Handler, /* MemManage */
    (const void *)Fault_Handler, /* BusFault */
    (const void *)Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    (const void *)Fault_Handler, /* SVCall */
    (const void *)Fault_Handler, /* DebugMonitor */
    0,
    (const void *)Fault_Handler, /* PendSV */
    (const void *)Fault_Handler, /* SysTick */
};

void Fault_Handler(void) {
    /* Stops a debugger (and the emulator) with a distinctive breakpoint number. */
    __asm volatile("bkpt #0xF0");
    for (;;) {
    }
}

__attribute__((noreturn)) void Reset_Handler(void) {
#if defined(__ARM_FP)
    /* CPACR (0xE000ED88): full access to CP10/CP11 (Armv7-M ARM §B3.2.20). */
    *(volatile uint32_t *)0xE000ED88 |= (0xFu << 20);
    __asm volatile("dsb\n\tisb");
#endif
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    _start();
    for (;;) {
    }
}
