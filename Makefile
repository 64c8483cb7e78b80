# fastpf: a KVM x86 MMU patch series (lockless write-protect faults and dirty-log
# write protection) and the BPF tools that watch those paths.
#
#   make demo     apply, build, boot, run a dirty-logging workload, summarize
#   make check    the tests: build everything, run the plan in three MMU modes
#   make tree     build/linux = linux-source-6.12 + patches/ (git am)
#   make patches  export build/linux's commits back into patches/
#   make kernel   debug flavour (lockdep, KVM_PROVE_MMU, LOCK_STAT);
#                 FLAVOUR=kcsan or FLAVOUR=kasan adds a race detector
#   make kernel-baseline   the same configuration without the series
#   make soak / make bench / make overhead / make race   long runs, not part of check
#   make bisect-build   every patch of the series builds KVM on its own (x86_64, i386)
#   make negative   the checks that must fail do fail
#
# V=1 shows the commands.

BUILD     ?= $(CURDIR)/build
TREE      := $(BUILD)/linux
BASE_TREE := $(BUILD)/base/linux
# FLAVOUR=kcsan or kasan: the debug configuration plus a race detector, in
# build/kernel-$(FLAVOUR); kernel, selftests, soak, check use it.
FLAVOUR   ?= debug
KDEBUG    := $(BUILD)/kernel-$(FLAVOUR)
KBASE     := $(BUILD)/base/kernel-baseline
SELFTESTS := $(BUILD)/selftests/kvm
TOOLS_OUT := $(BUILD)/tools
INITRD    := $(BUILD)/initramfs.cpio.gz
BZIMAGE   := $(KDEBUG)/arch/x86/boot/bzImage
BZIMAGE_BASE := $(KBASE)/arch/x86/boot/bzImage
VMTEST_TIMEOUT ?= 1500
MODES     ?= tdp,legacy-tdp,shadow
# The soak runs all vCPUs on one host thread: multi-threaded TCG makes the
# nested guest fail on the unpatched kernel too (Documentation/workflow.md).
SOAK_ACCEL ?= tcg,thread=single
# soak: 19 min per MMU mode; soak-short: 10 min per MMU mode.
SOAK_PLAN ?= soak
LOCK      := flock $(BUILD)/.build.lock
STEP      := scripts/step.sh

ifeq ($(V),1)
Q :=
else
Q := @
endif
export V

.PHONY: all deps tree patches kernel kernel-baseline base-tree selftests tools \
	initramfs check check-vm check-tools demo soak bench overhead race negative bisect-build clean help

all: initramfs

help:
	$(Q)sed -n '1,/^$$/p' Makefile

$(BUILD):
	$(Q)mkdir -p $(BUILD) && touch $(BUILD)/.build.lock

deps:
	$(Q)$(STEP) deps scripts/deps.sh

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
	$(Q)$(LOCK) scripts/build-kernel.sh $(BASE_TREE) $(KBASE) baseline

selftests: kernel
	$(Q)$(STEP) selftests $(LOCK) scripts/build-selftests.sh $(TREE) $(KDEBUG) $(SELFTESTS)

tools: deps | $(BUILD)
	$(Q)if [ -f tools/Makefile ]; then $(STEP) tools $(LOCK) $(MAKE) -C tools OUTPUT=$(TOOLS_OUT); fi

initramfs: selftests tools
	$(Q)$(STEP) initramfs scripts/mkinitramfs.sh $(INITRD) $(SELFTESTS) $(TOOLS_OUT)

check-tools: tools
	$(Q)if [ -f tools/Makefile ]; then $(STEP) check-tools $(MAKE) -C tools OUTPUT=$(TOOLS_OUT) check; fi

check-vm: initramfs
	$(Q)$(STEP) check-vm python3 scripts/vmtest.py --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan check --modes $(MODES) --timeout $(VMTEST_TIMEOUT) \
		--logdir $(BUILD)/vmtest

check: check-tools check-vm

demo: initramfs
	$(Q)python3 scripts/vmtest.py --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan demo --modes $(MODES) --timeout $(VMTEST_TIMEOUT) \
		--logdir $(BUILD)/demo

soak: initramfs
	$(Q)python3 scripts/vmtest.py --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan $(SOAK_PLAN) --modes $(MODES) --timeout 1800 \
		--logdir $(BUILD)/soak-$(FLAVOUR) \
		--append fastpf.rerun=0 --accel $(SOAK_ACCEL)

BENCH_REPS ?= 5
bench: initramfs kernel-baseline
	$(Q)python3 scripts/bench.py --patched $(BZIMAGE) --baseline $(BZIMAGE_BASE) \
		--initrd $(INITRD) --modes $(MODES) --reps $(BENCH_REPS) --out $(BUILD)/bench

overhead: initramfs
	$(Q)python3 scripts/vmtest.py --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan overhead --modes $(MODES) --timeout 1800 --logdir $(BUILD)/overhead
	$(Q)python3 scripts/overhead.py $(BUILD)/overhead/*.console.log

# The fast path under contention and under invalidation churn (figures only).
race: initramfs
	$(Q)python3 scripts/vmtest.py --kernel $(BZIMAGE) --initrd $(INITRD) \
		--plan race --modes $(MODES) --timeout 1800 --logdir $(BUILD)/race

# Every patch of the series builds KVM on its own.
bisect-build: kernel
	$(Q)$(LOCK) scripts/bisect-build.sh $(TREE) $(KDEBUG) $(BUILD)/kernel-i386-kvm

negative: initramfs
	$(Q)scripts/negative-checks.sh

clean:
	rm -rf $(BUILD)/vmtest $(BUILD)/demo $(INITRD) $(TOOLS_OUT)
