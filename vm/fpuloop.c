// SPDX-License-Identifier: GPL-2.0
/*
 * Execute FXRSTOR in a loop, for SECONDS seconds (default: until killed).
 *
 * QEMU's TCG helper for FXRSTOR, XRSTOR, FRSTOR and FLDENV clears IGNNE
 * with a plain read-modify-write of the *first* CPU's hflags2
 * (cpu_clear_ignne()), from whichever vCPU thread runs the instruction.
 * hflags2 also holds that CPU's nested-paging bit (HF2_NPT_MASK), which its
 * own #VMEXIT clears.  A loop on another CPU makes the lost update, if it
 * is the cause of the nested guest's failures under multi-threaded TCG,
 * happen often: Documentation/emulator.md, vm/plans/worldswitch-fpu.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static uint8_t area[512] __attribute__((aligned(16)));

int main(int argc, char **argv)
{
	time_t end = argc > 1 ? time(NULL) + atoi(argv[1]) : 0;
	unsigned long n;

	/* A valid image to restore, with no FPU exception pending (FSW.ES 0). */
	__asm__ volatile("fninit; fxsave64 %0" : "=m"(area));
	for (n = 0; !end || (n & 0xfffff) || time(NULL) < end; n++)
		__asm__ volatile("fxrstor64 %0" : : "m"(area));
	return 0;
}
