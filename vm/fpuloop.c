// SPDX-License-Identifier: GPL-2.0
/*
 * fpuloop [-e] [SECONDS]: execute FXRSTOR in a loop, for SECONDS seconds
 * (default: until killed).
 *
 * QEMU's TCG helper for FXRSTOR, XRSTOR, FRSTOR and FLDENV clears IGNNE
 * with a plain read-modify-write of the *first* CPU's hflags2
 * (cpu_clear_ignne()), from whichever vCPU thread runs the instruction.
 * hflags2 also holds that CPU's nested-paging bit (HF2_NPT_MASK), which its
 * own #VMEXIT clears.  A loop on another CPU makes the lost update frequent:
 * Documentation/qemu-bug-ignne-hflags2.md, vm/plans/worldswitch-fpu.
 *
 * -e restores an image whose status word has ES (exception summary) set.
 * QEMU then skips cpu_clear_ignne(): the same instruction and the same
 * work, without the write to the first CPU.  The control for causation.
 * No x87 instruction follows that would raise the pending exception.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FSW_ES	0x0080
#define FSW_IE	0x0001

static uint8_t area[512] __attribute__((aligned(16)));

int main(int argc, char **argv)
{
	int es = argc > 1 && !strcmp(argv[1], "-e");
	time_t end = argc > 1 + es ? time(NULL) + atoi(argv[1 + es]) : 0;
	unsigned long n;
	uint16_t fsw;

	/* A valid image to restore, with no FPU exception pending. */
	__asm__ volatile("fninit; fxsave64 %0" : "=m"(area));
	if (es) {
		/* FSW is bytes 2-3 of the FXSAVE image. */
		memcpy(&fsw, area + 2, sizeof(fsw));
		fsw |= FSW_ES | FSW_IE;
		memcpy(area + 2, &fsw, sizeof(fsw));
	}
	for (n = 0; !end || (n & 0xfffff) || time(NULL) < end; n++)
		__asm__ volatile("fxrstor64 %0" : : "m"(area));
	return 0;
}
