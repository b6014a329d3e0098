#ifndef CLOCK_STEP_H
#define CLOCK_STEP_H

/// The environment variable naming the file that holds the step of the wall clock, in seconds.
/// The library (libClockStep.so) has no other interface: it is loaded with LD_PRELOAD.
#define CLOCK_STEP_FILE_VARIABLE "CLOCK_STEP_FILE"

#endif
