#ifndef MICRONAS_SHIMS_H
#define MICRONAS_SHIMS_H
// Fixed-argument wrappers around Unicorn entry points Swift cannot call:
// `uc_hook_add` is variadic and every `uc_ctl_*` is a macro over the variadic `uc_ctl`.
#include <unicorn/unicorn.h>
#include <stdbool.h>

typedef void (*mn_block_cb)(uc_engine *uc, uint64_t address, uint32_t size, void *user);
typedef void (*mn_intr_cb)(uc_engine *uc, uint32_t intno, void *user);
typedef void (*mn_mem_cb)(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user);
typedef bool (*mn_invalid_mem_cb)(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user);
typedef bool (*mn_invalid_insn_cb)(uc_engine *uc, void *user);

/// UC_HOOK_BLOCK or UC_HOOK_CODE over [begin, end] (begin > end means everywhere).
uc_err mn_hook_add_code(uc_engine *uc, uc_hook *hh, int type, mn_block_cb cb, void *user, uint64_t begin, uint64_t end);
/// UC_HOOK_INTR: exceptions and BKPT (intno 7).
uc_err mn_hook_add_intr(uc_engine *uc, uc_hook *hh, mn_intr_cb cb, void *user);
/// UC_HOOK_MEM_READ / UC_HOOK_MEM_WRITE (any combination) over [begin, end].
uc_err mn_hook_add_mem(uc_engine *uc, uc_hook *hh, int type, mn_mem_cb cb, void *user, uint64_t begin, uint64_t end);
/// UC_HOOK_MEM_*_UNMAPPED / UC_HOOK_MEM_*_PROT: the callback returns false to stop with an error.
uc_err mn_hook_add_invalid_mem(uc_engine *uc, uc_hook *hh, int type, mn_invalid_mem_cb cb, void *user);
/// UC_HOOK_INSN_INVALID.
uc_err mn_hook_add_invalid_insn(uc_engine *uc, uc_hook *hh, mn_invalid_insn_cb cb, void *user);
/// uc_ctl_set_cpu_model: must be called before any memory is mapped.
uc_err mn_ctl_set_cpu_model(uc_engine *uc, int model);

/// uc_ctl_remove_cache: drop translated code in [begin, end) so it is translated again (with new hooks).
uc_err mn_ctl_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end);

/// A UC_HOOK_BLOCK that only counts blocks into *counter: Unicorn's own per-block hook cost, the
/// floor under any block-level cycle accounting (the emulator benchmark's reference).
uc_err mn_hook_add_counting_block(uc_engine *uc, uc_hook *hh, uint64_t *counter);

/// One 32-bit register (Unicorn id). Inline and returning the value, so that callers keep no
/// address-taken local (which would cost the caller a stack-protector check on every call).
static inline uint32_t mn_reg_read32(uc_engine *uc, int reg) {
    uint32_t v = 0;
    uc_reg_read(uc, reg, &v);
    return v;
}

#endif
