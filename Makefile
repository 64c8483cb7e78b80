# fastpf: a KVM x86 MMU patch series (lockless write-protect faults and dirty-log
# write protection) and the BPF tools that watch those paths.
#
#   make demo     apply, build, boot, run a dirty-logging workload, summarize
#   make check    the tests: build everything, run the plan in three MMU modes
#   make tree     build/linux = linux-source-6.12 + patches/ (git am)
#   make patches  export build/linux's commits back into patches/
#   make kernel   debug flavour (lockdep, KVM_PROVE_MMU, LOCK_STAT);
#                 FLAVOUR=kcsan, kcsan-strict or kasan adds a race detector
#   make kernel-baseline   the same configuration without the series (FLAVOUR= too)
#   make soak / make bench / make overhead / make race   long runs, not part of check
#   make bisect-build   every patch of the series builds KVM on its own (x86_64, i386)
#   make negative   the checks that must fail do fail (7 checks, ~55 min)
#   make install    the tools in $(prefix)/sbin, their man pages in section 8
#                   (prefix=/usr/local, DESTDIR= for staging)
#
# QEMU=7.2 runs the guests on bookworm's QEMU 7.2 (unpacked into build/)
# instead of the system's QEMU 10 from bookworm-backports; SOAK_KERNEL=baseline
# soaks the unpatched kernel.  V=1 shows the commands.

BUILD     ?= $(CURDIR)/build
TREE      := $(BUILD)/linux
BASE_TREE := $(BUILD)/base/linux
# FLAVOUR=kcsan, kcsan-strict or kasan: the debug configuration plus a race
# detector, in build/kernel-$(FLAVOUR); kernel, selftests, soak, check use it.
FLAVOUR   ?= debug
KDEBUG    := $(BUILD)/kernel-$(FLAVOUR)
# The unpatched kernel in the same flavour: kernel-baseline, or
# kernel-baseline-kcsan/-kasan (make kernel-baseline FLAVOUR=kcsan), so that a
# race detector's reports can be split into the series' and the base's.
ifeq ($(FLAVOUR),debug)
KBASE     := $(BUILD)/base/kernel-baseline
BASE_FLAVOUR := baseline
else
KBASE     := $(BUILD)/base/kernel-baseline-$(FLAVOUR)
BASE_FLAVOUR := $(FLAVOUR)
endif
SELFTESTS := $(BUILD)/selftests/kvm
TOOLS_OUT := $(BUILD)/tools
INITRD    := $(BUILD)/initramfs.cpio.gz
BZIMAGE   := $(KDEBUG)/arch/x86/boot/bzImage
BZIMAGE_BASE := $(KBASE)/arch/x86/boot/bzImage
VMTEST_TIMEOUT ?= 1500
# make check runs all vCPUs on one host thread.  CHECK_ACCEL=tcg,thread=multi
# is faster; there vmtest.py keeps the tests off L1's CPU 0, whose SVM state
# QEMU's other vCPU threads can corrupt (Documentation/qemu-bug-ignne-hflags2.md),
# and boots a mode once more after a stale int3 (Documentation/emulator.md).
CHECK_ACCEL ?= tcg,thread=single
MODES     ?= tdp,legacy-tdp,shadow
# The soak runs all vCPUs on one host thread, as make check does.
SOAK_ACCEL ?= tcg,thread=single
# QEMU=10 (default): the system's qemu-system-x86_64; QEMU=7.2: bookworm's.
QEMU      ?= 10
ifeq ($(QEMU),7.2)
QEMU_BIN  := $(BUILD)/qemu-7.2/qemu-system-x86_64
else ifeq ($(QEMU),10)
QEMU_BIN  := qemu-system-x86_64
else
$(error QEMU=$(QEMU): use QEMU=10 or QEMU=7.2)
endif
SOAK_KERNEL ?= patched
ifeq ($(SOAK_KERNEL),baseline)
SOAK_DEPS := kernel-baseline
SOAK_IMAGE = $(BZIMAGE_BASE)
else
SOAK_DEPS :=
SOAK_IMAGE = $(BZIMAGE)
endif
# soak: 19 min per MMU mode; soak-short: 10 min per MMU mode; soak-rmap:
# 30 min per MMU mode of rmap churn against lockless write protection.
SOAK_PLAN ?= soak
SOAK_TIMEOUT ?= 2700
# SOAK_APPEND: extra kernel parameters, e.g. kcsan.skip_watch=1000
SOAK_APPEND ?=
comma     := ,
LOCK      := flock $(BUILD)/.build.lock
STEP      := scripts/step.sh

ifeq ($(V),1)
Q :=
NO_PRINT_DIR :=
else
Q := @
NO_PRINT_DIR := --no-print-directory
endif
export V

.PHONY: all deps qemu tree patches kernel kernel-baseline base-tree selftests tools \
	initramfs install check check-vm check-tools demo soak bench kernel-release \
	kernel-baseline-release overhead race negative bisect-build clean help

all: initramfs

help:
	$(Q)sed -n '1,/^$$/p' Makefile

$(BUILD):
	$(Q)mkdir -p $(BUILD) && touch $(BUILD)/.build.lock

deps:
	$(Q)$(STEP) deps scripts/deps.sh

# The emulator a run uses: nothing to do for the system's QEMU 10.
qemu: deps | $(BUILD)
	$(Q)if [ "$(QEMU)" = 7.2 ]; then scripts/qemu-7.2.sh $(BUILD)/qemu-7.2 > /dev/null; fi

tree: deps | $(BUILD)
	$(Q)$(STEP) tree scripts/mktree.sh $(TREE)

patches:
	$(Q)scripts/export-patches.sh $(TREE)

kernel: tree
	$(Q)$(STEP) kernel $(LOCK) scripts/build-kernel.sh $(TREE) $(KDEBUG) $(FLAVOUR)

base-tree: tree
	$(Q)test -d $(BASE_TREE) || { mkdir -p $(BUILD)/base && \
		git -C $(TREE) worktree add -q --detach $(BASE_TREE) linux-source; }

kernel-baseline: base-tree
	$(Q)$(LOCK) scripts/build-kernel.sh $(BASE_TREE) $(KBASE) $(BASE_FLAVOUR)

selftests: kernel
	$(Q)$(STEP) selftests $(LOCK) scripts/build-selftests.sh $(TREE) $(KDEBUG) $(SELFTESTS)

tools: deps | $(BUILD)
	$(Q)if [ -f tools/Makefile ]; then $(STEP) tools $(LOCK) $(MAKE) $(NO_PRINT_DIR) -C tools OUTPUT=$(TOOLS_OUT) all tests; fi

initramfs: selftests tools
	$(Q)$(STEP) initramfs scripts/mkinitramfs.sh $(INITRD) $(SELFTESTS) $(TOOLS_OUT)

install: tools
	$(Q)$(MAKE) $(NO_PRINT_DIR) -C tools OUTPUT=$(TOOLS_OUT) install

check-tools: tools
	$(Q)if [ -f tools/Makefile ]; then $(STEP) check-tools $(MAKE) $(NO_PRINT_DIR) -C tools OUTPUT=$(TOOLS_OUT) check; fi

check-vm: initramfs qemu
	$(Q)$(STEP) check-vm python3 scripts/vmtest.py --qemu $(QEMU_BIN) --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan check --modes $(MODES) --timeout $(VMTEST_TIMEOUT) \
		--logdir $(BUILD)/vmtest --accel $(CHECK_ACCEL)
	$(Q)$(STEP) prom-check python3 scripts/prom-check.py $(addprefix $(BUILD)/vmtest/,$(addsuffix .console.log,$(subst $(comma), ,$(MODES))))

check: check-tools check-vm

# Both tools on this machine's kernel first, then on the patched kernel in
# each MMU mode.
demo: initramfs qemu
	$(Q)scripts/demo-host.sh $(TOOLS_OUT)/bin $(SELFTESTS) || echo "demo: part 1 failed (above); going on"
	$(Q)echo "==== make demo, part 2: the patched kernel under QEMU, modes $(MODES)"
	$(Q)python3 scripts/vmtest.py --qemu $(QEMU_BIN) --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan demo --modes $(MODES) --timeout $(VMTEST_TIMEOUT) \
		--logdir $(BUILD)/demo --show-output --append fastpf.tail=400

soak: initramfs qemu $(SOAK_DEPS)
	$(Q)python3 scripts/vmtest.py --qemu $(QEMU_BIN) --kernel $(SOAK_IMAGE) --initrd $(INITRD) \
		--plan $(SOAK_PLAN) --modes $(MODES) --timeout $(SOAK_TIMEOUT) \
		--logdir $(BUILD)/soak-$(SOAK_PLAN)-$(SOAK_KERNEL)-$(FLAVOUR)-qemu$(QEMU) \
		--append "$(SOAK_APPEND)" --accel $(SOAK_ACCEL)

# BENCH_FLAVOUR=release: both kernels without lockdep, LOCK_STAT or
# KVM_PROVE_MMU (debug locking changes what is measured); no lockstat sites.
BENCH_REPS ?= 5
BENCH_FLAVOUR ?= debug
ifeq ($(BENCH_FLAVOUR),release)
BENCH_KERNELS := kernel-release kernel-baseline-release
BENCH_PATCHED := $(BUILD)/kernel-release/arch/x86/boot/bzImage
BENCH_BASE    := $(BUILD)/base/kernel-baseline-release/arch/x86/boot/bzImage
BENCH_PLAN    := bench-release
else
BENCH_KERNELS := kernel-baseline
BENCH_PATCHED := $(BZIMAGE)
BENCH_BASE    := $(BZIMAGE_BASE)
BENCH_PLAN    := bench
endif
bench: initramfs $(BENCH_KERNELS)
	$(Q)python3 scripts/bench.py --patched $(BENCH_PATCHED) --baseline $(BENCH_BASE) \
		--initrd $(INITRD) --modes $(MODES) --reps $(BENCH_REPS) --plan $(BENCH_PLAN) \
		--out $(BUILD)/bench-$(BENCH_FLAVOUR)

kernel-release: tree
	$(Q)$(LOCK) scripts/build-kernel.sh $(TREE) $(BUILD)/kernel-release release

kernel-baseline-release: base-tree
	$(Q)$(LOCK) scripts/build-kernel.sh $(BASE_TREE) $(BUILD)/base/kernel-baseline-release release

overhead: initramfs qemu
	$(Q)python3 scripts/vmtest.py --qemu $(QEMU_BIN) --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan overhead --modes $(MODES) --timeout 1800 --logdir $(BUILD)/overhead
	$(Q)python3 scripts/overhead.py $(BUILD)/overhead/*.console.log

# The fast path under contention and under invalidation churn (figures only).
race: initramfs qemu
	$(Q)python3 scripts/vmtest.py --qemu $(QEMU_BIN) --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan race --modes $(MODES) --timeout 1800 --logdir $(BUILD)/race

# Every patch of the series builds KVM on its own.
bisect-build: kernel
	$(Q)$(LOCK) scripts/bisect-build.sh $(TREE) $(KDEBUG) $(BUILD)/kernel-i386-kvm

negative: initramfs
	$(Q)scripts/negative-checks.sh

clean:
	rm -rf $(BUILD)/vmtest $(BUILD)/demo $(INITRD) $(TOOLS_OUT)
