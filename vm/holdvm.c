// SPDX-License-Identifier: GPL-2.0
/*
 * Keep one idle KVM VM open while the test plan runs.
 *
 * Every VM creation and destruction flips the scheduler's preempt-notifier
 * static key (preempt_notifier_inc/dec), which patches hot scheduler text
 * with text_poke_bp().  Under QEMU's multi-threaded TCG the other vCPU can
 * then execute a stale copy of that text and Oops on an int3 that is no
 * longer there.  With one VM always open the key stays on and the tests'
 * VMs no longer patch the scheduler.  The VM has no vCPU and no memory.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR);

	if (kvm < 0 || ioctl(kvm, KVM_CREATE_VM, 0) < 0) {
		perror("holdvm: KVM_CREATE_VM");
		return 1;
	}
	for (;;)
		pause();
}
